#pragma once
// The Decider's `decide` (docs/design.md "Layers"): every business rule about a lead, as a
// pure function of its state, a command and a context (the time, one random
// draw, the options). The lead actor only carries the decision out.
#include <optional>
#include <vector>

#include "events/commands.hpp"
#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/lead_state.hpp"
#include "events/qualification.hpp"
#include "events/react.hpp"
#include "events/retry_policy.hpp"

namespace leadbase {

/// The settings the rules read; owned by the service, shared by every lead.
struct decide_options {
  bool follow_ups = true;     // qualify and enrich on their own (off: ingest only)
  bool has_provider = false;  // any Creator Discovery provider is configured
  qualification_options qualification;
  domain_list disposable_domains;
  react_options react;
  retry_options retry;
  /// How long a claim lasts with no contact by its owner (work.claim_ttl_hours).
  millis claim_ttl_ms = 24LL * 60 * 60 * 1000;
};

/// The name an expired claim's `released` gives as `by`.
inline constexpr const char* system_actor = "system";

/// How far in the future a contact's contacted_at may lie (clock skew).
inline constexpr millis contact_clock_skew_ms = 5 * 60 * 1000;

/// What a decision may depend on besides the state and the command.
struct decide_context {
  millis now = 0;
  /// One uniform draw from [0, 1): the jitter of a rescheduled call.
  double uniform = 0.0;
  /// Random bits the ids of the lead's own events are made from.
  uint64_t id_bits = 0;
  const decide_options* options = nullptr;  // never null
};

struct decision {
  /// True when the command repeats a stored event (same id, same content), or
  /// erases an erased lead: nothing is appended and version/position are the answer.
  bool duplicate = false;
  lead_version version = 0;
  global_position position = 0;  // known only for duplicates and retry_now; the journal assigns it otherwise
  /// Events to append, in one atomic write. The lead's own events (all but an
  /// ingested one) have no content digest yet: it is keyed, so the actor adds it.
  std::vector<event> to_append;
  /// Creator Discovery calls to make now.
  std::vector<enrich_call> calls;
  /// Wake the lead then to do what it owes (a retry or refresh coming due).
  std::optional<millis> wake_at;
};

/// The decision about `cmd`, or why it is refused (the error answers the
/// command's sender). See decide.cpp for each command's rules.
result<decision> decide(const lead_state& state, const command& cmd, const decide_context& ctx);

/// The id of the lead's own event number `index` in a decision: `prefix`
/// followed by 16 hex digits drawn from `id_bits` (distinct per index).
std::string own_event_id(const char* prefix, uint64_t id_bits, uint32_t index);

} // namespace leadbase
