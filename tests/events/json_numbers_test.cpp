// JSON doubles whose digits are all zeros read as zero, whatever their exponent
// or number of zeros. rapidjson 1.1.0's full-precision parser read 0e308 as
// -6.06e-269 and 0.00000000000000000000000 as -1.75e-192 (undefined behaviour,
// found by fuzz/json_fuzz.cpp); events/json_numbers.hpp.
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
  for (std::string zero : {"0e308", "0E+308", "-0.0e308", "0.000e-30", "0.0000000000000000000000e308", "0e37",
                           "0.0000000000000000000000000000e00000",
                           "0.00000000000000000000000", "0.0000000000000000000000000000000000000000",
                           "-0.000000000000000000000000000000"}) {
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

TEST_CASE("json: rewrite_zero_doubles rewrites only zero doubles outside strings, keeping the length", "[json]") {
  std::string storage;
  const std::string plain = R"({"a":1e308,"b":"0e308","c":[10e5,0.5e3,-1,0,0.0,-0.0,10.000e307,0.01]})";
  CHECK(rewrite_zero_doubles(plain, storage).data() == plain.data());  // no copy

  const std::string zeros = R"({"a":0e308,"b":"0e308 \"0e9\"","c":[-0.00E-99,0e0,0.0e+12,0.0000],"d":00e5,"e":0.})";
  std::string_view out = rewrite_zero_doubles(zeros, storage);
  CHECK(out == R"({"a":0.0  ,"b":"0e308 \"0e9\"","c":[-0.0     ,0.0,0.0    ,0.0   ],"d":00e5,"e":0.})");
  CHECK(out.size() == zeros.size());

  // What follows a zero does not matter (rapidjson reads the number before it
  // refuses the rest); "0e" and "0.e1" are refused before any value is read.
  // A zero directly followed by what could continue a number becomes "0" so
  // that it cannot join it ("0e0e0308" must not become "0.0e0308").
  const std::string invalid = R"([-0.0000000000000000000000000000e00000-5,0e308x,0e,0.e1,0.0e+,0e0e0308])";
  out = rewrite_zero_doubles(invalid, storage);
  CHECK(out == "[-0" + std::string(35, ' ') + "-5,0.0  x,0e,0.e1,0.0e+,0  e0308]");
  CHECK(out.size() == invalid.size());
}

TEST_CASE("json: a number beyond the range of a double because of its digits is refused as too big", "[json]") {
  // rapidjson 1.1.0 read past its table of cached powers here (found by fuzz/json_fuzz.cpp).
  const std::string big(84, '5');
  auto p = parse_event_item(enriched_item("0.1", big + ".0000000000000000000000e308"));
  REQUIRE_FALSE(p);
  CHECK(p.failure().code == errc::bad_request);
  CHECK(p.failure().detail.find("Number too big") != std::string::npos);
  // The largest doubles still read.
  auto q = parse_event_item(enriched_item("17976931348623157e292", "1"));
  REQUIRE(q);
  CHECK(*std::get<enriched>(q->ev.data).engagement_rate == 1.7976931348623157e308);
}
