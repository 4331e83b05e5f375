// A real server on 127.0.0.1:0 with dummy routes, driven by a real client.
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "http/server.hpp"
#include "tests/http/test_client.hpp"
#include "tests/support/captured_responder.hpp"

using namespace leadbase::http;
using leadbase::http::test::client_response;
using leadbase::http::test::test_client;

namespace {

const char* ingest_token = "tok-ingest-0123456789";
const char* read_token = "tok-read-0123456789";

token_table make_tokens() {
  auto t = token_table::from_entries({{"platform", ingest_token, {"ingest"}}, {"sdr", read_token, {"read"}}});
  REQUIRE(t.ok());
  return *t;
}

std::pair<std::string, std::string> bearer(const char* tok) { return {"Authorization", std::string{"Bearer "} + tok}; }
std::pair<std::string, std::string> json_ct() { return {"Content-Type", "application/json"}; }

/// A server with dummy routes, started on an OS-chosen port.
struct fixture {
  std::atomic<bool> ready{true};
  std::promise<void> slow_entered;
  std::shared_ptr<std::atomic<int>> late_done = std::make_shared<std::atomic<int>>(0);
  std::mutex held_m;
  std::vector<responder> held;  ///< GET /held: answered by release_held()
  std::unique_ptr<server> srv;

  /// Waits until `n` requests to GET /held are being handled.
  void wait_held(std::size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> g(held_m);
        if (held.size() >= n) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("GET /held was not handled");
  }
  void release_held() {
    std::lock_guard<std::mutex> g(held_m);
    for (auto& r : held) r(json_response(200, R"({"held":true})"));
    held.clear();
  }

  explicit fixture(server_options o = {}) {
    router r;
    r.add("GET", "/v1/leads/{lead_id}", scope::read, [](request& rq, responder res) {
      res(json_response(200, "{\"lead_id\":\"" + rq.path_param("lead_id") + "\",\"q\":\"" +
                                 (rq.query_param("q") ? *rq.query_param("q") : std::string{}) + "\",\"who\":\"" +
                                 rq.principal + "\",\"peer\":\"" + rq.remote_address + "\"}"));
    });
    r.add("GET", "/v1/leads/stats", scope::read,
          [](request&, responder res) { res(json_response(200, R"({"literal":true})")); });
    r.add("POST", "/v1/signups", scope::ingest, [](request& rq, responder res) {
      auto out = json_response(202, rq.body);
      out.set_header("Location", "/v1/leads/x");
      res(std::move(out));
    });
    r.add("DELETE", "/v1/signups", scope::admin, [](request&, responder res) { res(empty_response(204)); });
    route_options batch;
    batch.content_types = {"application/json", "application/x-ndjson"};
    r.add("POST", "/v1/events", scope::ingest,
          [](request& rq, responder res) { res(text_response(200, rq.content_type().data())); }, batch);
    r.add("POST", "/v1/later", scope::ingest, [done = late_done](request& rq, responder res) {
      std::string body = rq.body;
      std::thread([done, res, body] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        res(json_response(202, body));
        ++*done;
      }).detach();
    });
    r.add("GET", "/slow", std::nullopt, [this](request&, responder res) {
      slow_entered.set_value();
      std::thread([res] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        res(json_response(200, R"({"slow":true})"));
      }).detach();
    });
    r.add("GET", "/never", std::nullopt, [](request&, responder) {});
    r.add("GET", "/held", std::nullopt, [this](request&, responder res) {
      std::lock_guard<std::mutex> g(held_m);
      held.push_back(res);
    });
    r.add("GET", "/throws", std::nullopt, [](request&, responder) { throw std::runtime_error("boom"); });
    r.add("GET", "/cid", std::nullopt, [](request& rq, responder res) { res(text_response(200, rq.correlation_id)); });
    r.add("GET", "/stream", std::nullopt, [](request&, responder res) {
      response head;
      head.content_type = "text/event-stream";
      head.set_header("Cache-Control", "no-cache");
      auto st = res.start_stream(std::move(head));
      if (!st) return;  // on the server's thread, no Catch assertion: the client sees no stream
      std::thread([st] {
        st->write(sse_message("1", "", "one"));
        st->write(sse_message("2", "lead", "two\nlines"));
        st->close();
      }).detach();
    });
    o.ready_check = [this] { return readiness{ready.load(), "projections behind"}; };
    o.handle_signals = false;
    srv = std::make_unique<server>(std::move(o), std::move(r), make_tokens());
    auto st = srv->start();
    REQUIRE(st.ok());
    REQUIRE(srv->port() != 0);
  }

  uint16_t port() const { return srv->port(); }
};

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

