// The [limits] keys that bound what hostile HTTP clients can hold (issue 10
// items 2-4): defaults, a full set, and bounds that name the key.
#include <catch2/catch.hpp>

#include "app/config.hpp"

using namespace leadbase;
using Catch::Matchers::Contains;

namespace {
const env_lookup no_env = [](const char*) -> const char* { return nullptr; };
}

TEST_CASE("config: the HTTP admission limits have defaults and can be set", "[config]") {
  auto d = parse_config("", "t", no_env);
  REQUIRE(d.ok());
  CHECK(d->limits.header_timeout_ms == 5000);
  CHECK(d->limits.idle_timeout_ms == 30000);
  CHECK(d->limits.max_body_bytes_in_flight == 64u << 20);
  CHECK(d->limits.max_output_bytes_in_flight == 256u << 20);
  CHECK(d->limits.max_stream_subscribers == 1000);

  auto r = parse_config(
      "[limits]\nheader_timeout_ms = 2000\nidle_timeout_ms = 10000\nmax_body_bytes_in_flight = 2097152\n"
      "max_output_bytes_in_flight = 4194304\nmax_stream_subscribers = 10\n",
      "t", no_env);
  REQUIRE(r.ok());
  CHECK(r->limits.header_timeout_ms == 2000);
  CHECK(r->limits.idle_timeout_ms == 10000);
  CHECK(r->limits.max_body_bytes_in_flight == 2097152);
  CHECK(r->limits.max_output_bytes_in_flight == 4194304);
  CHECK(r->limits.max_stream_subscribers == 10);

  for (const char* bad : {"header_timeout_ms = 0", "idle_timeout_ms = 0", "max_body_bytes_in_flight = 1000",
                          "max_output_bytes_in_flight = 1000", "max_stream_subscribers = 0"}) {
    INFO(bad);
    auto e = parse_config(std::string{"[limits]\n"} + bad + "\n", "t", no_env);
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.err().message, Contains("limits." + std::string{bad}.substr(0, std::string{bad}.find(' '))));
  }
}
