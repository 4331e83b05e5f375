#pragma once
// Counts that must not be mixed up: a lead's version and a position in the
// global log are both uint64_t underneath, and a call that swapped the two
// used to compile. A strong_count converts to and from uint64_t implicitly, so
// arithmetic, keys, JSON and the codec read as before; but one kind never
// becomes another: that would take two user-defined conversions in a row
// (to uint64_t, then to the other kind), which C++ never chains implicitly.
// tests/events/strong_count_test.cpp checks that a swapped pair does not compile.
#include <cstdint>
#include <functional>

namespace leadbase {

template <class Tag>
class strong_count {
 public:
  constexpr strong_count() noexcept = default;
  constexpr strong_count(uint64_t v) noexcept : v_(v) {}  // NOLINT: implicit on purpose, see above
  constexpr operator uint64_t() const noexcept { return v_; }  // NOLINT
  constexpr uint64_t value() const noexcept { return v_; }

  constexpr strong_count& operator++() noexcept {
    ++v_;
    return *this;
  }
  constexpr strong_count operator++(int) noexcept {
    strong_count before = *this;
    ++v_;
    return before;
  }
  constexpr strong_count& operator--() noexcept {
    --v_;
    return *this;
  }
  constexpr strong_count& operator+=(uint64_t n) noexcept {
    v_ += n;
    return *this;
  }
  constexpr strong_count& operator-=(uint64_t n) noexcept {
    v_ -= n;
    return *this;
  }

 private:
  uint64_t v_ = 0;
};

struct lead_version_tag;
struct global_position_tag;

/// A lead's per-stream version: 1 for its first event.
using lead_version = strong_count<lead_version_tag>;
/// A position in the global log: 1 for the first event ever stored, no gaps.
using global_position = strong_count<global_position_tag>;

} // namespace leadbase

template <class Tag>
struct std::hash<leadbase::strong_count<Tag>> {
  size_t operator()(leadbase::strong_count<Tag> c) const noexcept { return std::hash<uint64_t>{}(c.value()); }
};
