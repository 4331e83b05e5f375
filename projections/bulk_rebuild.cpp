#include "projections/bulk_rebuild.hpp"

#include "projections/bulk_fold.hpp"
#include "projections/views_raw_access.hpp"

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

/// Where a rebuild's table files and sorted runs wait, in the data dir.
constexpr const char* tmp_dir_name = "bulk_rebuild.tmp";

std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}

using storage::storage_error;
using storage::keys::be_word;
using bulk_fold::fold_range;
using bulk_fold::fold_shared;
using bulk_fold::lead_ranges;
using bulk_fold::run_ranges;
using bulk_fold::skipped_event;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// -- table files ----------------------------------------------------------------------

/// Key ranges [begin, end) of one column family, sorted and disjoint.
using key_ranges = std::vector<std::pair<std::string, std::string>>;

/// Their bounds: table files are cut there, so that a file stays inside one range.
std::vector<std::string> bounds_of(const key_ranges& ranges) {
  std::vector<std::string> out;
  for (const auto& [b, e] : ranges) {
    out.push_back(b);
    out.push_back(e);
  }
  return out;
}

/// Writes keys given in increasing order into table files for one column
/// family, starting a new file at about `target` bytes and at each of `cuts`
/// (the bounds of the ranges the projection clears, so a file stays inside
/// one of them). Files are opened on the first key, so a sink that gets none
/// writes none (RocksDB refuses empty table files) — unless it must cover.
///
/// Covering (the rebuild beside the serving projection): with `cover`, the
/// sink's files also carry range tombstones for the parts of `cover` (the
/// ranges the projection owns) inside its `region` [lo, hi) (hi empty: no
/// bound), its files partitioning the region: file k holds DeleteRange(its
/// share of cover) and its new keys. An ingested file's range tombstone hides
/// every older key in its range, but not the keys of its own file (they have
/// the same sequence number), so ingesting every sink's files in one step
/// replaces the old projection by the new one atomically, while reads go on.
class sst_sink {
 public:
  sst_sink(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, fs::path dir, std::string prefix, size_t target,
           std::vector<std::string> cuts = {}, const key_ranges* cover = nullptr,
           std::pair<std::string, std::string> region = {})
      : cf_(cf),
        dir_(std::move(dir)),
        prefix_(std::move(prefix)),
        target_(std::max<size_t>(target, 1)),
        cuts_(std::move(cuts)),
        cover_(cover),
        file_lo_(std::move(region.first)),
        region_hi_(std::move(region.second)) {
    std::sort(cuts_.begin(), cuts_.end());
    opts_ = db->GetOptions(cf);
    // The family's own compression above the bottom (LZ4): SstFileWriter would
    // otherwise use bottommost_compression (ZSTD), several times the CPU for
    // files written once. A later compaction recompresses them as usual.
    opts_.bottommost_compression = rocksdb::kDisableCompressionOption;
  }

  status put(std::string_view key, std::string_view value) {
    if (next_cut_ < cuts_.size() && key >= std::string_view(cuts_[next_cut_])) {
      const std::string cut = cuts_[next_cut_];
      while (next_cut_ < cuts_.size() && key >= std::string_view(cuts_[next_cut_])) ++next_cut_;
      // Covering, the file ends at the first cut crossed and the next starts
      // there; a file not open yet just starts lower.
      if (writer_) {
        if (auto s = finish_at(cut); !s) return s;
      }
    }
    if (roll_ && writer_) {
      if (auto s = finish_at(std::string(key)); !s) return s;
    }
    if (!writer_) {
      if (auto s = open(); !s) return s;
    }
    auto s = writer_->Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
    if (!s.ok()) return storage_error(s, "write table file");
    ++entries_;
    if (writer_->FileSize() >= target_) {
      if (!cover_) return finish_at({});
      roll_ = true;  // covering, the file's end is the next key, not known yet
    }
    return ok();
  }

  /// The end of the keys: the last file ends at the region's end.
  status finish() {
    if (cover_ && !writer_ && covers_something(region_hi_)) {
      if (auto s = open(); !s) return s;  // only tombstones: the region has no new key
    }
    return finish_at(region_hi_);
  }

  const std::vector<std::string>& files() const noexcept { return files_; }
  uint64_t entries() const noexcept { return entries_; }

