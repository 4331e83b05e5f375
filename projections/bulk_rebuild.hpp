#pragma once
// The bulk rebuild of the current-view projection (lead_views): what
// `leadbase rebuild`, `POST /v1/admin/projections/rebuild` and a start-up with
// changed settings run, through the runner's rebuild_beside (see
// with_bulk_rebuild). It leaves exactly what the page-by-page runner leaves —
// the same view rows, the same index keys and values, the same checkpoint and
// fingerprint — but reads the log in key order and writes table files instead
// of replaying it in global order a page at a time; and it builds the new
// projection beside the one that serves, which it replaces in one atomic step.
//
// Operation
//   1. Under one RocksDB snapshot: the log's last position (the `global`
//      family's last key) and, per thread, two forward iterators merge-joined
//      by lead id, over `events` (lead id, version: each lead's events come
//      together, in order) and over `keys` (the leads' data keys): no Get per
//      lead. `threads` threads each scan one key range of the log, cut at lead
//      ids where RocksDB's size estimates say the bytes split evenly.
//   2. Per lead: each event decoded and unsealed with the read path's own codec
//      (event_log::decode_stored; a lead whose key was destroyed reads
//      personal_erased, as everywhere), folded with `evolve` from `initial`,
//      and turned into its row and index entries by lead_views::rows_of (the
//      one place that knows the layout; const and pure, so the threads share
//      it). Rows come in lead id order, which is their key order, so they go
//      straight into views table files (each thread its own, for its range).
//   3. Index entries are not in key order: each thread collects them in a
//      chunk (its share of sort_budget_bytes), sorted and spilled to a run file
//      when full. At the end the runs and the last chunks (still in memory) are
//      merged into index table files by `threads` threads, one key range of
//      the index each (ranges from a sample of every run and chunk).
//   4. The switch: one atomic IngestExternalFiles of the views files, the
//      index files, and a meta file with the checkpoint (the snapshot's last
//      position; none for an empty log, as the runner) and the fingerprint.
//      The table files partition the ranges lead_views::clear owns, and each
//      carries range tombstones for its part of them: an ingested tombstone
//      hides every older key of its range but not its own file's keys (same
//      sequence number). So until the ingestion readers see the old projection
//      whole, after it the new one whole; a query under an older snapshot
//      still sees the old one. A crash before it leaves the old projection
//      (and its checkpoint and fingerprint) as it was.
//   Damage (projections/runner.hpp): an event the scan cannot decode (or
//   unseal: an unreadable data key) is skipped, as the page replay skips it,
//   and a lead none of whose events folds gets no row. If the scan skipped any
//   or folded fewer events than the last position, one walk of the `global`
//   family (same snapshot) gives each skipped event its position and finds
//   the positions whose event is missing; those are the damage records
//   (meta `damaged/<projection>/<position>`, the runner's format), written
//   into the meta file of step 4 with a range tombstone over the projection's
//   old records: after the switch the records describe the new projection
//   and the runner reloads them. Damage it cannot place (an event no position
//   names) fails the build with corrupt_data, the projection unchanged.
//   5. The old keys stay in older files under the tombstones until a
//      compaction drops them: compact_replaced() (the runner runs it in the
//      background after an online rebuild; `leadbase rebuild` before it exits).
//   Table files are cut at the bounds of those ranges. Temp files live in
//   <data dir>/bulk_rebuild.tmp, removed when done (and by
//   discard_unfinished_rebuild, at the start of the next run after a crash).
//   Why table files: writing the same rows and index keys as WriteBatches
//   (disableWAL, 50k a batch) then flushing took 4.4 s at 100k leads where
//   sorting and table files take about 0.6 s (2-core machine, 2026-11-29).
//
// Progress: progress(events folded so far, last position), called as the scan
//   advances, strictly increasing, at most last − 1 until the files are
//   ingested; then (last, last). An empty log: (0, 0) once.
//
// Concurrency: nothing may apply to the projection while it runs (the
//   runner's thread waits for it; `leadbase rebuild` holds the data dir's
//   lock); appends may go on: the snapshot keeps the folded events and the
//   checkpoint consistent, and the runner applies the later events after the
//   switch. Reads go on throughout. `cancel` (optional) makes it give up
//   between leads, leaving the projection unchanged.
//
// Limitations: memory is about sort_budget_bytes plus the open table files'
//   buffers (at a million leads the 9M index entries take ~0.8 GB to sort, so
//   the default 1 GiB sorts them in memory; past ~1.2M leads runs spill, which
//   cost ~8% at 1M); the run files take at most as much disk. Replacing a
//   projection that has keys puts the new files in level 0 above the old ones
//   (an empty one: straight to the bottom level) and needs the old one's disk
//   space until compact_replaced. The snapshot pins the log while it runs, so
//   an erasure meanwhile is compacted away only after it (lead_views::compact_lead
//   runs after the views have applied the erasure, i.e. after the switch).
//   Only lead_views: other projections rebuild page by page.
//   Folding alone (projections/bulk_fold.hpp: decode, unseal, evolve;
//   benchmarks/fold_pass.hpp times it alone) takes about 2.5
//   times the CPU of a plain scan of the log; with only writing the entries on
//   top, that is already half the scan's speed on 2 cores (rebuild_bench's
//   "floor with fold"), which bounds this rebuild's speed.
#include <atomic>
#include <cstddef>
#include <functional>

