// The retry policy (DOMAIN.md "Failures and resilience"): which classes retry,
// the attempt limit, the full-jitter schedule with fixed random values, and the
// server-given wait that wins over it. No sleeps: delays are numbers.
#include "discovery/backoff.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace leadbase;
using namespace leadbase::discovery;

namespace {

/// Always returns `u`.
uniform_source fixed(double u) {
  return [u] { return u; };
}

/// Fails the test if the schedule is consulted.
uniform_source must_not_draw() {
  return [] {
    FAIL("the random source was used although a server wait was given");
    return 0.5;
  };
}

const retry_options defaults{};  // base 1 s, cap 300 s, 6 attempts

const error_class all_classes[] = {error_class::timeout,   error_class::rate_limited, error_class::provider_error,
                                   error_class::not_found, error_class::auth_error,   error_class::invalid_response};

} // namespace

// -- which failures are retried -------------------------------------------------------

TEST_CASE("retryable and final classes by stored name", "[backoff][retry]") {
  for (const char* n : {"timeout", "rate_limited", "provider_error", "provider_unavailable"}) {
    INFO(n);
    CHECK(is_retryable(std::string_view(n)));
  }
  for (const char* n : {"not_found", "auth_error", "invalid_response", "", "TIMEOUT", "something_new"}) {
    INFO(n);
    CHECK_FALSE(is_retryable(std::string_view(n)));
  }
}

TEST_CASE("only provider_unavailable is free of the attempt limit", "[backoff][retry]") {
  CHECK_FALSE(counts_towards_limit(provider_unavailable));
  for (auto c : all_classes) {
    INFO(to_string(c));
    CHECK(counts_towards_limit(to_string(c)));
  }
}

TEST_CASE("retryable provider failures retry until max_attempts", "[backoff][retry]") {
  for (auto c : {error_class::timeout, error_class::rate_limited, error_class::provider_error}) {
    INFO(to_string(c));
    for (uint32_t attempt = 0; attempt < 6; ++attempt) {
      CHECK(may_retry(attempt, c, defaults));
      CHECK(may_retry(attempt, to_string(c), defaults));
    }
    for (uint32_t attempt : {6u, 7u, 100u, std::numeric_limits<uint32_t>::max()}) {
      CHECK_FALSE(may_retry(attempt, c, defaults));
      CHECK_FALSE(may_retry(attempt, to_string(c), defaults));
    }
  }
}

TEST_CASE("final provider failures never retry", "[backoff][retry]") {
  for (auto c : {error_class::not_found, error_class::auth_error, error_class::invalid_response}) {
    INFO(to_string(c));
    for (uint32_t attempt : {0u, 1u, 5u, 6u}) {
      CHECK_FALSE(may_retry(attempt, c, defaults));
      CHECK_FALSE(may_retry(attempt, to_string(c), defaults));
    }
  }
}

TEST_CASE("a fail-fast of an open circuit is always retried", "[backoff][retry]") {
  for (uint32_t attempt : {0u, 1u, 5u, 6u, 7u, 1000u, std::numeric_limits<uint32_t>::max()}) {
    INFO(attempt);
    CHECK(may_retry(attempt, provider_unavailable, defaults));
  }
}

TEST_CASE("an unknown stored class is final", "[backoff][retry]") {
  CHECK_FALSE(may_retry(1, std::string_view("quota_exploded"), defaults));
}

TEST_CASE("max_attempts comes from the options", "[backoff][retry]") {
  retry_options o;
  o.max_attempts = 2;
  CHECK(may_retry(1, error_class::timeout, o));
  CHECK_FALSE(may_retry(2, error_class::timeout, o));
  o.max_attempts = 0;
  CHECK_FALSE(may_retry(0, error_class::timeout, o));
  CHECK(may_retry(0, provider_unavailable, o));
}

// -- the schedule -----------------------------------------------------------------------