 private:
  status open() {
    // invalidate_page_cache = false: the service reads these pages next.
    writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(opts_), opts_, cf_, false);
    char name[64];
    std::snprintf(name, sizeof name, "%s-%04zu.sst", prefix_.c_str(), files_.size());
    const std::string path = (dir_ / name).string();
    auto s = writer_->Open(path);
    if (!s.ok()) return storage_error(s, "open table file");
    files_.push_back(path);
    return ok();
  }

  /// The part of cover_ in [file_lo_, hi) (hi empty: no bound), clipped.
  key_ranges covered(const std::string& hi) const {
    key_ranges out;
    if (!cover_) return out;
    for (const auto& [b, e] : *cover_) {
      std::string lo = std::max(b, file_lo_), up = hi.empty() ? e : std::min(e, hi);
      if (lo < up) out.emplace_back(std::move(lo), std::move(up));
    }
    return out;
  }
  bool covers_something(const std::string& hi) const { return !covered(hi).empty(); }

  /// Finishes the open file as the one covering [file_lo_, hi).
  status finish_at(const std::string& hi) {
    roll_ = false;
    if (!writer_) return ok();
    for (const auto& [b, e] : covered(hi)) {
      auto s = writer_->DeleteRange(b, e);
      if (!s.ok()) return storage_error(s, "write range tombstone");
    }
    file_lo_ = hi;
    auto s = writer_->Finish();
    writer_.reset();
    if (!s.ok()) return storage_error(s, "finish table file");
    return ok();
  }

  rocksdb::ColumnFamilyHandle* cf_;
  fs::path dir_;
  std::string prefix_;
  size_t target_;
  std::vector<std::string> cuts_;
  size_t next_cut_ = 0;
  const key_ranges* cover_;
  std::string file_lo_, region_hi_;  // covering: where the open (or next) file starts; the region's end
  bool roll_ = false;                // covering: the open file is full, end it at the next key
  rocksdb::Options opts_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> files_;
  uint64_t entries_ = 0;
};

// -- chunks of index entries, sorted in memory --------------------------------------------

/// One entry of a chunk. The key's first 24 bytes are kept inline, as three
/// integers, so that comparisons in the sort almost never follow `key` into
/// the scattered blocks (a cache miss each at a million leads): index keys
/// share long prefixes (a dimension, a scope, a clustered value), which 24
/// bytes get past. Measured at 1M leads: 32 bytes sort no faster and take
/// more memory; 16 bytes make the sort 2.5 times slower.
struct entry_ref {
  static constexpr size_t words = 3;
  static constexpr size_t inline_bytes = 8 * words;
  uint64_t head[words];
  const char* key;  // the value follows the key
  uint32_t key_size, value_size;

  std::string_view key_view() const { return {key, key_size}; }
  std::string_view value_view() const { return {key + key_size, value_size}; }
};

bool ref_less(const entry_ref& a, const entry_ref& b) {
  for (size_t i = 0; i < entry_ref::words; ++i)
    if (a.head[i] != b.head[i]) return a.head[i] < b.head[i];
  // The first min(inline_bytes, size) bytes are equal (zero padding included),
  // so a key shorter than inline_bytes is a prefix of the other: only the tails
  // and sizes remain.
  const size_t n = std::min(a.key_size, b.key_size);
  if (n > entry_ref::inline_bytes) {
    const int c = std::memcmp(a.key + entry_ref::inline_bytes, b.key + entry_ref::inline_bytes,
                              n - entry_ref::inline_bytes);
    if (c != 0) return c < 0;
  }
  return a.key_size < b.key_size;
}

/// The entry whose key (then value) starts at `at`.
entry_ref make_ref(const char* at, size_t key_size, size_t value_size) {
  const std::string_view key(at, key_size);
  entry_ref r;
  for (size_t i = 0; i < entry_ref::words; ++i) r.head[i] = be_word(key, 8 * i);
  r.key = at;
  r.key_size = static_cast<uint32_t>(key_size);
  r.value_size = static_cast<uint32_t>(value_size);
  return r;
}

/// Index entries in blocks that never move (so refs hold plain pointers), up
/// to a memory budget.
class chunk {
 public:
  /// Blocks of `block_bytes` (an entry larger than that gets its own block).
  /// The refs are reserved once, for entries of 16 bytes or more (index
  /// entries are longer): growing them by doubling would copy them and hold
  /// both copies at once. Untouched reserved memory costs nothing.
  chunk(size_t budget, size_t block_bytes)
      : budget_(budget), block_bytes_(block_bytes) {
    refs_.reserve(budget / (sizeof(entry_ref) + 16) + 1);
  }

