#include "projections/bulk_rebuild.hpp"

#include "projections/bulk_fold.hpp"
#include "projections/rebuild_scan.hpp"
#include "projections/rebuild_swap.hpp"
#include "projections/rebuild_write.hpp"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/lead_state.hpp"
#include "events/logging.hpp"
#include "events/thread_name.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"
#include "storage/lead_scan.hpp"

namespace leadbase::projections {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}

using storage::storage_error;
using bulk_fold::fold_shared;
using bulk_fold::lead_ranges;
using bulk_fold::run_ranges;
using bulk_fold::skipped_event;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace

using namespace rebuild;

result<bulk_rebuild_stats> bulk_rebuild(storage::event_log& log, lead_views& views,
                                        const bulk_rebuild_options& opts, const bulk_progress& progress) {
  const auto t_start = clock_type::now();
  rocksdb::DB* db = log.raw_rocksdb();
  auto* events_cf = log.cf(storage::key_space::events);
  auto* global_cf = log.cf(storage::key_space::global);
  auto* views_cf = log.cf(storage::key_space::views);
  auto* index_cf = log.cf(storage::key_space::index);
  auto* meta_cf = log.cf(storage::key_space::meta);
  if (!events_cf || !log.cf(storage::key_space::keys) || !global_cf || !views_cf || !index_cf || !meta_cf)
    return error{errc::internal, "the log lacks a column family the bulk rebuild needs"};
  const unsigned threads = std::max(opts.threads, 1u);

  auto owned = projection_ranges(log, views);
  if (!owned) return owned.err();
  auto cancelled = [&] { return opts.cancel && opts.cancel->load(std::memory_order_relaxed); };
  auto cancel_error = [] { return error{errc::internal, "the rebuild was cancelled; the projection is unchanged"}; };

  // Everything below reads at this snapshot: the folded events and the
  // checkpoint agree however much is appended meanwhile (the runner applies
  // those events after the switch, from the checkpoint).
  storage::log_snapshot snap(log);
  if (!snap.last_position()) return snap.last_position().err();
  const global_position head = *snap.last_position();
  bool replaced = false;
  for (auto [cf, ranges] : {std::pair{views_cf, &owned->views}, std::pair{index_cf, &owned->index}}) {
    auto held = holds_keys(db, cf, snap.get(), *ranges);
    if (!held) return held.err();
    replaced |= *held;
  }
  const double t_clear = seconds_since(t_start);
  if (progress) progress(0, head);

  dir_guard tmp{fs::path(db->GetName()) / tmp_dir_name};
  {
    std::error_code ec;
    fs::remove_all(tmp.path, ec);  // left by a crashed run
    fs::create_directories(tmp.path, ec);
    if (ec) return error{errc::storage_failure, "cannot create " + tmp.path.string() + ": " + ec.message()};
  }

  // -- scan and fold, one key range per thread ---------------------------------------------
  const auto t_scan = clock_type::now();
  auto ranges = lead_ranges(log, snap, threads);
  if (!ranges) return ranges.err();
  const size_t parts = ranges->size();
  std::atomic<uint64_t> folded{0};
  std::atomic<bool> stop{false};
  global_position reported = 0;
  uint64_t reported_permille = 0;
  auto report = [&] {
    if (!progress || head < 2) return;
    const global_position at = std::min<global_position>(folded.load(std::memory_order_relaxed), head - 1);
    const uint64_t permille = at * 1000 / head;
    if (at > reported && permille != reported_permille) {
      progress(at, head);
      reported = at;
      reported_permille = permille;
    }
  };
  std::vector<partition_job> jobs(parts);
  std::vector<partition_out> outs(parts);
  for (size_t i = 0; i < parts; ++i) {
    partition_job& j = jobs[i];
    j.log = &log;
    j.views = &views;
    j.snapshot = &snap;
    j.range = (*ranges)[i];
    j.dir = tmp.path;
    j.name = std::to_string(i);
    // Blocks small enough that a small budget (tests) still fills several.
    j.chunk_block = std::clamp<size_t>(opts.sort_budget_bytes / parts / 16, 16 << 10, 4 << 20);
    j.chunk_budget = std::max<size_t>(opts.sort_budget_bytes / parts, 2 * j.chunk_block);
    j.target_file_bytes = opts.target_file_bytes;
    j.folded = &folded;
    j.stop = &stop;
    j.views_cover = &owned->views;
    j.cancel = opts.cancel;
  }
  jobs[0].tick = report;  // progress is reported from the calling thread only
  auto failure = run_ranges(
      parts, "lb-bulk-scan", [&](size_t i) { return scan_partition(jobs[i], outs[i]); }, stop, report);
  uint64_t leads = 0, events = 0, index_entries = 0;
  double sort_seconds = 0;
  std::vector<std::string> views_files;
  std::vector<run_file> runs;
  std::vector<const chunk*> chunks;
  std::vector<skipped_event> skipped;
  if (failure) return *failure;
  if (cancelled()) return cancel_error();
  for (auto& o : outs) {
    for (auto& d : o.damaged) skipped.push_back(std::move(d));
    leads += o.leads;
    events += o.events;
    index_entries += o.index_entries;
    sort_seconds += o.sort_seconds;
    views_files.insert(views_files.end(), o.views_files.begin(), o.views_files.end());
    for (auto& r : o.runs) runs.push_back(std::move(r));
    if (o.last && !o.last->empty()) chunks.push_back(o.last.get());
  }
  // Damage (what the page replay would skip and record) is recorded here
  // too, with the new projection, so the build succeeds on a damaged log.
  std::vector<damaged_record> damage;
  if (!skipped.empty() || events != head) {
    auto located = locate_damage(log, snap, skipped, events + skipped.size() < head, head);
    if (!located) return located.err();
    damage = std::move(*located);
  }
  if (events + damage.size() != head)
    return error{errc::corrupt_data, "the events family holds " + std::to_string(events) + " readable and " +
                                         std::to_string(damage.size()) +
                                         " damaged events but the global log ends at position " +
                                         std::to_string(head)};
  for (const auto& d : damage)
    logger()->error("projection {}: the event at position {} (version {}) cannot be read and was skipped: {}",
                    views.name(), d.position, d.version, d.reason);
  const double t_scanned = seconds_since(t_scan);

  // -- the index files, the checkpoint, one ingestion --------------------------------------
  const auto t_write = clock_type::now();
  uint64_t index_written = 0;
  auto index_files =
      write_index(db, index_cf, tmp.path, runs, chunks, threads, opts.target_file_bytes, owned->index, index_written);
  if (!index_files) return index_files.err();
  if (index_written != index_entries) return error{errc::internal, "the index merge lost entries"};
  outs.clear();  // the chunks
  const double t_written = seconds_since(t_write);

  const auto t_ingest = clock_type::now();
  if (cancelled()) return cancel_error();
  {
    // The checkpoint and the fingerprint go in with the rows, in one atomic
    // ingestion whose range tombstones hide the old projection: readers see
    // the old projection (at its checkpoint) or the new one (at this one),
    // never a part of either; a crash before it leaves the old one.
    // Its range tombstone replaces the old projection's damage records with
    // the ones this build found, in the same ingestion.
    const key_ranges damage_cover{{damaged_prefix(views.name()), damaged_end(views.name())}};
    sst_sink meta_sink(db, meta_cf, tmp.path, "meta", opts.target_file_bytes, {}, &damage_cover);
    // An empty log has no checkpoint, as with the runner (keys in order: 'c' < 'd' < 'f').
    if (head > 0) {
      if (auto s = meta_sink.put(checkpoint_key(views.name()), storage::keys::be64(head)); !s) return s.err();
    }
    for (const auto& d : damage) {
      if (auto s = meta_sink.put(damaged_key(views.name(), d.position), encode_damage(d)); !s) return s.err();
    }
    if (auto s = meta_sink.put(fingerprint_key(views.name()), views.fingerprint()); !s) return s.err();
    if (auto s = meta_sink.finish(); !s) return s.err();
    std::vector<std::string> meta_files = meta_sink.files();
    if (head == 0) {
      // Nothing to ingest a checkpoint's deletion with: a plain delete, before
      // (an empty log has no projection to serve meanwhile).
      auto s = db->Delete(rocksdb::WriteOptions(), meta_cf, checkpoint_key(views.name()));
      if (!s.ok()) return storage_error(s, "delete the checkpoint");
    }
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;           // hard links: the files are in the data dir already
    io.write_global_seqno = false;  // never write into a finished file
    std::vector<rocksdb::IngestExternalFileArg> args;
    auto add = [&](rocksdb::ColumnFamilyHandle* cf, const std::vector<std::string>& files) {
      if (files.empty()) return;
      rocksdb::IngestExternalFileArg a;
      a.column_family = cf;
      a.external_files = files;
      a.options = io;
      args.push_back(std::move(a));
    };
    add(views_cf, views_files);
    add(index_cf, *index_files);
    add(meta_cf, meta_files);
    auto s = db->IngestExternalFiles(args);
    if (!s.ok()) return storage_error(s, "ingest the rebuilt projection");
  }
  if (progress && head > 0) progress(head, head);

  logger()->info(
      "projection {}: bulk rebuild to position {}{}: {} leads, {} events, {} index entries; {} scan threads, {} "
      "sorted runs spilled, {} views + {} index files; prepare {:.2f} s, scan+fold {:.2f} s (sorting {:.2f} s of "
      "it), index files {:.2f} s, ingest {:.2f} s, total {:.2f} s",
      views.name(), head, replaced ? " (replacing the old projection)" : "", leads, events, index_entries, parts,
      runs.size(), views_files.size(),
      index_files->size(), t_clear, t_scanned, sort_seconds, t_written, seconds_since(t_ingest),
      seconds_since(t_start));
  bulk_rebuild_stats stats;
  stats.position = head;
  stats.leads = leads;
  stats.events = events;
  stats.index_entries = index_entries;
  stats.scan_ranges = parts;
  stats.runs = runs.size();
  stats.views_files = views_files.size();
  stats.index_files = index_files->size();
  stats.replaced = replaced;
  stats.damaged_events = damage.size();
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
