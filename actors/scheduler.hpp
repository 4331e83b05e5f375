#pragma once
// The work scheduler: wakes leads when a retry or refresh comes due. It holds
// only a copy of what the log says (the `work` family, written with each
// lead's events), so a restart loses nothing: at start-up the service reads
// every entry back and schedules it again.
#include <atomic>

#include "actors/registry_actor.hpp"
#include "actors/scheduler_actor.hpp"

namespace leadbase::actors {

/// Spawns the scheduler. It sends (wake_atom, wake_msg) to `registry` when a
/// lead's time comes; leads send it (schedule_atom, lead_id, due_ms).
/// `scheduled` counts the leads it is waiting for.
scheduler_actor spawn_scheduler(caf::actor_system& sys, registry_actor registry, std::atomic<size_t>* scheduled);

} // namespace leadbase::actors
