#pragma once
// Erasure (LGPD art. 18, docs/http-api.md), the whole protocol, behind lead_service::erase:
//   1. the lead appends `erased` (actors/lead_actor.cpp: decide, journal);
//   2. the journal deletes the lead's data key, in order with the appends
//      (actors/journal.cpp, storage::event_log::delete_key);
//   3. the eraser flushes and compacts so no file keeps the key, off the
//      journal's thread (actors/eraser.hpp);
//   4. the views apply `erased`, then their old rows are compacted away on
//      the projection runner's maintenance thread (this file);
// and only then is the caller answered. A failure at any step answers it.
#include <string>

#include "actors/lead_service.hpp"

namespace leadbase::projections {
class projection_runner;
class lead_views;
} // namespace leadbase::projections

namespace leadbase::actors {

/// The read side an erasure waits for. Both null (the importer, tests of the
/// write side alone): the erasure ends once the key is purged.
struct erasure_read_side {
  projections::projection_runner* runner = nullptr;
  projections::lead_views* views = nullptr;
};

/// Step 4: once the views applied `outcome.position` (at most 10 s: then
/// overloaded, "retry the call"), compacts the lead's old rows and calls `done`
/// with `outcome`, or with the compaction's error.
void finish_erasure(const erasure_read_side& read_side, const std::string& lead_id, append_outcome outcome,
                    append_callback done);

} // namespace leadbase::actors
