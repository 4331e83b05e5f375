#pragma once
// GET /v1/stats, GET /v1/stats/series and the domain families of GET /metrics
// (projections/stats.hpp defines every figure) as a persistent projection,
// driven by the projection runner like the views (projections/runner.hpp):
// one tailer, one checkpoint, one when_reached.
//
// Operation
//   apply() folds a page's events into the leads' states with `evolve`,
//   summarises each lead (stats.hpp) and writes, in the runner's batch that
//   also holds the checkpoint: the leads' new summaries, the totals, and the
//   minute and hour time buckets the page changed (read, added to, written;
//   stats_codec.hpp has the keys and why buckets). A crash keeps a whole page
//   or none of it; nothing is counted twice or lost. Start-up reads nothing
//   but the checkpoint: its cost does not grow with the history.
//   Lead states: a bounded LRU cache of recently touched leads, personal
//   fields replaced by "*"; on a miss the state is re-folded from the log up
//   to the event (the `loader`; a signup, version 1, needs none). A page's
//   states enter the cache only once its batch is committed, so a page that
//   fails and is applied again folds every event once. Without a loader the
//   cache is unbounded (tests and small logs only).
//   Reads: every read (report, series, counters) is made under one RocksDB
//   snapshot, so it sees whole pages only.
//
// Rebuild (with_stats_rebuild): one sequential scan of the log in lead order
//   under a snapshot at position P (storage/lead_scan.hpp, no re-folds), into
//   the other key generation (stats_codec.hpp), then one batch switches the
//   generation, sets the checkpoint P and the fingerprint and deletes the old
//   generation: readers see the old stats or the new, never part of either.
//   A data dir without the stats (an earlier version, `import`) is built this
//   way at the first start; until it is, the runner is not caught up, so
//   /readyz and /v1/stats answer 503. An unreadable event makes the scan give
//   up (errc::corrupt_data): the runner then replays page by page, recording
//   the damage as for any projection.
//
// Concurrency: apply/clear/committed/rebuild on the runner's threads (the
//   runner never runs two at once); reads on any thread.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "projections/runner.hpp"
#include "projections/stats.hpp"

namespace leadbase {

/// One point of GET /v1/stats/series: the step starting at `at`.
struct stats_point {
  millis at = 0;
  int64_t signups = 0, enrichment_succeeded = 0, enrichment_failed = 0;
  std::optional<int64_t> processing_ms_p95;  ///< null when no lead became final in the step
  int64_t contacts = 0, meetings_booked = 0;
};

struct stats_series {
  millis step_ms = 0;
  std::vector<stats_point> points;  ///< oldest first; the last holds `now`
};

/// Series bounds (docs/http-api.md): step a whole number of minutes from 1 min to 1 day,
/// window from one step to 31 days, at most max_series_points points.
inline constexpr millis min_series_step = minute_ms;
inline constexpr millis max_series_step = 24 * hour_ms;
inline constexpr millis max_series_window = 31 * 24 * hour_ms;
inline constexpr size_t max_series_points = 1440;

class stats_projection final : public projections::projection {
 public:
  /// Uses the log's `stats` family; the log outlives this.
  explicit stats_projection(storage::event_log& log, stats_options opts = {}, lead_state_loader loader = {});
  ~stats_projection() override;

  // -- projection -------------------------------------------------------------
  std::string name() const override { return "stats"; }
  std::string fingerprint() const override;
  status apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) override;
  status clear(rocksdb::WriteBatch& batch) override;
  void committed() override;

  /// The rebuild beside the serving stats (see the file comment).
  result<projections::rebuilt> rebuild(const projections::rebuild_progress& progress,
                                       const std::atomic<bool>& cancel);

  // -- reads (any thread) --------------------------------------------------------
  /// The window (now − window_ms, now], widened to whole minutes.
  result<stats_report> report(millis window_ms, millis now) const;
  /// Points of `step_ms` (a whole number of minutes) aligned on multiples of
  /// it since the epoch, covering the window up to `now`.
  result<stats_series> series(millis window_ms, millis step_ms, millis now) const;
  result<stats_counters> counters() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// runner_options whose rebuild_beside is stats.rebuild().
projections::runner_options with_stats_rebuild(stats_projection& stats, projections::runner_options base = {});

} // namespace leadbase
