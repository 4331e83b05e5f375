// JSON numbers whose digits are all zeros and whose exponent is large read as
// zero. rapidjson 1.1.0's full-precision parser read 0e308 as -6.06e-269
// (undefined behaviour, found by fuzz/json_fuzz.cpp); events/json_numbers.hpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "events/json.hpp"
#include "events/json_numbers.hpp"

using namespace leadbase;

namespace {

std::string enriched_item(const std::string& engagement_rate, const std::string& reels) {
  return R"({"event_id":"ev-3","lead_id":"u-1","type":"enriched","occurred_at":"2026-11-28T12:00:02Z",)"
         R"("data":{"network":"instagram","handle":"anasouza","followers":48210,"creator_tier":"micro",)"
         R"("fetched_at":"2026-11-28T12:00:02Z","engagement_rate":)" +
         engagement_rate + R"(,"content_mix":{"image":1,"reels":)" + reels + "}}}";
}

}  // namespace

TEST_CASE("json: a zero written with a large exponent reads as zero, not as a tiny or negative number", "[json]") {
  for (std::string zero : {"0e308", "0E+308", "-0.0e308", "0.000e-30", "0.0000000000000000000000e308", "0e37"}) {
    INFO(zero);
    auto p = parse_event_item(enriched_item(zero, zero));
    REQUIRE(p);
    const auto& e = std::get<enriched>(p->ev.data);
    REQUIRE(e.engagement_rate.has_value());
    CHECK(*e.engagement_rate == 0.0);
    CHECK(e.mix.reels == 0.0);
  }
  // Numbers that are not zero keep their value.
  auto p = parse_event_item(enriched_item("3.1e-2", "0.5e0"));
  REQUIRE(p);
  CHECK(*std::get<enriched>(p->ev.data).engagement_rate == 0.031);
  CHECK(std::get<enriched>(p->ev.data).mix.reels == 0.5);
}

TEST_CASE("json: zero_exponents_of_zero_numbers touches only the exponent digits of zero numbers", "[json]") {
  std::string storage;
  const std::string plain = R"({"a":1e308,"b":"0e308","c":[10e5,0.5e3,-1]})";
  CHECK(zero_exponents_of_zero_numbers(plain, storage).data() == plain.data());  // no copy

  const std::string zeros = R"({"a":0e308,"b":"0e308 \"0e9\"","c":[-0.00E-99,0e0,0.0e+12],"d":00e5})";
  std::string_view out = zero_exponents_of_zero_numbers(zeros, storage);
  CHECK(out == R"({"a":0e000,"b":"0e308 \"0e9\"","c":[-0.00E-00,0e0,0.0e+00],"d":00e0})");
  CHECK(out.size() == zeros.size());
}
