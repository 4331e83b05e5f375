#pragma once
// The write stage of a bulk rebuild (projections/bulk_rebuild.hpp, steps 2-4):
// table files written in key order, cut at the bounds of the ranges the
// projection owns and covering them with range tombstones, and the merge of
// the sorted index entries into such files, one key range per thread.
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/errc.hpp"
#include "projections/rebuild_sort.hpp"
#include "projections/view_store.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections::rebuild {

namespace fs = std::filesystem;
using storage::storage_error;

/// Key ranges [begin, end) of one column family, sorted and disjoint.
using key_ranges = std::vector<std::pair<std::string, std::string>>;

/// Their bounds: table files are cut there, so that a file stays inside one range.
inline std::vector<std::string> bounds_of(const key_ranges& ranges) {
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
  sst_sink(const view_store& store, view_family family, fs::path dir, std::string prefix, size_t target,
           std::vector<std::string> cuts = {}, const key_ranges* cover = nullptr,
           std::pair<std::string, std::string> region = {})
      : cf_(store.handle(family)),
        dir_(std::move(dir)),
        prefix_(std::move(prefix)),
        target_(std::max<size_t>(target, 1)),
        cuts_(std::move(cuts)),
        cover_(cover),
        file_lo_(std::move(region.first)),
        region_hi_(std::move(region.second)) {
    std::sort(cuts_.begin(), cuts_.end());
    opts_ = store.table_options(family);
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

/// Writes every entry of `runs` and `chunks` (sorted) into index table files,
/// `threads` key ranges at once, split at quantiles of a sample of every
/// source so that the ranges hold about as many bytes each. Returns the files;
/// their range tombstones cover `cover` (sst_sink).
result<std::vector<std::string>> write_index(const view_store& store, const fs::path& dir,
                                             const std::vector<run_file>& runs,
                                             const std::vector<const chunk*>& chunks, unsigned threads,
                                             size_t target, const key_ranges& cover, uint64_t& entries);

} // namespace leadbase::projections::rebuild
