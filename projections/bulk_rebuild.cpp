#include "projections/bulk_rebuild.hpp"

#include "projections/bulk_fold.hpp"
#include "projections/rebuild_scan.hpp"
#include "projections/rebuild_swap.hpp"
#include "projections/rebuild_write.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "events/logging.hpp"
#include "storage/lead_scan.hpp"

namespace leadbase::projections {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}

using bulk_fold::lead_ranges;
using bulk_fold::run_ranges;
using bulk_fold::skipped_event;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace

using namespace rebuild;

namespace {

/// What the scan threads produced, together. `outs` own the last chunks.
struct scan_result {
  std::vector<partition_out> outs;
  size_t parts = 0;  // key ranges scanned
  uint64_t leads = 0, events = 0, index_entries = 0;
  double sort_seconds = 0;
  std::vector<std::string> views_files;
  std::vector<run_file> runs;
  std::vector<const chunk*> chunks;
  std::vector<skipped_event> skipped;
};

/// Reports progress from the calling thread: strictly increasing, at most
/// head - 1, at most once a permille.
struct progress_reporter {
  const bulk_progress& progress;
  global_position head;
  const std::atomic<uint64_t>& folded;
  global_position reported = 0;
  uint64_t reported_permille = 0;

  void operator()() {
    if (!progress || head < 2) return;
    const global_position at = std::min<global_position>(folded.load(std::memory_order_relaxed), head - 1);
    const uint64_t permille = at * 1000 / head;
    if (at > reported && permille != reported_permille) {
      progress(at, head);
      reported = at;
      reported_permille = permille;
    }
  }
};

/// Scans and folds the log, one key range per thread.
result<scan_result> scan_all(storage::event_log& log, const lead_views& views, const storage::log_snapshot& snap,
                             const bulk_rebuild_options& opts, const bulk_progress& progress, const fs::path& dir,
                             const key_ranges& views_cover) {
  const global_position head = *snap.last_position();
  auto ranges = lead_ranges(log, snap, std::max(opts.threads, 1u));
  if (!ranges) return ranges.err();
  const size_t parts = ranges->size();
  std::atomic<uint64_t> folded{0};
  std::atomic<bool> stop{false};
  progress_reporter reporter{progress, head, folded};
  std::function<void()> report = [&reporter] { reporter(); };
  std::vector<partition_job> jobs(parts);
  scan_result out;
  out.parts = parts;
  out.outs.resize(parts);
  for (size_t i = 0; i < parts; ++i) {
    partition_job& j = jobs[i];
    j.log = &log;
    j.views = &views;
    j.snapshot = &snap;
    j.range = (*ranges)[i];
    j.dir = dir;
    j.name = std::to_string(i);
    // Blocks small enough that a small budget (tests) still fills several.
    j.chunk_block = std::clamp<size_t>(opts.sort_budget_bytes / parts / 16, 16 << 10, 4 << 20);
    j.chunk_budget = std::max<size_t>(opts.sort_budget_bytes / parts, 2 * j.chunk_block);
    j.target_file_bytes = opts.target_file_bytes;
    j.folded = &folded;
    j.stop = &stop;
    j.views_cover = &views_cover;
    j.cancel = opts.cancel;
  }
  jobs[0].tick = report;  // progress is reported from the calling thread only
  auto failure = run_ranges(
      parts, "lb-bulk-scan", [&](size_t i) { return scan_partition(jobs[i], out.outs[i]); }, stop, report);
  if (failure) return *failure;
  for (auto& o : out.outs) {
    for (auto& d : o.damaged) out.skipped.push_back(std::move(d));
    out.leads += o.leads;
    out.events += o.events;
    out.index_entries += o.index_entries;
    out.sort_seconds += o.sort_seconds;
    out.views_files.insert(out.views_files.end(), o.views_files.begin(), o.views_files.end());
    for (auto& r : o.runs) out.runs.push_back(std::move(r));
    if (o.last && !o.last->empty()) out.chunks.push_back(o.last.get());
  }
  return out;
}

/// The damage records of a build: what the page replay would skip and
/// record is recorded here too, with the new projection, so the build
/// succeeds on a damaged log.
result<std::vector<damaged_record>> damage_of(const lead_views& views, const storage::log_snapshot& snap,
                                              const scan_result& scan, global_position head) {
  std::vector<damaged_record> damage;
  if (!scan.skipped.empty() || scan.events != head) {
    auto located = locate_damage(views.store(), snap, scan.skipped, scan.events + scan.skipped.size() < head, head);
    if (!located) return located.err();
    damage = std::move(*located);
  }
  if (scan.events + damage.size() != head)
    return error{errc::corrupt_data, "the events family holds " + std::to_string(scan.events) + " readable and " +
                                         std::to_string(damage.size()) +
                                         " damaged events but the global log ends at position " +
                                         std::to_string(head)};
  for (const auto& d : damage)
    logger()->error("projection {}: the event at position {} (version {}) cannot be read and was skipped: {}",
                    views.name(), d.position, d.version, d.reason);
  return damage;
}

/// Whether the old projection has keys at the snapshot (then the new one
/// replaces them, and compact_replaced reclaims them).
result<bool> replaces_keys(const view_store& store, const storage::log_snapshot& snap, const owned_ranges& owned) {
  bool replaced = false;
  for (auto [family, ranges] : {std::pair{view_family::views, &owned.views},
                                std::pair{view_family::index, &owned.index}}) {
    auto held = holds_keys(store, family, snap.get(), *ranges);
    if (!held) return held.err();
    replaced |= *held;
  }
  return replaced;
}

status make_tmp_dir(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);  // left by a crashed run
  fs::create_directories(path, ec);
  if (ec) return error{errc::storage_failure, "cannot create " + path.string() + ": " + ec.message()};
  return ok();
}

} // namespace