  void add(std::string_view key, std::string_view value) {
    const size_t need = key.size() + value.size();
    if (blocks_.empty() || used_ + need > block_size_) {
      block_size_ = std::max(block_bytes_, need);
      blocks_.emplace_back(new char[block_size_]);
      used_ = 0;
      memory_ += block_size_;
    }
    char* at = blocks_.back().get() + used_;
    std::memcpy(at, key.data(), key.size());
    std::memcpy(at + key.size(), value.data(), value.size());
    used_ += need;
    refs_.push_back(make_ref(at, key.size(), value.size()));
  }

  /// Whether it holds its budget's worth (then it is sorted and spilled).
  bool full() const noexcept {
    return memory_ + refs_.size() * sizeof(entry_ref) >= budget_ || refs_.size() == refs_.capacity();
  }
  size_t size() const noexcept { return refs_.size(); }
  bool empty() const noexcept { return refs_.empty(); }
  // A lambda, not the function's address: std::sort then inlines the comparison.
  void sort() {
    std::sort(refs_.begin(), refs_.end(), [](const entry_ref& a, const entry_ref& b) { return ref_less(a, b); });
  }
  const std::vector<entry_ref>& refs() const noexcept { return refs_; }

 private:
  size_t budget_, block_bytes_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, used_ = 0, memory_ = 0;
  std::vector<entry_ref> refs_;
};

// -- sorted runs spilled to disk ----------------------------------------------------------

/// A sorted chunk written out: records [key size:4][value size:4][key][value]
/// (host byte order: only this process reads them back), plus a sparse index,
/// the key and offset of a record every `mark_every` bytes, to start a key
/// range part-way and to pick the ranges.
struct run_file {
  static constexpr uint64_t mark_every = 256 << 10;
  std::string path;
  std::vector<std::pair<std::string, uint64_t>> marks;
  uint64_t entries = 0, bytes = 0;
};

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

error io_error(const std::string& what, const std::string& path) {
  return error{errc::storage_failure, what + " " + path + ": " + std::strerror(errno)};
}

result<run_file> spill(const chunk& c, const std::string& path) {
  run_file run;
  run.path = path;
  file_ptr f(std::fopen(path.c_str(), "wb"));
  if (!f) return io_error("cannot create", path);
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  uint64_t next_mark = 0;
  const auto& refs = c.refs();
  for (size_t i = 0; i < refs.size(); ++i) {
    // The entries are in key order, their bytes in arrival order: fetch ahead.
    if (i + 16 < refs.size()) __builtin_prefetch(refs[i + 16].key);
    const entry_ref& r = refs[i];
    if (run.bytes >= next_mark) {
      run.marks.emplace_back(std::string(r.key_view()), run.bytes);
      next_mark = run.bytes + run_file::mark_every;
    }
    const uint32_t sizes[2] = {r.key_size, r.value_size};
    if (std::fwrite(sizes, sizeof sizes, 1, f.get()) != 1 ||
        std::fwrite(r.key, 1, r.key_size + r.value_size, f.get()) != r.key_size + r.value_size)
      return io_error("cannot write", path);
    run.bytes += sizeof sizes + r.key_size + r.value_size;
    ++run.entries;
  }
  if (std::fclose(f.release()) != 0) return io_error("cannot write", path);
  return run;
}

/// Sorted entries to merge: a run file or a sorted chunk still in memory. The
/// current entry is an entry_ref, so the merge compares inline key heads too.
class entry_source {
 public:
  virtual ~entry_source() = default;
  /// Positions on the first entry not below `from`; false when none.
  virtual result<bool> seek(const entry_ref& from) = 0;
  /// The next entry; false at the end.
  virtual result<bool> next() = 0;
  virtual const entry_ref& current() const = 0;
};

class chunk_source final : public entry_source {
 public:
  explicit chunk_source(const chunk& c) : refs_(c.refs()) {}
  result<bool> seek(const entry_ref& from) override {
    at_ = static_cast<size_t>(std::lower_bound(refs_.begin(), refs_.end(), from, ref_less) - refs_.begin());
    return at_ < refs_.size();
  }
  result<bool> next() override {
    // The entries are in key order, their bytes in arrival order: fetch ahead.
    if (at_ + prefetch_distance < refs_.size()) __builtin_prefetch(refs_[at_ + prefetch_distance].key);
    return ++at_ < refs_.size();
  }
  const entry_ref& current() const override { return refs_[at_]; }

 private:
  static constexpr size_t prefetch_distance = 16;
  const std::vector<entry_ref>& refs_;
  size_t at_ = 0;
};

