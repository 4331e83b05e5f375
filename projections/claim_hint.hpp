#pragma once
// Where "claim next" starts reading the claimable scope of the index
// (lead_views::claim_candidates). Claims take the best leads, so the top of
// that scope fills with tombstones (each claimed lead's key deleted) that a
// scan from the top steps over until a compaction drops them: claim_bench,
// 20k leads, 16 clients, 3,000 claims: 55% of the server's CPU went to the
// HTTP threads iterating memtable tombstones, and a claim cost grew with the
// claims before it.
//
// The hint is a sort key (value:8 + lead id) above which no claimable entry
// lives: a scan starts at it (inclusive) and records the first live entry it
// met as the new hint. Every write of a claimable entry raises the hint to
// that entry (a released lead, a new or re-scored one), and a scan that began
// before a raise does not lower it (the generation changed), so no entry is
// ever above the hint. A replaced store (rebuild, clear) resets it to the top.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace leadbase::projections {

class claim_hint {
 public:
  struct seen {
    std::optional<std::string> from;  ///< nullopt: the top of the scope
    uint64_t generation = 0;
  };

  seen read() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {from_, generation_};
  }

  /// A scan that began at `s` met its first live entry at `first`.
  void found(const seen& s, const std::string& first) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (s.generation == generation_ && (!from_ || first < *from_)) from_ = first;
  }

  /// A claimable entry with sort key `suffix` was written.
  void raise(std::string_view suffix) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    if (from_ && std::string_view(*from_) < suffix) from_ = std::string(suffix);
  }

  /// The whole store changed: start from the top.
  void reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    from_.reset();
  }

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> from_;
  uint64_t generation_ = 0;
};

} // namespace leadbase::projections
