#pragma once
// The work scheduler's interface (actors/scheduler.hpp spawns it).
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "events/time.hpp"

namespace leadbase::actors {

using scheduler_actor = caf::typed_actor<
    /// Wake this lead (through the registry) at this time; an earlier wake
    /// already planned for it wins.
    caf::reacts_to<schedule_atom, std::string, millis>,
    /// The earliest planned wake may be due (the scheduler sends it to itself).
    caf::reacts_to<tick_atom>>;

} // namespace leadbase::actors
