// Issue 10 items 2-4, 10, 13: a real server on 127.0.0.1:0 against clients that
// misbehave -- idle or slow connections filling the slots, bodies sent without
// credentials, clients that never read, repeated parameters and credentials.
#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "http/admission.hpp"
#include "http/server.hpp"
#include "tests/http/test_client.hpp"

using namespace leadbase::http;
using leadbase::http::test::client_response;
using leadbase::http::test::test_client;
using namespace std::chrono_literals;

namespace {

const char* ingest_token = "tok-ingest-0123456789";
const char* read_token = "tok-read-0123456789";
constexpr std::size_t big_body = 8 * 1024 * 1024;

std::pair<std::string, std::string> bearer(const char* tok) { return {"Authorization", std::string{"Bearer "} + tok}; }

struct fixture {
  std::mutex held_m;
  std::vector<responder> held;  ///< GET /held: answered by release_held()
  std::atomic<bool> ready{true};
  std::unique_ptr<server> srv;

  explicit fixture(server_options o) {
    router r;
    r.add("GET", "/v1/leads/{lead_id}", scope::read,
          [](request& rq, responder res) { res(json_response(200, "{\"lead_id\":\"" + rq.path_param("lead_id") + "\"}")); });
    r.add("POST", "/v1/signups", scope::ingest, [](request& rq, responder res) { res(json_response(202, rq.body)); });
    r.add("GET", "/held", std::nullopt, [this](request&, responder res) {
      std::lock_guard<std::mutex> g(held_m);
      held.push_back(res);
    });
    r.add("GET", "/big", std::nullopt,
          [](request&, responder res) { res(text_response(200, std::string(big_body, 'x'))); });
    auto tokens = token_table::from_entries({{"platform", ingest_token, {"ingest"}}, {"sdr", read_token, {"read"}}});
    REQUIRE(tokens.ok());
    o.handle_signals = false;
    o.ready_check = [this] { return readiness{ready.load(), "not yet"}; };
    srv = std::make_unique<server>(std::move(o), std::move(r), std::move(*tokens));
    REQUIRE(srv->start().ok());
  }

  uint16_t port() const { return srv->port(); }

