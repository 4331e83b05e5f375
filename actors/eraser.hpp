#pragma once
// The second half of destroying a lead's data key: the flush and forced
// compaction that leave no file holding it (storage::event_log::
// purge_deleted_key). They take from milliseconds to seconds, so they run
// detached, on this actor's own thread, and not on the journal's: appends of
// every other lead go on meanwhile. Erasures are purged one at a time.
#include "actors/eraser_actor.hpp"
#include "storage/event_log.hpp"

namespace leadbase::actors {

/// Spawns the key purger over `log` (which must outlive it).
eraser_actor spawn_eraser(caf::actor_system& sys, storage::event_log& log);

} // namespace leadbase::actors
