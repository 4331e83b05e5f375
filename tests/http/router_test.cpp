#include <catch2/catch.hpp>

#include "http/router.hpp"
#include "http/server.hpp"

using namespace leadbase::http;

TEST_CASE("router matching: params, literals, 404, 405 with Allow", "[http]") {
  router r;
  auto nop = [](request&, responder) {};
  r.add("GET", "/v1/leads/{lead_id}", scope::read, nop);
  r.add("GET", "/v1/leads/{lead_id}/history", scope::audit, nop);
  r.add("POST", "/v1/leads/{lead_id}/erase", scope::admin, nop);
  r.add("GET", "/v1/leads/export", scope::admin, nop);
  std::map<std::string, std::string> p;

  auto m = r.match("GET", "/v1/leads/u%2D1", p);
  REQUIRE(m.kind == router::match_kind::found);
  CHECK(m.matched->pattern == "/v1/leads/{lead_id}");
  CHECK(p["lead_id"] == "u-1");

  p.clear();
  m = r.match("GET", "/v1/leads/export", p);
  REQUIRE(m.kind == router::match_kind::found);
  CHECK(m.matched->pattern == "/v1/leads/export");
  CHECK(p.empty());

  m = r.match("GET", "/v1/leads/u-1/erase", p);
  CHECK(m.kind == router::match_kind::method_not_allowed);
  CHECK(m.allow == "POST");

  CHECK(r.match("GET", "/v1/leads/", p).kind == router::match_kind::not_found);
  CHECK(r.match("GET", "/v1/other", p).kind == router::match_kind::not_found);
  CHECK(r.match("GET", "/v1/leads/%G1", p).kind == router::match_kind::bad_path);
}

TEST_CASE("sse_message formats id, event and multi-line data", "[http]") {
  CHECK(sse_message("7", "", "x") == "id: 7\ndata: x\n\n");
  CHECK(sse_message("", "e", "a\nb") == "event: e\ndata: a\ndata: b\n\n");
}

TEST_CASE("query and media type helpers", "[http]") {
  std::map<std::string, std::string> q;
  REQUIRE(parse_query("level=A%2CB&q=ana+s&&empty=&flag", q));
  CHECK(q["level"] == "A,B");
  CHECK(q["q"] == "ana s");
  CHECK(q["empty"].empty());
  CHECK(q.count("flag") == 1);
  CHECK_FALSE(parse_query("a=%4", q));
  CHECK(media_type(" Application/JSON ; charset=utf-8") == "application/json");
}

TEST_CASE("router: the same method and pattern twice is refused, the first route stays", "[http][router]") {
  router r;
  int first = 0, second = 0;
  REQUIRE(r.add("GET", "/v1/things/{id}", scope::read, [&](request&, responder) { ++first; }).ok());
  auto again = r.add("GET", "/v1/things/{id}", scope::admin, [&](request&, responder) { ++second; });
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == leadbase::errc::conflict);
  REQUIRE(r.refused().size() == 1);
  CHECK(r.refused()[0] == "GET /v1/things/{id}: registered twice");
  CHECK(r.add("POST", "/v1/things/{id}", scope::admin, [](request&, responder) {}).ok());  // another method

  std::map<std::string, std::string> p;
  auto m = r.match("GET", "/v1/things/a", p);
  REQUIRE(m.kind == router::match_kind::found);
  CHECK(m.matched->required_scope == scope::read);
  request req;
  m.matched->fn(req, responder{});
  CHECK(first == 1);
  CHECK(second == 0);
}

TEST_CASE("server: start fails while the router holds a refused route", "[http][router]") {
  router r;
  auto nop = [](request&, responder) {};
  REQUIRE(r.add("GET", "/v1/x", scope::read, nop).ok());
  REQUIRE_FALSE(r.add("GET", "/v1/x", scope::read, nop).ok());
  leadbase::http::server_options o;
  o.handle_signals = false;
  server srv(o, std::move(r), token_table{});
  auto started = srv.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.err().message.find("GET /v1/x: registered twice") != std::string::npos);
}
