#pragma once
// The lead registry's interface (actors/lead_actor.hpp spawns it): routes
// every message to its lead's actor, spawning and passivating them.
#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace leadbase::actors {

using registry_actor = caf::typed_actor<
    /// An append for a lead (the facade); the lead answers through its callback.
    caf::reacts_to<append_atom, append_msg>,
    /// An erasure for a lead (the facade); answered through its callback.
    caf::reacts_to<erase_atom, erase_msg>,
    /// What Creator Discovery said about a lead (the enrichment actor).
    caf::reacts_to<result_atom, enrich_result>,
    /// A lead's retry or refresh came due (the scheduler).
    caf::reacts_to<wake_atom, wake_msg>,
    /// A manual enrichment retry for a lead (the facade).
    caf::reacts_to<retry_atom, retry_msg>,
    /// A claim, release or contact for a lead (the facade); answered through its callback.
    caf::reacts_to<work_atom, work_msg>,
    /// A lead actor idle after handling this many routed messages; passivated
    /// when nothing routed to it since is still on its way.
    caf::reacts_to<idle_atom, std::string, uint64_t>,
    /// A passivated lead actor is gone; messages held for it go to a new one.
    caf::reacts_to<stopped_atom, std::string>>;

} // namespace leadbase::actors