#include "events/errc.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "storage/event_log.hpp"

namespace leadbase::projections {

struct bulk_rebuild_options {
  /// Memory for index entries waiting to be sorted, shared by the scan
  /// threads; a thread whose share fills sorts it and spills it as a run.
  size_t sort_budget_bytes = size_t{1} << 30;
  /// The views and index table files roll over at about this size.
  size_t target_file_bytes = size_t{64} << 20;
  /// Threads that scan and fold (one key range of the log each) and that
  /// write the index files at the end (one key range of the index each).
  unsigned threads = 2;
  /// When set and true, the rebuild gives up (the projection unchanged).
  const std::atomic<bool>* cancel = nullptr;
};

/// (events folded so far, last position of the log)
using bulk_progress = std::function<void(global_position, global_position)>;

/// What a bulk rebuild did.
struct bulk_rebuild_stats {
  global_position position = 0;  ///< the projection's checkpoint now: the log's last position
  uint64_t leads = 0, events = 0, index_entries = 0;
  size_t scan_ranges = 0;  ///< key ranges of the log scanned in parallel
  size_t runs = 0;         ///< sorted runs spilled to disk
  size_t views_files = 0, index_files = 0;
  bool replaced = false;  ///< an old projection had keys: compact_replaced() reclaims them
  uint64_t damaged_events = 0;  ///< events that cannot be read: skipped and recorded (runner.hpp, damage)
};

/// Rebuilds `views` from the whole log beside the old one and swaps it in (see above).
result<bulk_rebuild_stats> bulk_rebuild(storage::event_log& log, lead_views& views,
                                        const bulk_rebuild_options& opts = {}, const bulk_progress& progress = {});

/// Compacts the ranges of the projection, dropping the keys a bulk rebuild's
/// tombstones hid (and the tombstones). Safe while the service runs.
status compact_replaced(storage::event_log& log, lead_views& views);

/// Removes the temp files of a bulk rebuild that did not finish (a crash):
/// they may hold view rows. Call before the runner starts.
status discard_unfinished_rebuild(const storage::event_log& log);

/// `base` with rebuild_beside doing bulk_rebuild of `views` (offline, online
/// and at start-up), with compact_replaced as its cleanup when it replaced
/// keys. `log` and `views` must outlive the runner.
runner_options with_bulk_rebuild(storage::event_log& log, lead_views& views, runner_options base = {},
                                 bulk_rebuild_options opts = {});

} // namespace leadbase::projections
