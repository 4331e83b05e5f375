#pragma once
// The sort stage of a bulk rebuild (projections/bulk_rebuild.hpp, step 3):
// index entries collected in chunks in memory, sorted there and spilled to
// run files when a chunk fills, and read back as sorted sources to merge.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/errc.hpp"
#include "storage/keys.hpp"

namespace leadbase::projections::rebuild {

using storage::keys::be_word;

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

inline bool ref_less(const entry_ref& a, const entry_ref& b) {
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
inline entry_ref make_ref(const char* at, size_t key_size, size_t value_size) {
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

error io_error(const std::string& what, const std::string& path);

/// Writes a sorted chunk to `path` as a run file.
result<run_file> spill(const chunk& c, const std::string& path);

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
  result<bool> seek(const entry_ref& from) override;
  result<bool> next() override;
  const entry_ref& current() const override { return current_; }

 private:
  const run_file& run_;
  file_ptr f_;
  std::string record_;  // key then value, as on disk
  entry_ref current_{};
};

} // namespace leadbase::projections::rebuild