  void wait_held(std::size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> g(held_m);
        if (held.size() >= n) return;
      }
      std::this_thread::sleep_for(5ms);
    }
    FAIL("GET /held was not handled");
  }
  void release_held() {
    std::lock_guard<std::mutex> g(held_m);
    for (auto& r : held) r(json_response(200, R"({"held":true})"));
    held.clear();
  }
  /// Waits until the server counts `n` open connections; false after 5 s.
  bool wait_connections(std::size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (srv->connections() == n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

/// A client that sends one request and never reads, with a tiny receive window,
/// so that a large answer stays in the server.
struct non_reader {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket sock{ioc};
  non_reader(uint16_t port, const std::string& raw) {
    sock.open(boost::asio::ip::tcp::v4());
    sock.set_option(boost::asio::socket_base::receive_buffer_size(4096));
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(sock, boost::asio::buffer(raw));
  }
};

}  // namespace

// -- item 2: connection slots ------------------------------------------------------

TEST_CASE("a new connection is answered when idle connections fill every slot; the idlest gives way",
          "[http][hostile]") {
  server_options o;
  o.max_connections = 3;
  fixture f{o};
  test_client oldest{f.port(), 3s};
  REQUIRE(f.wait_connections(1));
  std::vector<std::unique_ptr<test_client>> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(std::make_unique<test_client>(f.port(), 3s));
  REQUIRE(f.wait_connections(3));

  test_client probe{f.port()};
  auto h = probe.request("GET", "/healthz");
  CHECK(h.status == 200);
  CHECK(probe.request("GET", "/readyz").status == 200);
  CHECK(probe.request("GET", "/v1/leads/a", "", {bearer(read_token)}).status == 200);
  CHECK(oldest.closed_by_peer());
}

TEST_CASE("with every slot busy, probes are answered and other requests get 503 with Retry-After",
          "[http][hostile]") {
  server_options o;
  o.max_connections = 1;
  fixture f{o};
  test_client busy{f.port()};
  busy.send("GET", "/held");
  f.wait_held(1);

  test_client p1{f.port()};
  auto h = p1.request("GET", "/healthz");
  CHECK(h.status == 200);
  CHECK_FALSE(h.keep_alive);
  test_client p2{f.port()};
  auto r = p2.request("HEAD", "/readyz");
  CHECK(r.status == 200);
  CHECK(r.body.empty());

  test_client other{f.port()};
  auto refused = other.request("GET", "/v1/leads/a", "", {bearer(read_token)});
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");
  CHECK(refused.header("Content-Type") == "application/problem+json");
  CHECK_FALSE(refused.keep_alive);

  f.release_held();
  CHECK(busy.read().status == 200);
}

TEST_CASE("a connection that does not complete its request header within header_timeout is closed",
          "[http][hostile]") {
  server_options o;
  o.header_timeout = 300ms;
  o.idle_timeout = 5s;
  fixture f{o};
  SECTION("a new connection that sends part of a header") {
    test_client slow{f.port(), 3s};
    slow.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    auto t0 = std::chrono::steady_clock::now();
    CHECK(slow.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  SECTION("a new connection that sends nothing") {
    test_client silent{f.port(), 3s};
    CHECK(silent.closed_by_peer());
  }
  SECTION("a keep-alive connection whose next header trickles in") {
    test_client c{f.port(), 3s};
    REQUIRE(c.request("GET", "/healthz").status == 200);
    c.write_raw("GET /heal");
    auto t0 = std::chrono::steady_clock::now();
    CHECK(c.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout", "[http][hostile]") {
  server_options o;
  o.idle_timeout = 300ms;
  fixture f{o};
  test_client c{f.port(), 3s};
  REQUIRE(c.request("GET", "/healthz").status == 200);
  CHECK(c.closed_by_peer());
  CHECK(f.wait_connections(0));
}

// -- item 3: decided on the header ---------------------------------------------------

TEST_CASE("an anonymous POST with Expect: 100-continue gets 401 without 100 Continue", "[http][hostile]") {
  fixture f{server_options{}};
  test_client c{f.port(), 3s};
  c.write_raw(
      "POST /v1/signups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\nExpect: 100-continue\r\n\r\n");
  auto r = c.read();
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate") == "Bearer");
  CHECK_FALSE(r.keep_alive);
  test_client after{f.port()};
  CHECK(after.request("GET", "/healthz").status == 200);
}

TEST_CASE("refusals are answered on the header, before the body is sent", "[http][hostile]") {
  fixture f{server_options{}};
  auto head_only = [&](const std::string& request_line, const std::string& headers) {
    test_client c{f.port(), 3s};
    c.write_raw(request_line + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
    client_response r;
    REQUIRE_NOTHROW(r = c.read());  // no body was sent: the answer cannot wait for it
    // A body within the limit is still expected and dropped (the connection is
    // kept); one over it, or one held back for 100 Continue, closes it.
    bool dropped = headers.find("Content-Length: 1000\r\n") != std::string::npos &&
                   headers.find("Expect") == std::string::npos;
    CHECK(r.keep_alive == dropped);
    if (dropped) {
      c.write_raw(std::string(1000, 'x'));
      CHECK(c.request("GET", "/healthz").status == 200);  // the body did not count as a request
    }
    return r.status;
  };
  const std::string ingest = "Authorization: Bearer " + std::string{ingest_token} + "\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  CHECK(head_only("POST /v1/signups", json + "Content-Length: 1000\r\n") == 401);
  CHECK(head_only("POST /v1/signups", json + "Content-Length: 1073741824\r\n") == 401);  // 401 before 413
  CHECK(head_only("POST /v1/signups", "Authorization: Bearer " + std::string{read_token} + "\r\n" + json +
                                          "Content-Length: 1000\r\n") == 403);
  CHECK(head_only("POST /v1/signups", ingest + json + "Content-Length: 1073741824\r\n") == 413);
  CHECK(head_only("POST /v1/signups", ingest + "Content-Type: text/plain\r\nContent-Length: 1000\r\n") == 415);
  CHECK(head_only("POST /nowhere", ingest + json + "Content-Length: 1000\r\n") == 404);
  CHECK(head_only("PUT /v1/signups", ingest + json + "Content-Length: 1000\r\n") == 405);
  CHECK(head_only("POST /v1/signups", ingest + json + "Content-Length: 1073741824\r\nExpect: 100-continue\r\n") ==
        413);
}

TEST_CASE("request bodies in flight are bounded: beyond the budget 503 before the body is read",
          "[http][hostile]") {
  server_options o;
  o.max_body_bytes_in_flight = 1000;
  fixture f{o};
  const std::string body(800, ' ');
  const std::string head = "POST /v1/signups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string{ingest_token} +
                           "\r\nContent-Type: application/json\r\nContent-Length: 800\r\n";
  test_client a{f.port()};
  a.write_raw(head + "Expect: 100-continue\r\n\r\n");
  REQUIRE(a.read().status == 100);  // a's 800 bytes are reserved

  test_client b{f.port(), 3s};
  b.write_raw(head + "\r\n");
  auto refused = b.read();
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");

  a.write_raw(body);
  auto ok = a.read();
  CHECK(ok.status == 202);
  CHECK(ok.body == body);
  // Released with the answer: the next body fits again.
  test_client c{f.port()};
  CHECK(c.request("POST", "/v1/signups", body, {bearer(ingest_token), {"Content-Type", "application/json"}}).status ==
        202);
}

// -- item 4: slow readers --------------------------------------------------------------

TEST_CASE("answers waiting for slow readers are bounded; a client that never reads is dropped after write_timeout",
          "[http][hostile]") {
  server_options o;
  o.write_timeout = 2000ms;
  o.max_output_bytes_in_flight = big_body + big_body / 4;
  fixture f{o};
  non_reader slow{f.port(), "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"};
  std::this_thread::sleep_for(300ms);  // the slow request is answered (and stuck) first
  // While the slow client holds its 8 MiB, a second 8 MiB answer does not fit.
  {
    test_client c{f.port()};
    auto r = c.request("GET", "/big");
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "1");
    CHECK(r.keep_alive);
  }
  // The slow client is dropped once the write timeout has passed...
  auto t0 = std::chrono::steady_clock::now();
  CHECK(f.wait_connections(0));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  // ... and its bytes are free again.
  test_client c{f.port()};
  auto r = c.request("GET", "/big");
  CHECK(r.status == 200);
  CHECK(r.body.size() == big_body);
}

// -- item 10: ambiguous input ------------------------------------------------------------

TEST_CASE("a repeated query parameter is 400 naming it; two Authorization headers are 400", "[http][hostile]") {
  fixture f{server_options{}};
  test_client c{f.port()};
  auto dup = c.request("GET", "/v1/leads/a?level=A&level=B", "", {bearer(read_token)});
  CHECK(dup.status == 400);
  CHECK(dup.body.find("'level'") != std::string::npos);
  auto encoded = c.request("GET", "/v1/leads/a?x=1&%78=2", "", {bearer(read_token)});
  CHECK(encoded.status == 400);
  CHECK(encoded.body.find("'x'") != std::string::npos);
  CHECK(c.request("GET", "/v1/leads/a?x=1&y=2", "", {bearer(read_token)}).status == 200);

  test_client two{f.port()};
  two.write_raw("GET /v1/leads/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string{read_token} +
                "\r\nAuthorization: Bearer " + std::string{read_token} + "\r\n\r\n");
  auto r = two.read();
  CHECK(r.status == 400);
  CHECK(r.body.find("Authorization") != std::string::npos);
}

// -- item 13: probes -----------------------------------------------------------------------

TEST_CASE("HEAD /healthz and HEAD /readyz answer like GET, without a body", "[http][hostile]") {
  fixture f{server_options{}};
  test_client c{f.port()};
  auto h = c.request("HEAD", "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body.empty());
  CHECK(h.header("Content-Length") == std::to_string(std::string{R"({"status":"ok"})"}.size()));
  CHECK(h.keep_alive);
  CHECK(c.request("HEAD", "/readyz").status == 200);
  f.ready = false;
  auto nr = c.request("HEAD", "/readyz");
  CHECK(nr.status == 503);
  CHECK(nr.header("Retry-After") == "1");
  // A refused HEAD has no body either.
  auto na = c.request("HEAD", "/v1/signups");
  CHECK(na.status == 405);
  CHECK(na.body.empty());
  auto anon = c.request("HEAD", "/v1/leads/a");
  CHECK(anon.status == 401);
  CHECK(anon.body.empty());
  // Nothing of a body was sent: the connection still reads the next answer cleanly.
  auto g = c.request("GET", "/healthz");
  CHECK(g.status == 200);
  CHECK(g.body == R"({"status":"ok"})");
}

// -- the accounting on its own ---------------------------------------------------------------

TEST_CASE("connection_slots: the connection waiting longest gives way, then reject slots, then refuse",
          "[http][hostile]") {
  connection_slots s{2, 1};
  CHECK(s.on_accept(1).v == connection_slots::verdict::admit);
  CHECK(s.on_accept(2).v == connection_slots::verdict::admit);
  s.busy(1);
  auto d = s.on_accept(3);  // 2 waits (1 is busy): 2 gives way
  CHECK(d.v == connection_slots::verdict::admit);
  CHECK(d.evict == std::optional<uint64_t>{2});
  s.ended(2);  // evicted: its slot was already counted free
  CHECK(s.admitted() == 2);
  s.busy(3);
  auto r = s.on_accept(4);  // all busy: a reject slot
  CHECK(r.v == connection_slots::verdict::reject);
  CHECK_FALSE(r.evict);
  auto r2 = s.on_accept(5);  // the reject slot's holder waits: it gives way
  CHECK(r2.v == connection_slots::verdict::reject);
  CHECK(r2.evict == std::optional<uint64_t>{4});
  s.busy(5);
  CHECK(s.on_accept(6).v == connection_slots::verdict::refuse);
  s.waiting(1);  // 1 finished its request and idles: it is the next to give way
  CHECK(s.on_accept(7).evict == std::optional<uint64_t>{1});
  s.ended(3);
  s.ended(7);
  s.ended(5);
  CHECK(s.admitted() == 0);
  CHECK(s.rejecting() == 0);
}

TEST_CASE("byte_budget: takes what fits, refuses what does not", "[http][hostile]") {
  byte_budget b{100};
  CHECK(b.try_acquire(60));
  CHECK_FALSE(b.try_acquire(41));
  CHECK(b.try_acquire(40));
  CHECK_FALSE(b.try_acquire(1));
  b.release(60);
  CHECK(b.in_use() == 40);
  CHECK_FALSE(b.try_acquire(static_cast<std::size_t>(-1)));
}
