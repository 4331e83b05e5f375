// Key encoding: RocksDB's bytewise order must be the log's order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "storage/keys.hpp"

using namespace leadbase::storage::keys;

TEST_CASE("be64 order is numeric order", "[keys]") {
  std::vector<uint64_t> values = {0, 1, 2, 255, 256, 65535, 65536, 1ull << 32, (1ull << 32) + 1,
                                  UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    CHECK(be64(values[i]) < be64(values[i + 1]));
    CHECK(read_be64(be64(values[i])) == values[i]);
  }
  CHECK(read_be64(be64(UINT64_MAX)) == UINT64_MAX);
}

TEST_CASE("a lead's events sort by version and stay together", "[keys]") {
  std::vector<std::string> keys = {event_key("ab", 1), event_key("ab", 2), event_key("ab", 256),
                                   event_key("ab", 1ull << 40), event_key("ab.", 1), event_key("abc", 1),
                                   event_key("b", 1)};
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == keys);
  // Every event of "ab" is below its bound; "abc" (a longer id sharing the prefix) is not.
  for (uint64_t v : {uint64_t{1}, uint64_t{2}, UINT64_MAX}) CHECK(event_key("ab", v) < lead_upper_bound("ab"));
  CHECK(event_key("abc", 1) > lead_upper_bound("ab"));
  CHECK(event_key("ab.", 1) > lead_upper_bound("ab"));
}

TEST_CASE("event keys split back", "[keys]") {
  std::string_view lead;
  leadbase::lead_version version = 0;
  auto k = event_key("u-88121", 42);
  REQUIRE(split_event_key(k, lead, version));
  CHECK(lead == "u-88121");
  CHECK(version == 42);
  CHECK_FALSE(split_event_key("short", lead, version));
}