class run_source final : public entry_source {
 public:
  explicit run_source(const run_file& run) : run_(run) {}
  result<bool> seek(const entry_ref& from) override {
    if (!f_) {
      f_.reset(std::fopen(run_.path.c_str(), "rb"));
      if (!f_) return io_error("cannot open", run_.path);
      std::setvbuf(f_.get(), nullptr, _IOFBF, 1 << 20);
    }
    // Start at the last mark below `from`, then skip what is still below it.
    auto mark = std::lower_bound(run_.marks.begin(), run_.marks.end(), from, [](const auto& m, const entry_ref& k) {
      return ref_less(make_ref(m.first.data(), m.first.size(), 0), k);
    });
    const uint64_t offset = mark == run_.marks.begin() ? 0 : std::prev(mark)->second;
    if (std::fseek(f_.get(), static_cast<long>(offset), SEEK_SET) != 0) return io_error("cannot seek", run_.path);
    for (;;) {
      auto more = next();
      if (!more || !*more) return more;
      if (!ref_less(current_, from)) return true;
    }
  }
  result<bool> next() override {
    uint32_t sizes[2];
    if (std::fread(sizes, sizeof sizes, 1, f_.get()) != 1) {
      if (std::ferror(f_.get())) return io_error("cannot read", run_.path);
      return false;
    }
    const size_t n = size_t{sizes[0]} + sizes[1];
    record_.resize(n);
    if (n && std::fread(record_.data(), n, 1, f_.get()) != 1)
      return error{errc::storage_failure, "truncated run file " + run_.path};
    current_ = make_ref(record_.data(), sizes[0], sizes[1]);
    return true;
  }
  const entry_ref& current() const override { return current_; }

 private:
  const run_file& run_;
  file_ptr f_;
  std::string record_;  // key then value, as on disk
  entry_ref current_{};
};

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