void require_problem(const client_response& r, int status, const std::string& kind) {
  CHECK(r.status == status);
  CHECK(r.header("Content-Type") == "application/problem+json");
  auto d = parse(r.body);
  REQUIRE(d.IsObject());
  CHECK(std::string{d["type"].GetString()} == "urn:leadbase:problem:" + kind);
  CHECK(d["title"].IsString());
  CHECK(d["status"].GetInt() == status);
  CHECK(d["detail"].IsString());
}

}  // namespace

TEST_CASE("healthz and readyz need no token", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto r = c.request("GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.body == R"({"status":"ok"})");
  CHECK(c.request("GET", "/readyz").status == 200);
  f.ready = false;
  auto nr = c.request("GET", "/readyz");
  require_problem(nr, 503, "overloaded");
  CHECK(nr.header("Retry-After") == "1");
}

TEST_CASE("auth: 401 with WWW-Authenticate, 403 without the scope, 200 with it", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto none = c.request("GET", "/v1/leads/u-1");
  require_problem(none, 401, "unauthorized");
  CHECK(none.header("WWW-Authenticate") == "Bearer");

  auto unknown = c.request("GET", "/v1/leads/u-1", "", {{"Authorization", "Bearer nope"}});
  require_problem(unknown, 401, "unauthorized");
  CHECK(unknown.header("WWW-Authenticate") == "Bearer");

  auto basic = c.request("GET", "/v1/leads/u-1", "", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  CHECK(basic.status == 401);

  auto wrong_scope = c.request("GET", "/v1/leads/u-1", "", {bearer(ingest_token)});
  require_problem(wrong_scope, 403, "forbidden");

  auto ok = c.request("GET", "/v1/leads/u-1", "", {bearer(read_token)});
  CHECK(ok.status == 200);
  auto d = parse(ok.body);
  CHECK(std::string{d["lead_id"].GetString()} == "u-1");
  CHECK(std::string{d["who"].GetString()} == "sdr");
}

TEST_CASE("router: path and query parameters are decoded, literals beat parameters", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto r = c.request("GET", "/v1/leads/a%3Ab?q=ana+souza%21&x=1", "", {bearer(read_token)});
  REQUIRE(r.status == 200);
  auto d = parse(r.body);
  CHECK(std::string{d["lead_id"].GetString()} == "a:b");
  CHECK(std::string{d["q"].GetString()} == "ana souza!");
  auto lit = c.request("GET", "/v1/leads/stats", "", {bearer(read_token)});
  CHECK(lit.body == R"({"literal":true})");
  auto bad = c.request("GET", "/v1/leads/%zz", "", {bearer(read_token)});
  require_problem(bad, 400, "bad_request");
}

TEST_CASE("404 problem for an unknown path, 405 with Allow for a known one", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto nf = c.request("GET", "/nope");
  require_problem(nf, 404, "not_found");
  auto na = c.request("PUT", "/v1/signups", "{}", {bearer(ingest_token), json_ct()});
  require_problem(na, 405, "method_not_allowed");
  CHECK(na.header("Allow") == "DELETE, POST");
  auto na2 = c.request("POST", "/healthz", "{}", {json_ct()});
  CHECK(na2.status == 405);
  CHECK(na2.header("Allow") == "GET");
}

TEST_CASE("415 for a body that is not JSON; per-route media types", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto r = c.request("POST", "/v1/signups", "a=b", {bearer(ingest_token), {"Content-Type", "text/plain"}});
  require_problem(r, 415, "unsupported_media_type");
  auto missing = c.request("POST", "/v1/signups", "{}", {bearer(ingest_token)});
  CHECK(missing.status == 415);
  auto ok = c.request("POST", "/v1/signups", R"({"a":1})",
                      {bearer(ingest_token), {"Content-Type", "Application/JSON; charset=utf-8"}});
  CHECK(ok.status == 202);
  CHECK(ok.body == R"({"a":1})");
  CHECK(ok.header("Location") == "/v1/leads/x");
  auto nd = c.request("POST", "/v1/events", "{}\n{}\n", {bearer(ingest_token), {"Content-Type", "application/x-ndjson"}});
  CHECK(nd.status == 200);
  auto nd_elsewhere =
      c.request("POST", "/v1/signups", "{}\n", {bearer(ingest_token), {"Content-Type", "application/x-ndjson"}});
  CHECK(nd_elsewhere.status == 415);
}

TEST_CASE("413 for a body over 1 MiB, then the server is still healthy", "[http]") {
  fixture f;
  {
    test_client c{f.port()};
    std::string big(1024 * 1024 + 1, 'x');
    auto r = c.request("POST", "/v1/signups", big, {bearer(ingest_token), json_ct()});
    require_problem(r, 413, "payload_too_large");
    CHECK_FALSE(r.keep_alive);
    CHECK(c.closed_by_peer());
  }
  {
    test_client c{f.port()};  // exactly 1 MiB is fine
    std::string limit(1024 * 1024, ' ');
    auto r = c.request("POST", "/v1/signups", limit, {bearer(ingest_token), json_ct()});
    CHECK(r.status == 202);
    CHECK(r.body.size() == limit.size());
  }
  test_client c{f.port()};
  CHECK(c.request("GET", "/healthz").status == 200);
}

TEST_CASE("100-continue is answered before the body is read", "[http]") {
  fixture f;
  test_client c{f.port()};
  c.write_raw("POST /v1/signups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string{ingest_token} +
              "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  auto cont = c.read();
  CHECK(cont.status == 100);
  c.write_raw("{}");
  auto r = c.read();
  CHECK(r.status == 202);
}

TEST_CASE("400 on malformed HTTP, then the connection is closed", "[http]") {
  fixture f;
  test_client c{f.port()};
  c.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nthis line has no colon\r\n\r\n");
  auto r = c.read();
  require_problem(r, 400, "bad_request");
  CHECK(r.header("Connection") == "close");
  CHECK(c.closed_by_peer());
  test_client c2{f.port()};
  CHECK(c2.request("GET", "/healthz").status == 200);
}

TEST_CASE("keep-alive: two requests on one connection", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto a = c.request("GET", "/v1/leads/a", "", {bearer(read_token)});
  auto b = c.request("GET", "/v1/leads/b", "", {bearer(read_token)});
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.keep_alive);
  // Same client port: the same TCP connection served both.
  CHECK(std::string{parse(a.body)["peer"].GetString()} == parse(b.body)["peer"].GetString());
  CHECK(f.srv->connections() == 1);
}

TEST_CASE("a responder called later from another thread", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto r = c.request("POST", "/v1/later", R"({"x":"y"})", {bearer(ingest_token), json_ct()});
  CHECK(r.status == 202);
  CHECK(r.body == R"({"x":"y"})");
  // and again on the same connection
  CHECK(c.request("POST", "/v1/later", "{}", {bearer(ingest_token), json_ct()}).status == 202);
}

TEST_CASE("a responder called after the client went away is harmless", "[http]") {
  fixture f;
  {
    test_client c{f.port()};
    c.send("POST", "/v1/later", "{}", {bearer(ingest_token), json_ct()});
    c.close();
  }
  while (f.late_done->load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  test_client c{f.port()};
  CHECK(c.request("GET", "/healthz").status == 200);
}

TEST_CASE("a captured responder (tests/support) keeps the first answer only", "[http]") {
  response got;
  int calls = 0;
  auto res = leadbase::test::capture_responder([&](response r) {
    got = std::move(r);
    ++calls;
  });
  res(json_response(201, "{}"));
  res(json_response(500, "{}"));  // only the first call counts
  CHECK(calls == 1);
  CHECK(got.status == 201);
  CHECK(got.content_type == "application/json");
}

TEST_CASE("correlation id: echoed, generated, or replaced when malformed", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto echoed = c.request("GET", "/cid", "", {{"X-Correlation-Id", "req-42:a.b_c"}});
  CHECK(echoed.header("X-Correlation-Id") == "req-42:a.b_c");
  CHECK(echoed.body == "req-42:a.b_c");

  auto generated = c.request("GET", "/cid");
  auto id = generated.header("X-Correlation-Id");
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(generated.body == id);

  auto problem404 = c.request("GET", "/nope", "", {{"X-Correlation-Id", "trace-1"}});
  CHECK(problem404.header("X-Correlation-Id") == "trace-1");

  // docs/http-api.md: "else a new one is made and returned" -- never a 422, on any route.
  auto bad = c.request("GET", "/cid", "", {{"X-Correlation-Id", "has space"}});
  CHECK(bad.status == 200);
  auto fresh = bad.header("X-Correlation-Id");
  CHECK(fresh.size() == 16);
  CHECK(fresh.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(bad.body == fresh);
  auto probe = c.request("GET", "/healthz", "", {{"X-Correlation-Id", std::string(65, 'a')}});
  CHECK(probe.status == 200);
  CHECK(probe.header("X-Correlation-Id").size() == 16);
  CHECK(c.request("GET", "/readyz", "", {{"X-Correlation-Id", "bad/id"}}).status == 200);
}

TEST_CASE("a handler that throws answers 500, one that never answers 503", "[http]") {
  server_options o;
  o.handler_timeout = std::chrono::milliseconds(200);
  fixture f{o};
  test_client c{f.port()};
  require_problem(c.request("GET", "/throws"), 500, "internal");
  auto never = c.request("GET", "/never");
  require_problem(never, 503, "overloaded");
  CHECK(never.header("Retry-After") == "1");
  test_client c2{f.port()};
  CHECK(c2.request("GET", "/healthz").status == 200);
}

TEST_CASE("over the connection cap a new connection gets 503 with Retry-After", "[http]") {
  server_options o;
  o.max_connections = 1;
  fixture f{o};
  // The one slot is busy (a request in progress), so it cannot be given up.
  test_client first{f.port()};
  first.send("GET", "/held");
  f.wait_held(1);
  test_client second{f.port()};
  auto r = second.request("GET", "/v1/leads/x", "", {bearer(read_token)});
  require_problem(r, 503, "overloaded");
  CHECK(r.header("Retry-After") == "1");
  CHECK_FALSE(r.keep_alive);
  f.release_held();
  CHECK(first.read().status == 200);
}

TEST_CASE("server-sent events: a chunked text/event-stream response", "[http]") {
  fixture f;
  test_client c{f.port()};
  auto r = c.request("GET", "/stream");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type") == "text/event-stream");
  CHECK(r.header("Transfer-Encoding") == "chunked");
  CHECK(r.body == "id: 1\ndata: one\n\nid: 2\nevent: lead\ndata: two\ndata: lines\n\n");
}

TEST_CASE("graceful stop lets an in-flight slow request finish", "[http]") {
  fixture f;
  test_client c{f.port()};
  c.send("GET", "/slow");
  f.slow_entered.get_future().wait();
  std::thread stopper([&] { f.srv->stop(); });
  auto r = c.read();
  stopper.join();
  CHECK(r.status == 200);
  CHECK(r.body == R"({"slow":true})");
  CHECK_FALSE(r.keep_alive);
  CHECK_THROWS(test_client{f.port(), std::chrono::seconds(2)}.request("GET", "/healthz"));
}

TEST_CASE("stop closes idle keep-alive connections and is idempotent", "[http]") {
  fixture f;
  test_client c{f.port()};
  REQUIRE(c.request("GET", "/healthz").status == 200);
  f.srv->stop();
  CHECK(c.closed_by_peer());
  f.srv->stop();
  CHECK(f.srv->connections() == 0);
}

TEST_CASE("per-route statistics count answers by status class", "[http]") {
  fixture f;
  test_client c{f.port()};
  c.request("GET", "/healthz");
  c.request("GET", "/healthz");
  c.request("GET", "/nope");
  bool seen_health = false, seen_unmatched = false;
  for (const auto& s : f.srv->stats()) {
    if (s.pattern == "/healthz") {
      seen_health = true;
      CHECK(s.by_class[1] == 2);
      CHECK(s.count == 2);
      CHECK(s.cumulative_buckets.back() == 2);
    }
    if (s.pattern == "unmatched") {
      seen_unmatched = true;
      CHECK(s.by_class[3] == 1);
    }
  }
  CHECK(seen_health);
  CHECK(seen_unmatched);
}

TEST_CASE("start fails cleanly when the port is taken", "[http]") {
  fixture f;
  server_options o;
  o.port = f.port();
  o.handle_signals = false;
  server other{o, router{}, token_table{}};
  auto st = other.start();
  CHECK_FALSE(st.ok());
}
