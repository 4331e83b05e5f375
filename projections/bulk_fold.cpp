#include "projections/bulk_fold.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "events/thread_name.hpp"
#include "projections/view_store.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections::bulk_fold {
namespace {

using storage::keys::be_word;
using storage::storage_error;

/// A string strictly between a and b (a < b) near the middle of the 8 bytes
/// after their common prefix, or nullopt when there is no room left.
std::optional<std::string> midpoint(const std::string& a, const std::string& b) {
  size_t p = 0;
  while (p < a.size() && p < b.size() && a[p] == b[p]) ++p;
  const uint64_t va = be_word(a, p), vb = be_word(b, p);
  if (vb <= va + 1) return std::nullopt;
  std::string m = a.substr(0, p);
  storage::keys::put_be64(m, va + (vb - va) / 2);
  while (m.size() > p + 1 && m.back() == '\0') m.pop_back();  // the shortest string of that value
  if (!(a < m && m < b)) return std::nullopt;
  return m;
}

/// Lead ids that cut the `events` family into `parts` ranges of about equal
/// size (RocksDB's size estimates, bisected), so each scan thread folds about
/// as much. Every lead falls in exactly one range: a range starts at a lead id,
/// and all of a lead's event keys sort with its id. Fewer (even none) for a
/// small or one-lead log.
result<std::vector<std::string>> lead_splits(const view_store& store, const rocksdb::ReadOptions& ro,
                                             unsigned parts) {
  std::vector<std::string> splits;
  if (parts < 2) return splits;
  auto it = store.log_events(ro);
  it->SeekToFirst();
  if (!it->Valid()) return splits;
  const std::string first = it->key().ToString();
  std::string_view first_lead;
  lead_version first_version = 0;
  if (!storage::keys::split_event_key(first, first_lead, first_version))
    return error{errc::corrupt_data, "a key of the events family is not an event key"};
  it->SeekToLast();
  if (!it->Valid()) return splits;
  const std::string end = it->key().ToString() + '\xff';
  auto size_below = [&](const std::string& k) { return store.log_events_size(first, k); };
  auto total = size_below(end);
  if (!total) return total.err();
  for (unsigned i = 1; i < parts; ++i) {
    const uint64_t want = *total * i / parts;
    std::string lo = first, hi = end;
    for (int step = 0; step < 64; ++step) {
      auto mid = midpoint(lo, hi);
      if (!mid) break;
      auto below = size_below(*mid);
      if (!below) return below.err();
      (*below < want ? lo : hi) = std::move(*mid);
    }
    // Round to a lead: the one whose event is the first at or after `hi`. All
    // its events sort after its bare id, so they all fall to the right.
    it->Seek(hi);
    if (!it->status().ok()) return storage_error(it->status(), "find a lead boundary");
    if (!it->Valid()) continue;
    std::string_view id;
    lead_version version = 0;
    if (!storage::keys::split_event_key(it->key().ToStringView(), id, version))
      return error{errc::corrupt_data, "a key of the events family is not an event key"};
    if (id > first_lead && (splits.empty() || id > splits.back())) splits.emplace_back(id);
  }
  return splits;
}

} // namespace

result<std::vector<storage::lead_scan_range>> lead_ranges(const storage::event_log& log,
                                                          const storage::log_snapshot& snapshot, unsigned threads) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  auto splits = lead_splits(view_store(log), ro, std::max(threads, 1u));
  if (!splits) return splits.err();
  std::vector<storage::lead_scan_range> ranges(splits->size() + 1);
  for (size_t i = 0; i < splits->size(); ++i) ranges[i].hi = ranges[i + 1].lo = (*splits)[i];
  return ranges;
}



status fold_range(const storage::event_log& log, const storage::log_snapshot& snapshot,
                  const storage::lead_scan_range& range, const std::function<status(const lead_state&)>& on_lead,
                  const fold_shared& shared, uint64_t& events, std::vector<skipped_event>* damaged) {
  lead_state state;
  bool fresh = true;
  uint64_t unpublished = 0;
  storage::scan_damage_handler on_damaged;
  if (damaged)
    on_damaged = [damaged](std::string_view id, lead_version version, const error& why) -> status {
      damaged->push_back({std::string(id), version, why.message});
      return ok();
    };
  auto scanned = storage::scan_leads(
      log, snapshot, range,
      [&](std::string_view id, storage::stored_event& e) -> status {
        if (fresh) {
          state = initial(std::string(id));
          fresh = false;
        }
        evolve(state, e.ev);
        ++events;
        if (++unpublished == 4096) {
          shared.folded->fetch_add(unpublished, std::memory_order_relaxed);
          unpublished = 0;
          if (shared.tick) (*shared.tick)();
        }
        return ok();
      },
      [&](std::string_view) -> status {
        if (fresh) return ok();  // every event of the lead was damaged
        fresh = true;
        return on_lead(state);
      },
      [&] {
        return shared.stop->load(std::memory_order_relaxed) ||
               (shared.cancel && shared.cancel->load(std::memory_order_relaxed));
      },
      on_damaged);
  shared.folded->fetch_add(unpublished, std::memory_order_relaxed);
  return scanned;
}

std::optional<error> run_ranges(size_t parts, const char* thread_name, const std::function<status(size_t)>& work,
                                std::atomic<bool>& stop, const std::function<void()>& waiting) {
  std::optional<error> failure;
  std::mutex m;
  std::condition_variable cv;
  size_t running = parts - 1;
  auto run = [&](size_t i) {
    auto st = work(i);
    std::lock_guard<std::mutex> lock(m);
    if (!st && !failure) {
      failure = st.err();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  for (size_t i = 1; i < parts; ++i)
    pool.emplace_back([&, i] {
      name_this_thread(thread_name);
      run(i);
      std::lock_guard<std::mutex> lock(m);
      --running;
      cv.notify_all();
    });
  run(0);
  {
    std::unique_lock<std::mutex> lock(m);
    while (running > 0) {
      cv.wait_for(lock, std::chrono::milliseconds(50));
      if (!waiting) continue;
      lock.unlock();
      waiting();
      lock.lock();
    }
  }
  for (auto& th : pool) th.join();
  return failure;
}

} // namespace leadbase::projections::bulk_fold