/// Writes every entry of `runs` and `chunks` (sorted) into index table files,
/// `threads` key ranges at once, split at quantiles of a sample of every
/// source so that the ranges hold about as many bytes each. Returns the files;
/// their range tombstones cover `cover` (sst_sink).
result<std::vector<std::string>> write_index(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index_cf,
                                             const fs::path& dir, const std::vector<run_file>& runs,
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
    sinks.push_back(std::make_unique<sst_sink>(db, index_cf, dir, "index-" + std::to_string(t), target,
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

// -- clearing -------------------------------------------------------------------------------

/// The ranges a WriteBatch deletes with DeleteRange, by column family id.
class range_collector final : public rocksdb::WriteBatch::Handler {
 public:
  struct range {
    uint32_t cf;
    std::string begin, end;
  };
  std::vector<range> ranges;

  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice& end) override {
    ranges.push_back({cf, begin.ToString(), end.ToString()});
    return rocksdb::Status::OK();
  }
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
};

/// The ranges the projection owns (what lead_views::clear deletes), per family.
struct owned_ranges {
  key_ranges views, index;
};

result<owned_ranges> projection_ranges(const storage::event_log& log, lead_views& views) {
  rocksdb::WriteBatch batch;
  if (auto s = views.clear(batch); !s) return s.err();
  range_collector ranges;
  auto s = batch.Iterate(&ranges);
  if (!s.ok()) return storage_error(s, "read clear batch");
  owned_ranges out;
  for (const auto& r : ranges.ranges) {
    key_ranges* into = nullptr;
    for (auto [space, bounds] : {std::pair{storage::key_space::views, &out.views},
                                 std::pair{storage::key_space::index, &out.index}})
      if (auto* f = log.cf(space); f && f->GetID() == r.cf) into = bounds;
    if (!into) return error{errc::internal, "the projection clears a family that is not views or index"};
    into->emplace_back(r.begin, r.end);
  }
  std::sort(out.views.begin(), out.views.end());
  std::sort(out.index.begin(), out.index.end());
  return out;
}

/// Whether any of `ranges` of `cf` holds a key in the snapshot.
result<bool> holds_keys(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap,
                        const key_ranges& ranges) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  for (const auto& [b, e] : ranges) {
    rocksdb::Slice upper(e);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
    it->Seek(b);
    if (!it->status().ok()) return storage_error(it->status(), "look for old projection keys");
    if (it->Valid()) return true;
  }
  return false;
}

// -- the scan, in key ranges ----------------------------------------------------------------

/// Removes the temp dir however the rebuild ends.
struct dir_guard {
  fs::path path;
  ~dir_guard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// The damage records of a build: the skipped events at their positions (the
/// global index, read at the build's snapshot, says where each is), and with
/// `find_missing` the positions whose event is not in the events family at
/// all (the page replay meets those as "the event is missing"). Sorted by
/// position, as the runner keys them.
result<std::vector<damaged_record>> locate_damage(const storage::event_log& log, const storage::log_snapshot& snap,
                                                  const std::vector<skipped_event>& skipped, bool find_missing,
                                                  global_position head) {
  std::unordered_map<std::string, const skipped_event*> by_key;
  for (const auto& e : skipped) by_key.emplace(storage::keys::event_key(e.lead_id, e.version), &e);
  std::vector<damaged_record> out;
  rocksdb::DB* db = views_raw_access::db(log);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  // Pending existence checks: (position, event key).
  std::vector<std::pair<global_position, std::string>> pending;
  auto check_pending = [&]() -> status {
    if (pending.empty()) return ok();
    std::vector<rocksdb::Slice> keys;
    keys.reserve(pending.size());
    for (const auto& p : pending) keys.emplace_back(p.second);
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db->MultiGet(ro, log.cf(storage::key_space::events), keys.size(), keys.data(), values.data(), statuses.data());
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
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, log.cf(storage::key_space::global)));
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

/// What one scan thread produced.
struct partition_out {
  uint64_t leads = 0, events = 0, index_entries = 0;
  std::vector<std::string> views_files;
  std::vector<run_file> runs;
  std::unique_ptr<chunk> last;  // sorted, in memory
  double sort_seconds = 0;
  std::vector<skipped_event> damaged;  // events that could not be decoded, skipped
};

struct partition_job {
  storage::event_log* log;
  const lead_views* views;
  const storage::log_snapshot* snapshot;
  storage::lead_scan_range range;  // lead ids; "" = unbounded
  fs::path dir;
  std::string name;    // for its files
  size_t chunk_budget, chunk_block, target_file_bytes;
  const key_ranges* views_cover;    // the views ranges the files replace
  std::atomic<uint64_t>* folded;     // events folded, all threads together
  const std::atomic<bool>* stop;     // another range failed: give up
  std::function<void()> tick;        // called every few thousand events (progress), may be empty
  const std::atomic<bool>* cancel;   // bulk_rebuild_options::cancel
};

/// Scans the events of the leads in [lo, hi) with their data keys beside,
/// folds each lead, writes its row into views files and sorts its index
/// entries into chunks (spilled as runs when a chunk fills).
status scan_range(const partition_job& job, partition_out& out) {
  rocksdb::DB* db = views_raw_access::db(*job.log);
  // This range's rows cover [row_key(lo), row_key(hi)) of the views family.
  std::pair<std::string, std::string> region{view_keys::row_key(job.range.lo),
                                             job.range.hi.empty() ? std::string() : view_keys::row_key(job.range.hi)};
  sst_sink views_sink(db, job.log->cf(storage::key_space::views), job.dir, "views-" + job.name, job.target_file_bytes,
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

status scan_partition(const partition_job& job, partition_out& out) {
  const auto t0 = clock_type::now();
  auto s = scan_range(job, out);
  logger()->debug("bulk rebuild scan range {}: {} leads, {} events in {:.2f} s", job.name, out.leads, out.events,
                  seconds_since(t0));
  return s;
}

} // namespace

result<bulk_rebuild_stats> bulk_rebuild(storage::event_log& log, lead_views& views,
                                        const bulk_rebuild_options& opts, const bulk_progress& progress) {
  const auto t_start = clock_type::now();
  rocksdb::DB* db = views_raw_access::db(log);
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

status compact_replaced(storage::event_log& log, lead_views& views) {
  auto owned = projection_ranges(log, views);
  if (!owned) return owned.err();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto [space, ranges] : {std::pair{storage::key_space::views, &owned->views},
                               std::pair{storage::key_space::index, &owned->index}}) {
    for (const auto& [b, e] : *ranges) {
      const rocksdb::Slice bs(b), es(e);
      auto s = views_raw_access::db(log)->CompactRange(co, log.cf(space), &bs, &es);
      if (!s.ok()) return storage_error(s, "compact the replaced projection");
    }
  }
  return ok();
}

status discard_unfinished_rebuild(const storage::event_log& log) {
  const fs::path tmp = fs::path(views_raw_access::db(log)->GetName()) / tmp_dir_name;
  std::error_code ec;
  if (!fs::exists(tmp, ec)) return ok();
  fs::remove_all(tmp, ec);
  if (ec) return error{errc::storage_failure, "cannot remove " + tmp.string() + ": " + ec.message()};
  logger()->info("removed the files of a bulk rebuild that did not finish ({})", tmp.string());
  return ok();
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
