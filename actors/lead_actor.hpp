#pragma once
// One actor per lead: the imperative shell around the Decider (docs/design.md).
// receive a message -> command -> decide (events/decide.hpp) -> journal append
// -> evolve -> reply -> what the lead owes next. Every rule is in decide; the
// actor keeps the I/O, the lead's data key and its mailbox discipline.
//
// It is spawned by the registry on first use, rehydrates from the log on its
// first message, and asks the registry to passivate it when idle.
#include <atomic>
#include <chrono>

#include <caf/fwd.hpp>
#include <caf/actor.hpp>

#include "actors/enrichment_actor.hpp"
#include "actors/journal_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/scheduler_actor.hpp"

#include "events/decide.hpp"
#include "storage/event_log.hpp"

namespace leadbase::actors {

/// What every lead actor shares; owned by the service, outlives the actors.
struct lead_env {
  storage::event_log* log = nullptr;
  journal_actor journal;
  std::chrono::milliseconds passivate_after{60000};
  std::chrono::milliseconds journal_timeout{30000};
  uint32_t snapshot_every = 50;  // events between two snapshots of a lead; 0 = never
  std::atomic<size_t> live_leads{0};
  // -- what a lead does after its signup (docs/domain.md): the Decider's settings --
  decide_options rules;          // rules.has_provider: set when `enrichment` is
  enrichment_actor enrichment;   // null: no provider at all
  scheduler_actor scheduler;
};

/// Spawns a lead's actor for `registry` (which hears when it is idle or
/// stopped). Not linked: the registry monitors it and passes its own exit on
/// (CAF keeps an actor's links in a list, so with tens of thousands of lead
/// actors linked to the registry every passivation walked that list).
caf::actor spawn_lead(caf::local_actor* registry, std::string lead_id, lead_env* env);

/// Spawns the registry, which routes every message to its lead's actor.
registry_actor spawn_registry(caf::actor_system& sys, lead_env* env, size_t max_live_leads);

} // namespace leadbase::actors
