#pragma once
// The journal writer: the one actor that writes the event log.
//
// Operation (redpanda's order): 1. gather every append that arrived while the
// previous write was in flight, 2. write them as one WriteBatch (synced),
// 3. assign global positions in commit order, 4. answer every waiting lead.
// It runs detached, on its own thread, so fsync never stalls the scheduler.
#include <atomic>
#include <chrono>
#include <cstdint>

#include <caf/fwd.hpp>

#include "actors/eraser_actor.hpp"
#include "actors/journal_actor.hpp"
#include "actors/lead_service.hpp"
#include "storage/event_log.hpp"

namespace leadbase::actors {

/// Spawns the journal. `max_batch` caps the appends in one write. A data key
/// it deletes is purged from every file by `eraser` (actors/eraser.hpp),
/// which must answer within `purge_timeout`.
journal_actor spawn_journal(caf::actor_system& sys, storage::event_log& log, size_t max_batch, journal_stats& stats,
                            eraser_actor eraser, std::chrono::milliseconds purge_timeout);

} // namespace leadbase::actors
