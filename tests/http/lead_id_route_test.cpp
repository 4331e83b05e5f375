// Every route with a {lead_id} checks it with the ingest rule before its
// handler runs (http/router.cpp): a NUL-padded id once read another lead's
// events and showed them as erased.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "http/router.hpp"
#include "tests/support/captured_responder.hpp"

using namespace leadbase::http;
using namespace std::string_literals;

namespace {

/// Matches `path` and runs its route's handler; the response it sent.
std::optional<response> call(const router& r, const std::string& method, const std::string& path) {
  request req;
  req.method = method;
  req.path = path;
  auto m = r.match(method, path, req.path_params);
  REQUIRE(m.kind == router::match_kind::found);
  std::optional<response> out;
  m.matched->fn(req, leadbase::test::capture_responder([&](response res) { out = std::move(res); }));
  return out;
}

} // namespace

TEST_CASE("a {lead_id} that fails the id rule is 422 on every route, before the handler runs", "[http][lead_id]") {
  router r;
  int ran = 0;
  auto handler = [&ran](request&, responder res) {
    ++ran;
    res(json_response(200, "{}"));
  };
  for (const char* pattern : {"/v1/leads/{lead_id}", "/v1/leads/{lead_id}/history", "/v1/leads/{lead_id}/state",
                              "/v1/leads/{lead_id}/replay", "/v1/leads/{lead_id}/enrichment/retry"})
    r.add("GET", pattern, scope::read, handler);
  r.add("POST", "/v1/leads/{lead_id}/erase", scope::admin, handler);

  const std::vector<std::string> bad = {"abc%00",  "abc%00%00%00%00%00%00%00%00%01", "%00", "abc%01", ".",
                                        "..",      "...",   "%2E%2E", "a%20b", "a%2Fb", std::string(65, 'a'),
                                        "%C3%A9"};
  for (const std::string& suffix : {""s, "/history"s, "/state"s, "/replay"s, "/enrichment/retry"s, "/erase"s}) {
    const std::string method = suffix == "/erase" ? "POST" : "GET";
    for (const auto& id : bad) {
      INFO(method << " /v1/leads/" << id << suffix);
      auto res = call(r, method, "/v1/leads/" + id + suffix);
      REQUIRE(res);
      CHECK(res->status == 422);
      CHECK(res->content_type == "application/problem+json");
      rapidjson::Document d;
      d.Parse(res->body.c_str());
      REQUIRE(d.IsObject());
      REQUIRE(d.HasMember("errors"));
      REQUIRE(d["errors"].Size() == 1);
      CHECK(std::string(d["errors"][0]["field"].GetString()) == "lead_id");
    }
    CHECK(ran == 0);
    auto good = call(r, method, "/v1/leads/u-88121.a:b_c" + suffix);
    REQUIRE(good);
    CHECK(good->status == 200);
    CHECK(ran == 1);
    ran = 0;
  }
}

TEST_CASE("routes without a {lead_id} are not checked", "[http][lead_id]") {
  router r;
  r.add("GET", "/v1/things/{name}", scope::read, [](request&, responder res) { res(json_response(200, "{}")); });
  auto res = call(r, "GET", "/v1/things/..%00");
  REQUIRE(res);
  CHECK(res->status == 200);
}
