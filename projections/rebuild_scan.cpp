#include "projections/rebuild_scan.hpp"

#include <rocksdb/iterator.h>

#include <chrono>
#include <unordered_map>

#include "events/logging.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections::rebuild {
namespace {

using clock_type = std::chrono::steady_clock;
using bulk_fold::fold_range;

std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Scans the events of the leads in [lo, hi) with their data keys beside,
/// folds each lead, writes its row into views files and sorts its index
/// entries into chunks (spilled as runs when a chunk fills).
status scan_range(const partition_job& job, partition_out& out) {
  // This range's rows cover [row_key(lo), row_key(hi)) of the views family.
  std::pair<std::string, std::string> region{view_keys::row_key(job.range.lo),
                                             job.range.hi.empty() ? std::string() : view_keys::row_key(job.range.hi)};
  sst_sink views_sink(job.views->store(), view_family::views, job.dir, "views-" + job.name, job.target_file_bytes,
                      bounds_of(*job.views_cover), job.views_cover, std::move(region));
  auto current = std::make_unique<chunk>(job.chunk_budget, job.chunk_block);
  auto finish_lead = [&](const lead_state& state) -> status {
    const auto rows = job.views->rows_of(state);
    if (auto s = views_sink.put(rows.row_key, rows.row_value); !s) return s;
    for (const auto& [k, v] : rows.index) current->add(k, v);
    out.index_entries += rows.index.size();
    ++out.leads;
    if (current->full()) {
      const auto t0 = clock_type::now();
      current->sort();
      auto run = spill(*current, (job.dir / ("run-" + job.name + "-" + std::to_string(out.runs.size()))).string());
      if (!run) return run.err();
      out.runs.push_back(std::move(*run));
      current = std::make_unique<chunk>(job.chunk_budget, job.chunk_block);
      out.sort_seconds += seconds_since(t0);
    }
    return ok();
  };

  auto scanned = fold_range(*job.log, *job.snapshot, job.range, finish_lead,
                            {job.folded, job.stop, job.tick ? &job.tick : nullptr, job.cancel}, out.events,
                            &out.damaged);
  if (!scanned) return scanned;
  if (auto s = views_sink.finish(); !s) return s;
  out.views_files = views_sink.files();
  const auto t0 = clock_type::now();
  current->sort();
  out.last = std::move(current);
  out.sort_seconds += seconds_since(t0);
  return ok();
}

} // namespace

result<std::vector<damaged_record>> locate_damage(const view_store& store, const storage::log_snapshot& snap,
                                                  const std::vector<skipped_event>& skipped, bool find_missing,
                                                  global_position head) {
  std::unordered_map<std::string, const skipped_event*> by_key;
  for (const auto& e : skipped) by_key.emplace(storage::keys::event_key(e.lead_id, e.version), &e);
  std::vector<damaged_record> out;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  // Pending existence checks: (position, event key).
  std::vector<std::pair<global_position, std::string>> pending;
  auto check_pending = [&]() -> status {
    if (pending.empty()) return ok();
    std::vector<std::string> keys;
    keys.reserve(pending.size());
    for (const auto& p : pending) keys.push_back(p.second);
    std::vector<rocksdb::PinnableSlice> values;
    std::vector<rocksdb::Status> statuses;
    store.log_events_get(ro, keys, values, statuses);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) continue;
      if (!statuses[i].IsNotFound()) return storage_error(statuses[i], "read an event for the damage records");
      damaged_record r;
      r.position = pending[i].first;
      std::string_view lead;
      if (storage::keys::split_event_key(pending[i].second, lead, r.version)) r.lead_id.assign(lead);
      r.reason = "the event is missing";
      out.push_back(std::move(r));
    }
    pending.clear();
    return ok();
  };
  auto it = store.log_positions(ro);
  for (it->Seek(storage::keys::position_key(1)); it->Valid(); it->Next()) {
    const auto k = it->key().ToStringView();
    if (k.size() != 8) continue;
    const global_position pos = storage::keys::read_be64(k);
    if (pos > head) break;
    const auto v = it->value().ToStringView();
    if (auto found = by_key.find(std::string(v)); found != by_key.end()) {
      out.push_back({pos, found->second->lead_id, found->second->version, found->second->reason});
      by_key.erase(found);
    } else if (find_missing) {
      pending.emplace_back(pos, std::string(v));
      if (pending.size() == 4096) {
        if (auto st = check_pending(); !st) return st.err();
      }
    }
  }
  if (!it->status().ok()) return storage_error(it->status(), "read the global index for the damage records");
  if (auto st = check_pending(); !st) return st.err();
  if (!by_key.empty())
    return error{errc::corrupt_data, "an event that cannot be read (lead version " +
                                         std::to_string(by_key.begin()->second->version) +
                                         ") is not in the global index: " + by_key.begin()->second->reason};
  std::sort(out.begin(), out.end(),
            [](const damaged_record& a, const damaged_record& b) { return a.position < b.position; });
  return out;
}

status scan_partition(const partition_job& job, partition_out& out) {
  const auto t0 = clock_type::now();
  auto s = scan_range(job, out);
  logger()->debug("bulk rebuild scan range {}: {} leads, {} events in {:.2f} s", job.name, out.leads, out.events,
                  seconds_since(t0));
  return s;
}

} // namespace leadbase::projections::rebuild
