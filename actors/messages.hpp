#pragma once
// Messages between the lead actors, the registry and the journal, with their
// CAF type registration. Included only by actors/ (CAF stays out of every
// other module's headers); the typed interfaces (actors/*_actor.hpp) name them.
//
// Every message here is local to one node and carries callbacks or pointers,
// so they are registered as unsafe (never serialized). A multi-node setup
// (docs/design.md, "Planned") would give the routed ones an inspect() instead.
#include <caf/all.hpp>

#include "actors/lead_service.hpp"
#include "discovery/provider.hpp"
#include "storage/event_log.hpp"

namespace leadbase::actors {

/// An append routed to a lead: the command and whom to tell.
struct append_msg {
  append_command cmd;
  std::shared_ptr<append_callback> done;
};

/// Erasure routed to a lead.
struct erase_msg {
  std::string lead_id;
  std::string reason;
  std::string requested_by;
  std::string correlation_id;
  std::shared_ptr<append_callback> done;
};

/// A lead asks Creator Discovery for one network's data.
struct enrich_request {
  std::string lead_id;
  leadbase::network network = leadbase::network::unknown;
  std::string handle;
  uint32_t attempt = 1;  // the call's number in this enrichment cycle
  bool manual = false;   // asked for by a person (enrichment/retry), not owed by pending()
};

/// What came of an enrich_request, routed back to the lead through the registry.
struct enrich_result {
  enum class kind : uint8_t {
    fetched,        // the provider answered (data or a classified failure)
    breaker_open,   // failed fast: the provider's circuit is open
    busy,           // every call slot and the queue were full: try again later (no call made)
    disabled,       // no provider for this network is configured
  };
  enrich_request request;
  kind what = kind::fetched;
  std::shared_ptr<discovery::fetch_result> fetched;  // kind::fetched
  millis wait_ms = 0;                                // breaker_open: until it may half-open
};

/// Wake a lead so it runs what it owes (a retry or refresh came due).
struct wake_msg {
  std::string lead_id;
};

/// POST /v1/leads/{id}/enrichment/retry.
struct retry_msg {
  std::string lead_id;
  std::shared_ptr<append_callback> done;
};

/// A claim, release or contact routed to a lead.
struct work_msg {
  std::string lead_id;
  work_command cmd;
  std::shared_ptr<work_callback> done;
};

/// A lead's request to the journal, and the journal's answer.
struct journal_request {
  std::shared_ptr<storage::append_request> request;
};
struct journal_reply {
  std::shared_ptr<storage::append_result> result;
};

/// A provider's answer, handed from its I/O thread to the enrichment actor.
struct fetched_msg {
  enrich_request request;
  std::shared_ptr<discovery::fetch_result> result;
};

} // namespace leadbase::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::append_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::erase_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::enrich_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::enrich_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::wake_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::retry_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::work_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::journal_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::journal_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(leadbase::actors::fetched_msg)

namespace leadbase::actors {

// Atoms: at most 10 characters (CAF 0.17).
using append_atom = caf::atom_constant<caf::atom("append")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using destroy_atom = caf::atom_constant<caf::atom("destroykey")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using stopped_atom = caf::atom_constant<caf::atom("stopped")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using enrich_atom = caf::atom_constant<caf::atom("enrich")>;
using fetched_atom = caf::atom_constant<caf::atom("fetched")>;
using result_atom = caf::atom_constant<caf::atom("enriched")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using schedule_atom = caf::atom_constant<caf::atom("schedule")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using work_atom = caf::atom_constant<caf::atom("work")>;

} // namespace leadbase::actors
