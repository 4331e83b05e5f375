// URL handling of the provider HTTP client.
#include <future>

#include <catch2/catch.hpp>

#include "discovery/http_client.hpp"
#include "discovery/simulator.hpp"

using namespace leadbase;
using namespace leadbase::discovery;

TEST_CASE("parse_base_url takes a provider base URL apart", "[discovery][http_client]") {
  auto g = parse_base_url("https://graph.facebook.com/v21.0/");
  REQUIRE(g.ok());
  REQUIRE(g->tls);
  REQUIRE(g->host == "graph.facebook.com");
  REQUIRE(g->port == 443);
  REQUIRE(g->path_prefix == "/v21.0");
  REQUIRE(g->host_header() == "graph.facebook.com");

  auto s = parse_base_url("http://127.0.0.1:8089");
  REQUIRE(s.ok());
  REQUIRE_FALSE(s->tls);
  REQUIRE(s->port == 8089);
  REQUIRE(s->path_prefix.empty());
  REQUIRE(s->host_header() == "127.0.0.1:8089");

  auto v6 = parse_base_url("http://[::1]:9000/youtube/v3");
  REQUIRE(v6.ok());
  REQUIRE(v6->host == "::1");
  REQUIRE(v6->host_header() == "[::1]:9000");

  for (const char* bad : {"graph.facebook.com", "ftp://x", "http://", "http://:80", "http://h:x", "http://h:70000",
                          "http://h:0", "http://h/p?q=1", "http://u@h", "http://[::1"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_base_url(bad).ok());
  }
}

TEST_CASE("url_encode and url_decode round-trip", "[discovery][http_client]") {
  REQUIRE(url_encode("a-b_c.d~e") == "a-b_c.d~e");
  REQUIRE(url_encode("a b(c){d},@") == "a%20b%28c%29%7Bd%7D%2C%40");
  const std::string weird = "x y+z&w=%(é)";
  REQUIRE(url_decode(url_encode(weird)) == weird);
  REQUIRE(url_decode("a+b%2") == "a b%2");
}

TEST_CASE("parse_listen splits HOST:PORT", "[discovery][http_client]") {
  auto a = parse_listen("127.0.0.1:0");
  REQUIRE(a.ok());
  REQUIRE(a->first == "127.0.0.1");
  REQUIRE(a->second == 0);
  auto b = parse_listen("[::1]:8080");
  REQUIRE(b.ok());
  REQUIRE(b->first == "::1");
  REQUIRE_FALSE(parse_listen("localhost").ok());
  REQUIRE_FALSE(parse_listen("h:99999").ok());
}

TEST_CASE("an https base URL against a plain HTTP server fails the handshake", "[discovery][http_client]") {
  simulator sim({"127.0.0.1:0", 1, 0, 0, 60000, 1});
  REQUIRE(sim.start().ok());
  auto base = parse_base_url("https://127.0.0.1:" + std::to_string(sim.port()));
  REQUIRE(base.ok());
  http_client_options o;
  o.timeout = std::chrono::milliseconds(3000);
  auto client = http_client::create(*base, o);
  REQUIRE(client.ok());
  std::promise<http_outcome> p;
  (*client)->get("/x", [&](http_outcome r) { p.set_value(std::move(r)); });
  auto f = p.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto outcome = f.get();
  REQUIRE(std::holds_alternative<http_failure>(outcome));
  const auto kind = std::get<http_failure>(outcome).kind;
  REQUIRE((kind == transport_error::tls_failed || kind == transport_error::io));
}

TEST_CASE("a provider's client keeps as many idle connections as it may have calls in flight", "[http_client]") {
  CHECK(provider_client_options(5000, 32).max_idle == 32);
  CHECK(provider_client_options(5000, 32).timeout == std::chrono::milliseconds(5000));
  CHECK(provider_client_options(5000, 2).max_idle == http_client_options{}.max_idle);  // never fewer than the default
}