TEST_CASE("the ceiling is min(cap, base * 2^attempt)", "[backoff][schedule]") {
  struct row { uint32_t attempt; millis ceiling; };
  for (auto r : std::vector<row>{{0, 1'000},
                                 {1, 2'000},
                                 {2, 4'000},
                                 {3, 8'000},
                                 {4, 16'000},
                                 {5, 32'000},
                                 {6, 64'000},
                                 {8, 256'000},
                                 {9, 300'000},  // 512 s, capped
                                 {10, 300'000},
                                 {31, 300'000},
                                 {62, 300'000},
                                 {63, 300'000},
                                 {64, 300'000},
                                 {1000, 300'000},
                                 {std::numeric_limits<uint32_t>::max(), 300'000}}) {
    INFO("attempt " << r.attempt);
    CHECK(backoff_ceiling_ms(r.attempt, defaults) == r.ceiling);
  }
}

TEST_CASE("ceiling edge options", "[backoff][schedule]") {
  retry_options o;
  o.base_ms = 500'000;  // base above cap: the cap wins from the start
  o.cap_ms = 300'000;
  CHECK(backoff_ceiling_ms(0, o) == 300'000);
  o.base_ms = 0;
  CHECK(backoff_ceiling_ms(10, o) == 0);
  o.base_ms = std::numeric_limits<uint32_t>::max();
  o.cap_ms = std::numeric_limits<uint32_t>::max();
  CHECK(backoff_ceiling_ms(0, o) == std::numeric_limits<uint32_t>::max());
  CHECK(backoff_ceiling_ms(1, o) == std::numeric_limits<uint32_t>::max());
  o.base_ms = 1;
  CHECK(backoff_ceiling_ms(31, o) == millis{1} << 31);
  CHECK(backoff_ceiling_ms(32, o) == std::numeric_limits<uint32_t>::max());
}

TEST_CASE("full jitter: floor(u * ceiling) with fixed random values", "[backoff][schedule]") {
  // attempt 3: ceiling 8000 ms
  CHECK(backoff_delay_ms(3, defaults, fixed(0.0)) == 0);
  CHECK(backoff_delay_ms(3, defaults, fixed(0.25)) == 2'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(0.5)) == 4'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(0.99999)) == 7'999);
  CHECK(backoff_delay_ms(3, defaults, fixed(std::nextafter(1.0, 0.0))) == 7'999);
  // attempt 20: capped at 300 s
  CHECK(backoff_delay_ms(20, defaults, fixed(0.5)) == 150'000);
  CHECK(backoff_delay_ms(20, defaults, fixed(0.999999)) == 299'999);
}

TEST_CASE("random values outside [0, 1) are clamped", "[backoff][schedule]") {
  CHECK(backoff_delay_ms(3, defaults, fixed(-0.5)) == 0);
  CHECK(backoff_delay_ms(3, defaults, fixed(1.0)) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(7.0)) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(std::numeric_limits<double>::infinity())) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(std::nan(""))) == 0);
  CHECK(backoff_delay_ms(3, defaults, uniform_source{}) == 0);
}

TEST_CASE("every delay lies in [0, ceiling] and the ceiling never exceeds the cap", "[backoff][schedule]") {
  for (uint32_t attempt = 0; attempt <= 40; ++attempt) {
    const millis ceiling = backoff_ceiling_ms(attempt, defaults);
    REQUIRE(ceiling <= 300'000);
    REQUIRE(ceiling >= 1'000);
    for (double u : {0.0, 0.001, 0.1, 0.333, 0.5, 0.75, 0.9, 0.999, 0.999999}) {
      const millis d = backoff_delay_ms(attempt, defaults, fixed(u));
      INFO("attempt " << attempt << " u " << u);
      CHECK(d >= 0);
      CHECK(d <= ceiling);
      CHECK(d == static_cast<millis>(std::floor(u * static_cast<double>(ceiling))));
    }
  }
}

TEST_CASE("the ceiling doubles until the cap", "[backoff][schedule]") {
  millis previous = backoff_ceiling_ms(0, defaults);
  for (uint32_t attempt = 1; attempt < 20; ++attempt) {
    const millis c = backoff_ceiling_ms(attempt, defaults);
    INFO("attempt " << attempt);
    CHECK(c == std::min<millis>(2 * previous, 300'000));
    previous = c;
  }
}

TEST_CASE("seeded sources are reproducible and in range", "[backoff][random]") {
  uniform_source a = seeded_uniform(42);
  uniform_source b = seeded_uniform(42);
  uniform_source c = seeded_uniform(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a();
    const double y = b();
    const double z = c();
    REQUIRE(x == y);
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
    differs |= x != z;
  }
  CHECK(differs);

  // Copies continue one sequence rather than replaying it.
  uniform_source d = seeded_uniform(7);
  uniform_source e = seeded_uniform(7);
  uniform_source d_copy = d;
  const double first = d();
  const double second = d_copy();
  CHECK(first == e());
  CHECK(second == e());
}

TEST_CASE("seeded delays stay within bounds and spread over the interval", "[backoff][random]") {
  uniform_source rng = seeded_uniform(2026);
  millis lowest = std::numeric_limits<millis>::max(), highest = 0;
  for (int i = 0; i < 2000; ++i) {
    const millis d = backoff_delay_ms(5, defaults, rng);  // ceiling 32 s
    REQUIRE(d >= 0);
    REQUIRE(d <= 32'000);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  CHECK(lowest < 3'200);    // full jitter reaches down near 0 ...
  CHECK(highest > 28'800);  // ... and up near the ceiling
}

// -- the server-given wait ---------------------------------------------------------------

TEST_CASE("a server-given wait wins over the schedule", "[backoff][server_wait]") {
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{10'000}) == 10'000);
  CHECK(retry_delay_ms(20, defaults, must_not_draw(), millis{1'500}) == 1'500);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{0}) == 0);
}

TEST_CASE("a server-given wait above the cap is honoured, up to one hour", "[backoff][server_wait]") {
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{600'000}) == 600'000);  // 10 min > 5 min cap
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{3'600'000}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{3'600'001}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{86'400'000}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), std::numeric_limits<millis>::max()) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{-5}) == 0);
  CHECK(max_server_wait_ms == 3'600'000);
}

TEST_CASE("without a server wait the schedule decides", "[backoff][server_wait]") {
  CHECK(retry_delay_ms(2, defaults, fixed(0.5)) == 2'000);  // ceiling 4 s
  CHECK(retry_delay_ms(2, defaults, fixed(0.5), std::nullopt) == 2'000);
}

// -- the whole decision --------------------------------------------------------------------

TEST_CASE("next_retry_delay_ms: final failures get no delay", "[backoff][decision]") {
  for (auto c : {error_class::not_found, error_class::auth_error, error_class::invalid_response}) {
    INFO(to_string(c));
    CHECK_FALSE(next_retry_delay_ms(1, c, defaults, fixed(0.5)));
    CHECK_FALSE(next_retry_delay_ms(1, c, defaults, fixed(0.5), millis{1'000}));
  }
}

TEST_CASE("next_retry_delay_ms: the sixth failed attempt is final", "[backoff][decision]") {
  for (uint32_t attempt = 1; attempt <= 5; ++attempt) {
    INFO("attempt " << attempt);
    auto d = next_retry_delay_ms(attempt, error_class::timeout, defaults, fixed(0.5));
    REQUIRE(d);
    CHECK(*d == backoff_ceiling_ms(attempt, defaults) / 2);
  }
  CHECK_FALSE(next_retry_delay_ms(6, error_class::timeout, defaults, fixed(0.5)));
  CHECK_FALSE(next_retry_delay_ms(6, error_class::rate_limited, defaults, fixed(0.5), millis{1'000}));
}

TEST_CASE("next_retry_delay_ms: rate limited with Retry-After above the cap", "[backoff][decision]") {
  auto d = next_retry_delay_ms(2, error_class::rate_limited, defaults, must_not_draw(), millis{900'000});
  REQUIRE(d);
  CHECK(*d == 900'000);
}