result<bulk_rebuild_stats> bulk_rebuild(storage::event_log& log, lead_views& views,
                                        const bulk_rebuild_options& opts, const bulk_progress& progress) {
  const auto t_start = clock_type::now();
  const view_store& store = views.store();
  if (!store.has_families() || !store.has_log_families())
    return error{errc::internal, "the log lacks a column family the bulk rebuild needs"};
  const owned_ranges owned = projection_ranges();
  auto cancelled = [&] { return opts.cancel && opts.cancel->load(std::memory_order_relaxed); };
  auto cancel_error = [] { return error{errc::internal, "the rebuild was cancelled; the projection is unchanged"}; };

  // Everything below reads at this snapshot: the folded events and the
  // checkpoint agree however much is appended meanwhile (the runner applies
  // those events after the switch, from the checkpoint).
  storage::log_snapshot snap(log);
  if (!snap.last_position()) return snap.last_position().err();
  built_projection built;
  built.head = *snap.last_position();
  auto replaced = replaces_keys(store, snap, owned);
  if (!replaced) return replaced.err();
  const double t_clear = seconds_since(t_start);
  if (progress) progress(0, built.head);
  dir_guard tmp{fs::path(store.data_dir()) / tmp_dir_name};
  if (auto s = make_tmp_dir(tmp.path); !s) return s.err();

  const auto t_scan = clock_type::now();
  auto scan = scan_all(log, views, snap, opts, progress, tmp.path, owned.views);
  if (!scan) return scan.err();
  if (cancelled()) return cancel_error();
  auto damage = damage_of(views, snap, *scan, built.head);
  if (!damage) return damage.err();
  built.damage = std::move(*damage);
  const double t_scanned = seconds_since(t_scan);

  // -- the index files, the checkpoint, one ingestion --------------------------------------
  const auto t_write = clock_type::now();
  uint64_t index_written = 0;
  auto index_files = write_index(store, tmp.path, scan->runs, scan->chunks, std::max(opts.threads, 1u),
                                 opts.target_file_bytes, owned.index, index_written);
  if (!index_files) return index_files.err();
  if (index_written != scan->index_entries) return error{errc::internal, "the index merge lost entries"};
  scan->chunks.clear();
  scan->outs.clear();  // the chunks
  const double t_written = seconds_since(t_write);

  const auto t_ingest = clock_type::now();
  if (cancelled()) return cancel_error();
  built.views_files = scan->views_files;
  built.index_files = std::move(*index_files);
  if (auto s = swap_in(views, built, tmp.path, opts.target_file_bytes); !s) return s.err();
  if (progress && built.head > 0) progress(built.head, built.head);

  logger()->info(
      "projection {}: bulk rebuild to position {}{}: {} leads, {} events, {} index entries; {} scan threads, {} "
      "sorted runs spilled, {} views + {} index files; prepare {:.2f} s, scan+fold {:.2f} s (sorting {:.2f} s of "
      "it), index files {:.2f} s, ingest {:.2f} s, total {:.2f} s",
      views.name(), built.head, *replaced ? " (replacing the old projection)" : "", scan->leads, scan->events,
      scan->index_entries, scan->parts, scan->runs.size(),
      built.views_files.size(), built.index_files.size(), t_clear, t_scanned, scan->sort_seconds, t_written,
      seconds_since(t_ingest), seconds_since(t_start));
  bulk_rebuild_stats stats;
  stats.position = built.head;
  stats.leads = scan->leads;
  stats.events = scan->events;
  stats.index_entries = scan->index_entries;
  stats.scan_ranges = scan->parts;
  stats.runs = scan->runs.size();
  stats.views_files = built.views_files.size();
  stats.index_files = built.index_files.size();
  stats.replaced = *replaced;
  stats.damaged_events = built.damage.size();
  return stats;
}

runner_options with_bulk_rebuild(storage::event_log& log, lead_views& views, runner_options base,
                                 bulk_rebuild_options opts) {
  base.rebuild_beside = [&log, &views, opts](const rebuild_progress& progress,
                                             const std::atomic<bool>& cancel) -> result<rebuilt> {
    bulk_rebuild_options o = opts;
    o.cancel = &cancel;
    auto stats = bulk_rebuild(log, views, o, progress);
    if (!stats) return stats.err();
    rebuilt out;
    out.position = stats->position;
    if (stats->replaced) out.cleanup = [&log, &views] { return compact_replaced(log, views); };
    return out;
  };
  return base;
}

} // namespace leadbase::projections
