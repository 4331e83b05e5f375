// Versions and positions are different kinds of count (events/strong_count.hpp):
// numbers convert to either, neither converts to the other.
#include <catch2/catch.hpp>

#include <type_traits>
#include <unordered_set>

#include "events/event.hpp"

using namespace leadbase;

namespace {

void takes_position(global_position) {}
void takes_version(lead_version) {}

} // namespace

// What used to compile with both as uint64_t: a swapped pair.
static_assert(!std::is_convertible_v<lead_version, global_position>);
static_assert(!std::is_convertible_v<global_position, lead_version>);
static_assert(!std::is_invocable_v<decltype(&takes_position), lead_version>);
static_assert(!std::is_invocable_v<decltype(&takes_version), global_position>);
// What stays as easy as before: numbers in and out.
static_assert(std::is_convertible_v<uint64_t, global_position>);
static_assert(std::is_convertible_v<global_position, uint64_t>);
static_assert(std::is_invocable_v<decltype(&takes_position), uint64_t>);
static_assert(sizeof(global_position) == sizeof(uint64_t));
static_assert(std::is_trivially_copyable_v<lead_version>);

TEST_CASE("strong_count: arithmetic, comparison and hashing read as the number's", "[events][ids]") {
  global_position p = 41;
  ++p;
  CHECK(p == 42);
  CHECK(p.value() == 42);
  p += 8;
  CHECK(p == 50);
  CHECK(p - 1 == 49);
  CHECK(global_position{3} < global_position{4});
  lead_version v;
  CHECK(v == 0);
  CHECK(v++ == 0);
  CHECK(v == 1);
  std::unordered_set<global_position> seen{1, 2, 2};
  CHECK(seen.size() == 2);
  takes_position(p);
  takes_version(v);
}
