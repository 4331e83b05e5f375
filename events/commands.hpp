#pragma once
// The commands a lead's Decider takes (docs/design.md "Layers"): what someone asks of a lead,
// or what the world told it (Creator Discovery's answers, the clock). Plain
// values, no I/O: the lead actor turns messages into these, calls `decide`
// (events/decide.hpp) and carries out the decision.
#include <optional>
#include <string>
#include <variant>

#include "events/event.hpp"

namespace leadbase {

/// "Append this event", from ingest (HTTP, import). The event's envelope
/// carries event_id, lead_id, occurred_at, correlation/causation ids and the
/// content digest; version, position, recorded_at and prev_hash are filled in
/// by decide and the journal.
struct append_command {
  event ev;
  std::optional<lead_version> expected_version;
};
using ingest = append_command;

/// One call to Creator Discovery: what a lead asks for, and what an answer is about.
struct enrich_call {
  leadbase::network network = leadbase::network::unknown;
  std::string handle;
  uint32_t attempt = 1;  // the call's number in this enrichment cycle
  bool manual = false;   // asked for by a person (retry_now), not owed by pending()
};

/// A provider's classified failure of one call (discovery/provider.hpp's
/// failure, without its free-text detail).
struct fetch_failure {
  failure_class kind = failure_class::provider_error;
  std::string provider_code;
  std::optional<millis> retry_after;  // a wait the provider asked for
};

/// The provider answered `call`: with the data, or with a classified failure.
struct record_fetch {
  enrich_call call;
  std::variant<enriched, fetch_failure> answer;
};

/// The provider's circuit is open: `call` failed fast, no call was made.
struct circuit_open {
  enrich_call call;
  millis wait_ms = 0;  // until the circuit may half-open
};

/// Every call slot and the queue were full: `call` was not made.
struct provider_busy {
  enrich_call call;
};

/// No provider serves `call`'s network.
struct provider_disabled {
  enrich_call call;
};

/// DELETE /v1/leads/{id}: erase the lead's personal data.
struct erase {
  std::string reason;
  std::string requested_by;
  std::string correlation_id;
};

/// POST /v1/leads/{id}/enrichment/retry: call Creator Discovery again now.
struct retry_now {};

/// Do what the lead owes now (pending, events/react.hpp): after each append,
/// and when the scheduler wakes the lead.
struct run_owed {};

// -- working the lead (docs/domain.md "Working the leads") --------------------

/// Who asks: the token's name, and whether it has the `admin` scope.
struct acting_person {
  std::string name;
  bool admin = false;
};

/// POST /v1/leads/{id}/claim, or one candidate of POST /v1/queue/claim.
struct claim {
  acting_person by;
  std::optional<lead_version> expected_version;
  std::string correlation_id;
};

/// POST /v1/leads/{id}/release.
struct release {
  acting_person by;
  std::string correlation_id;
};

/// POST /v1/leads/{id}/contacts.
struct log_contact {
  acting_person by;
  contact_channel channel = contact_channel::phone;
  contact_outcome result = contact_outcome::no_answer;
  std::string note;                    // personal; empty = none
  std::optional<millis> contacted_at;  // default: now
  std::optional<lead_version> expected_version;
  std::string correlation_id;
};

/// POST /v1/leads/{id}/assign (scope admin): an admin hands the lead to `owner`.
struct assign {
  acting_person by;   // the admin
  std::string owner;  // the person who gets the lead
  std::string correlation_id;
};

/// The clock: the claim may have lapsed (the scheduler's wake, run_owed, also
/// checks this; the command lets a caller ask for it alone).
struct expire_claim {};

using command = std::variant<ingest, record_fetch, circuit_open, provider_busy, provider_disabled, erase, retry_now,
                             run_owed, claim, release, log_contact, expire_claim, assign>;

} // namespace leadbase
