#pragma once
// The offline bulk rebuild of the current-view projection (lead_views): what
// `leadbase rebuild` runs, through projection_runner::rebuild_offline (see
// with_bulk_rebuild). It leaves exactly what the page-by-page runner leaves —
// the same view rows, the same index keys and values, the same checkpoint and
// fingerprint — but reads the log in key order and writes table files instead
// of replaying it in global order a page at a time.
//
// Operation
//   1. Clear, as the runner clears: lead_views::clear's DeleteRanges, the
//      checkpoint deleted and the fingerprint written, in one batch. Then the
//      table files wholly inside those ranges are dropped and the ranges
//      compacted, so no stale key survives anywhere and the new files can go
//      straight to the bottom level (nothing left to compact after).
//   2. Under one RocksDB snapshot: the log's last position (the `global`
//      family's last key) and, per thread, two forward iterators merge-joined
//      by lead id, over `events` (lead id, version: each lead's events come
//      together, in order) and over `keys` (the leads' data keys): no Get per
//      lead. `threads` threads each scan one key range of the log, cut at lead
//      ids where RocksDB's size estimates say the bytes split evenly.
//   3. Per lead: each event decoded and unsealed with the read path's own codec
//      (event_log::decode_stored; a lead whose key was destroyed reads
//      personal_erased, as everywhere), folded with `evolve` from `initial`,
//      and turned into its row and index entries by lead_views::rows_of (the
//      one place that knows the layout; const and pure, so the threads share
//      it). Rows come in lead id order, which is their key order, so they go
//      straight into views table files (each thread its own, for its range).
//   4. Index entries are not in key order: each thread collects them in a
//      chunk (its share of sort_budget_bytes), sorted and spilled to a run file
//      when full. At the end the runs and the last chunks (still in memory) are
//      merged into index table files by `threads` threads, one key range of
//      the index each (ranges from a sample of every run and chunk).
//   5. One atomic IngestExternalFiles: the views files, the index files, and a
//      meta file holding the checkpoint (the last position; none for an empty
//      log, as the runner). A crash before it leaves an empty projection at
//      position 0, which a runner replays; after it, the rebuilt projection.
//   Table files are cut at the bounds of the ranges clear() deletes, so the
//   next rebuild drops them whole. Temp files live in <data dir>/bulk_rebuild.tmp,
//   removed when done (and at the start of the next run after a crash).
//   Why table files: writing the same rows and index keys as WriteBatches
//   (disableWAL, 50k a batch) then flushing took 4.4 s at 100k leads where
//   sorting and table files take about 0.6 s (2-core machine, 2026-11-29).
//
// Progress: progress(events folded so far, last position), called as the scan
//   advances, strictly increasing, at most last − 1 until the files are
//   ingested; then (last, last). An empty log: (0, 0) once.
//
// Concurrency: offline only. Nothing may append to the log or apply to the
//   projection while it runs (`leadbase rebuild` holds the data dir's lock;
//   in-process callers stop the journal and the runner's thread). The snapshot
//   keeps the folded events and the checkpoint consistent anyway.
//
// Limitations: memory is about sort_budget_bytes plus the open table files'
//   buffers (at a million leads the 9M index entries take ~0.8 GB to sort, so
//   the default 1 GiB sorts them in memory; past ~1.2M leads runs spill, which
//   cost ~8% at 1M); the run files take at most as much disk.
//   Only lead_views: other projections, and online rebuilds, go page by page.
//   Folding alone (fold_pass below: decode, unseal, evolve) takes about 2.5
//   times the CPU of a plain scan of the log; with only writing the entries on
//   top, that is already half the scan's speed on 2 cores (rebuild_bench's
//   "floor with fold"), which bounds this rebuild's speed.
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
};

/// Rebuilds `views` from the whole log (see above).
result<bulk_rebuild_stats> bulk_rebuild(storage::event_log& log, lead_views& views,
                                        const bulk_rebuild_options& opts = {}, const bulk_progress& progress = {});

/// What fold_pass did.
struct fold_pass_stats {
  uint64_t leads = 0, events = 0;
  uint64_t versions = 0;  ///< the sum of every lead's version (the states are used, not just built)
  size_t ranges = 0;      ///< key ranges of the log folded in parallel
};

/// The rebuild's first step alone: every lead of the log folded exactly as
/// bulk_rebuild folds them (`threads` key ranges at once, events decoded and
/// unsealed, `evolve` from `initial`), writing nothing. What any rebuild of a
/// lead view must do before it writes a byte: rebuild_bench times it as part
/// of the floor it prints beside the rebuild.
result<fold_pass_stats> fold_pass(const storage::event_log& log, unsigned threads = 2);

/// `base` with rebuild_offline() doing bulk_rebuild of `views` instead of
/// replaying page by page. Online rebuilds (the runner's thread) still page.
/// `log` and `views` must outlive the runner.
runner_options with_bulk_rebuild(storage::event_log& log, lead_views& views, runner_options base = {},
                                 bulk_rebuild_options opts = {});

} // namespace leadbase::projections
