// JSON doubles whose digits are all zeros read as zero, whatever their exponent
// or number of zeros. rapidjson 1.1.0's full-precision parser read 0e308 as
// -6.06e-269 and 0.00000000000000000000000 as -1.75e-192 (undefined behaviour,
// found by fuzz/json_fuzz.cpp); events/json_numbers.hpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
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

TEST_CASE("json: a significand of 2^64 - 1 followed by a digit of 5 or more reads correctly rounded", "[json]") {
  // rapidjson 1.1.0's rounding overflowed such a significand to 0 and took the
  // clz(0) path: 0.000184467440737095516155 read as -7.46e-155 (found by
  // fuzz/json_fuzz.cpp after about a million executions).
  for (std::string number : {"0.000184467440737095516155", "0.184467440737095516155", "1844674407370955161599e-26",
                             "0.18446744073709551615999999"}) {
    INFO(number);
    auto p = parse_event_item(enriched_item("0.1", number));
    REQUIRE(p);
    CHECK(std::get<enriched>(p->ev.data).mix.reels == std::strtod(number.c_str(), nullptr));
  }
}

TEST_CASE("json: parse_json_document reads numbers as rapidjson types them, correctly rounded", "[json]") {
  rapidjson::Document doc;
  REQUIRE_FALSE(parse_json_document(doc, R"([0,-0,4294967295,4294967296,-2147483648,18446744073709551615,)"
                                         R"(-9223372036854775808,18446744073709551616,-9223372036854775809,)"
                                         R"(0.1,1e-400,-1e-400,4.9e-324,1.7976931348623157e308,"12"])")
                    .IsError());
  REQUIRE(doc.IsArray());
  CHECK((doc[0].IsUint() && doc[0].IsInt() && doc[0].GetInt() == 0));
  CHECK((doc[1].IsInt() && doc[1].GetInt() == 0));
  CHECK((doc[2].IsUint() && !doc[2].IsInt() && doc[2].GetUint() == 4294967295u));
  CHECK((!doc[3].IsUint() && doc[3].IsInt64() && doc[3].GetInt64() == 4294967296));
  CHECK((doc[4].IsInt() && doc[4].GetInt() == -2147483648LL));
  CHECK((doc[5].IsUint64() && !doc[5].IsInt64() && doc[5].GetUint64() == 18446744073709551615ull));
  CHECK((doc[6].IsInt64() && doc[6].GetInt64() == std::numeric_limits<std::int64_t>::min()));
  CHECK((doc[7].IsDouble() && doc[7].GetDouble() == 18446744073709551616.0));
  CHECK((doc[8].IsDouble() && doc[8].GetDouble() == -9223372036854775809.0));
  CHECK((doc[9].IsDouble() && doc[9].GetDouble() == 0.1));
  CHECK((doc[10].IsDouble() && doc[10].GetDouble() == 0.0 && !std::signbit(doc[10].GetDouble())));
  CHECK((doc[11].IsDouble() && doc[11].GetDouble() == 0.0 && std::signbit(doc[11].GetDouble())));
  CHECK(doc[12].GetDouble() == 4.9e-324);
  CHECK(doc[13].GetDouble() == 1.7976931348623157e308);
  CHECK(doc[14].IsString());  // a string of digits stays a string

  // Too big, by exponent or by digits: refused, with the offset of the number's end.
  for (std::string big : {"[1.8e308]", "[1e400]", "[-1e309]", "[179769313486231580000000000000000000000000000000000000000"
                                                                "00000000000000000000000000000000000000000000000000000000"
                                                                "00000000000000000000000000000000000000000000000000000000"
                                                                "00000000000000000000000000000000000000000000000000000000"
                                                                "00000000000000000000000000000000000000000000000000000000"
                                                                "000000000000000000000000000000000000000000]"}) {
    INFO(big);
    const auto r = parse_json_document(doc, big);
    CHECK(r.Code() == rapidjson::kParseErrorNumberTooBig);
    CHECK(doc.IsNull());
  }
  // Other errors keep rapidjson's code and offset.
  const auto r = parse_json_document(doc, "[1,]");
  CHECK(r.Code() == rapidjson::kParseErrorValueInvalid);
  CHECK(r.Offset() == 3);
}

TEST_CASE("json: a number beyond the range of a double because of its digits is refused as too big", "[json]") {
  // rapidjson 1.1.0 read past its table of cached powers here (found by fuzz/json_fuzz.cpp).
  const std::string big(84, '5');
  auto p = parse_event_item(enriched_item("0.1", big + ".0000000000000000000000e308"));
  REQUIRE_FALSE(p);
  CHECK(p.err().code == errc::bad_request);
  CHECK(p.err().detail.find("Number too big") != std::string::npos);
  // The largest doubles still read.
  auto q = parse_event_item(enriched_item("17976931348623157e292", "1"));
  REQUIRE(q);
  CHECK(*std::get<enriched>(q->ev.data).engagement_rate == 1.7976931348623157e308);
}
