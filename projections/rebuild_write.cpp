#include "projections/rebuild_write.hpp"

#include <queue>
#include <thread>

#include "events/thread_name.hpp"

namespace leadbase::projections::rebuild {
namespace {

/// Merges the entries with lo <= key < hi (an empty hi: no bound) of every
/// source, in key order, into `sink`.
status merge_range(std::vector<std::unique_ptr<entry_source>>& sources, const std::string& lo, const std::string& hi,
                   sst_sink& sink) {
  const entry_ref lo_ref = make_ref(lo.data(), lo.size(), 0), hi_ref = make_ref(hi.data(), hi.size(), 0);
  auto below_hi = [&](const entry_source& s) { return hi.empty() || ref_less(s.current(), hi_ref); };
  auto later = [&](size_t a, size_t b) { return ref_less(sources[b]->current(), sources[a]->current()); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < sources.size(); ++i) {
    auto found = sources[i]->seek(lo_ref);
    if (!found) return found.err();
    if (*found && below_hi(*sources[i])) heap.push(i);
  }
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    const entry_ref& e = sources[i]->current();
    if (auto s = sink.put(e.key_view(), e.value_view()); !s) return s;
    auto more = sources[i]->next();
    if (!more) return more.err();
    if (*more && below_hi(*sources[i])) heap.push(i);
  }
  return sink.finish();
}

} // namespace

result<std::vector<std::string>> write_index(const view_store& store, const fs::path& dir,
                                             const std::vector<run_file>& runs,
                                             const std::vector<const chunk*>& chunks, unsigned threads,
                                             size_t target, const key_ranges& cover, uint64_t& entries) {
  std::vector<std::string> samples;
  for (const auto& run : runs)
    for (const auto& m : run.marks) samples.push_back(m.first);
  for (const chunk* c : chunks) {
    size_t bytes = 0;
    for (const auto& r : c->refs()) {
      bytes += r.key_size + r.value_size + 8;
      if (bytes >= run_file::mark_every) {
        samples.emplace_back(r.key_view());
        bytes = 0;
      }
    }
  }
  std::sort(samples.begin(), samples.end());
  std::vector<std::string> bounds{""};  // range t is [bounds[t], bounds[t + 1]); a last "": no bound
  threads = std::max(threads, 1u);
  for (unsigned t = 1; t < threads && samples.size() >= threads; ++t) {
    const std::string& b = samples[samples.size() * t / threads];
    if (b > bounds.back()) bounds.push_back(b);
  }
  bounds.push_back("");

  const size_t ranges = bounds.size() - 1;
  std::vector<std::unique_ptr<sst_sink>> sinks;
  std::vector<status> results(ranges, ok());
  for (size_t t = 0; t < ranges; ++t)
    sinks.push_back(std::make_unique<sst_sink>(store, view_family::index, dir, "index-" + std::to_string(t), target,
                                               bounds_of(cover), &cover,
                                               std::pair{bounds[t], bounds[t + 1]}));
  auto work = [&](size_t t) {
    std::vector<std::unique_ptr<entry_source>> sources;
    for (const auto& run : runs) sources.push_back(std::make_unique<run_source>(run));
    for (const chunk* c : chunks) sources.push_back(std::make_unique<chunk_source>(*c));
    results[t] = merge_range(sources, bounds[t], bounds[t + 1], *sinks[t]);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < ranges; ++t)
    pool.emplace_back([&work, t] {
      name_this_thread("lb-bulk-index");
      work(t);
    });
  work(0);
  for (auto& th : pool) th.join();
  std::vector<std::string> files;
  entries = 0;
  for (size_t t = 0; t < ranges; ++t) {
    if (!results[t]) return results[t].err();
    files.insert(files.end(), sinks[t]->files().begin(), sinks[t]->files().end());
    entries += sinks[t]->entries();
  }
  return files;
}

} // namespace leadbase::projections::rebuild
