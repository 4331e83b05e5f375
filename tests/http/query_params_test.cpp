// http/query_params.hpp: one integer rule and one read-wait rule for every route.
#include <catch2/catch.hpp>

#include "http/query_params.hpp"

using namespace leadbase::http;

namespace {

request with_query(std::map<std::string, std::string> q) {
  request r;
  r.query = std::move(q);
  return r;
}

} // namespace

TEST_CASE("parse_uint: digits only, within the bound, up to 2^64-1", "[http][query]") {
  CHECK(parse_uint("0") == uint64_t{0});
  CHECK(parse_uint("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_uint("18446744073709551616"));  // one past: refused, not wrapped
  CHECK_FALSE(parse_uint(""));
  CHECK_FALSE(parse_uint("-1"));
  CHECK_FALSE(parse_uint("+1"));
  CHECK_FALSE(parse_uint(" 1"));
  CHECK_FALSE(parse_uint("1e3"));
  CHECK(parse_uint("500", 500) == uint64_t{500});
  CHECK_FALSE(parse_uint("501", 500));
}

TEST_CASE("uint_param and parse_read_wait name the parameter and its range", "[http][query]") {
  uint64_t limit = 100;
  CHECK_FALSE(uint_param(with_query({}), "limit", limit, 1, 1000));
  CHECK(limit == 100);
  auto bad = uint_param(with_query({{"limit", "0"}}), "limit", limit, 1, 1000);
  REQUIRE(bad);
  CHECK(bad->status == 422);
  REQUIRE(bad->errors.size() == 1);
  CHECK(bad->errors[0].field == "limit");
  CHECK(bad->errors[0].message == "must be an integer from 1 to 1000");
  auto neg = uint_param(with_query({{"after", "x"}}), "after", limit);
  REQUIRE(neg);
  CHECK(neg->errors[0].message == "must be a non-negative integer");

  read_wait w;
  CHECK_FALSE(parse_read_wait(with_query({{"min_position", "42"}, {"wait_ms", "10000"}}), w));
  CHECK(w.min_position == uint64_t{42});
  CHECK(w.wait.count() == 10000);
  read_wait d;
  CHECK_FALSE(parse_read_wait(with_query({}), d));
  CHECK_FALSE(d.min_position);
  CHECK(d.wait == read_wait::default_wait);
  read_wait over;
  auto p = parse_read_wait(with_query({{"wait_ms", "10001"}}), over);
  REQUIRE(p);
  CHECK(p->errors[0].field == "wait_ms");
  CHECK(p->errors[0].message == "must be an integer from 0 to 10000");
}
