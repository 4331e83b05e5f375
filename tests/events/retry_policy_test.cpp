// The retry policy (docs/domain.md "Failures, backoff and the circuit breaker"): which classes retry,
// the attempt limit, the full-jitter schedule with fixed random values, and the
// server-given wait that wins over it. No sleeps: delays are numbers.
#include "events/retry_policy.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "events/lead_state.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;

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


} // namespace

// -- which failures are retried -------------------------------------------------------

TEST_CASE("retryable and final classes", "[retry_policy][retry]") {
  for (auto c : {failure_class::timeout, failure_class::rate_limited, failure_class::provider_error,
                 failure_class::provider_unavailable}) {
    INFO(to_string(c));
    CHECK(is_retryable(c));
  }
  for (auto c : {failure_class::not_found, failure_class::auth_error, failure_class::invalid_response,
                 failure_class::provider_disabled, failure_class::unknown}) {
    INFO(to_string(c));
    CHECK_FALSE(is_retryable(c));
  }
}

// Issue 11: the fold and the retry policy disagreed on provider_disabled (the
// fold did not count it as a call, the policy held it to the attempt limit).
// Both now ask counts_as_call; this table is the one answer for every class.
TEST_CASE("counts_as_call: only the fail-fast and a disabled provider are no call", "[retry_policy][retry]") {
  struct row {
    failure_class c;
    bool counted;
  };
  const row table[] = {
      {failure_class::timeout, true},          {failure_class::rate_limited, true},
      {failure_class::provider_error, true},   {failure_class::not_found, true},
      {failure_class::auth_error, true},       {failure_class::invalid_response, true},
      {failure_class::provider_unavailable, false}, {failure_class::provider_disabled, false},
      {failure_class::unknown, true},
  };
  REQUIRE(std::size(table) == std::size(all_failure_classes));
  for (const row& r : table) {
    INFO(to_string(r.c));
    CHECK(counts_as_call(r.c) == r.counted);
    // The fold counts exactly the classes the policy holds to the limit.
    lead_state s = initial("l");
    evolve(s, test::make_event("l", "e1", test::sample_signup(), 1));
    evolve(s, test::make_event("l", "e2", test::sample_qualified(), 2));
    evolve(s, test::make_event("l", "e3", test::sample_failure(false, 1, r.c), 3));
    CHECK((s.enrichment[network::instagram].attempts == 1) == r.counted);
    CHECK((s.enrichment[network::instagram].cycle_attempts == 1) == r.counted);
    if (is_retryable(r.c)) CHECK(may_retry(1000, r.c, defaults) == !r.counted);
  }
}

TEST_CASE("stored names round-trip and unknown names are refused", "[retry_policy][names]") {
  for (auto c : all_failure_classes) CHECK(failure_class_from_string(to_string(c)) == c);
  for (const char* n : {"", "TIMEOUT", "something_new"}) CHECK_FALSE(failure_class_from_string(n));
}

TEST_CASE("retryable provider failures retry until max_attempts", "[retry_policy][retry]") {
  for (auto c : {failure_class::timeout, failure_class::rate_limited, failure_class::provider_error}) {
    INFO(to_string(c));
    for (uint32_t attempt = 0; attempt < 6; ++attempt) CHECK(may_retry(attempt, c, defaults));
    for (uint32_t attempt : {6u, 7u, 100u, std::numeric_limits<uint32_t>::max()})
      CHECK_FALSE(may_retry(attempt, c, defaults));
  }
}

TEST_CASE("final failures never retry", "[retry_policy][retry]") {
  for (auto c : {failure_class::not_found, failure_class::auth_error, failure_class::invalid_response,
                 failure_class::provider_disabled, failure_class::unknown}) {
    INFO(to_string(c));
    for (uint32_t attempt : {0u, 1u, 5u, 6u}) CHECK_FALSE(may_retry(attempt, c, defaults));
  }
}

TEST_CASE("a fail-fast of an open circuit is always retried", "[retry_policy][retry]") {
  for (uint32_t attempt : {0u, 1u, 5u, 6u, 7u, 1000u, std::numeric_limits<uint32_t>::max()}) {
    INFO(attempt);
    CHECK(may_retry(attempt, failure_class::provider_unavailable, defaults));
  }
}

TEST_CASE("max_attempts comes from the options", "[retry_policy][retry]") {
  retry_options o;
  o.max_attempts = 2;
  CHECK(may_retry(1, failure_class::timeout, o));
  CHECK_FALSE(may_retry(2, failure_class::timeout, o));
  o.max_attempts = 0;
  CHECK_FALSE(may_retry(0, failure_class::timeout, o));
  CHECK(may_retry(0, failure_class::provider_unavailable, o));
}

// -- the schedule -----------------------------------------------------------------------

TEST_CASE("the ceiling is min(cap, base * 2^attempt)", "[retry_policy][schedule]") {
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

TEST_CASE("ceiling edge options", "[retry_policy][schedule]") {
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

TEST_CASE("full jitter: floor(u * ceiling) with fixed random values", "[retry_policy][schedule]") {
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

TEST_CASE("random values outside [0, 1) are clamped", "[retry_policy][schedule]") {
  CHECK(backoff_delay_ms(3, defaults, fixed(-0.5)) == 0);
  CHECK(backoff_delay_ms(3, defaults, fixed(1.0)) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(7.0)) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(std::numeric_limits<double>::infinity())) == 8'000);
  CHECK(backoff_delay_ms(3, defaults, fixed(std::nan(""))) == 0);
  CHECK(backoff_delay_ms(3, defaults, uniform_source{}) == 0);
}

TEST_CASE("every delay lies in [0, ceiling] and the ceiling never exceeds the cap", "[retry_policy][schedule]") {
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

TEST_CASE("the ceiling doubles until the cap", "[retry_policy][schedule]") {
  millis previous = backoff_ceiling_ms(0, defaults);
  for (uint32_t attempt = 1; attempt < 20; ++attempt) {
    const millis c = backoff_ceiling_ms(attempt, defaults);
    INFO("attempt " << attempt);
    CHECK(c == std::min<millis>(2 * previous, 300'000));
    previous = c;
  }
}

TEST_CASE("seeded sources are reproducible and in range", "[retry_policy][random]") {
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

TEST_CASE("seeded delays stay within bounds and spread over the interval", "[retry_policy][random]") {
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

TEST_CASE("a server-given wait wins over the schedule", "[retry_policy][server_wait]") {
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{10'000}) == 10'000);
  CHECK(retry_delay_ms(20, defaults, must_not_draw(), millis{1'500}) == 1'500);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{0}) == 0);
}

TEST_CASE("a server-given wait above the cap is honoured, up to one hour", "[retry_policy][server_wait]") {
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{600'000}) == 600'000);  // 10 min > 5 min cap
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{3'600'000}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{3'600'001}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{86'400'000}) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), std::numeric_limits<millis>::max()) == 3'600'000);
  CHECK(retry_delay_ms(1, defaults, must_not_draw(), millis{-5}) == 0);
  CHECK(max_server_wait_ms == 3'600'000);
}

TEST_CASE("without a server wait the schedule decides", "[retry_policy][server_wait]") {
  CHECK(retry_delay_ms(2, defaults, fixed(0.5)) == 2'000);  // ceiling 4 s
  CHECK(retry_delay_ms(2, defaults, fixed(0.5), std::nullopt) == 2'000);
}

// -- the whole decision --------------------------------------------------------------------

TEST_CASE("next_retry_delay_ms: final failures get no delay", "[retry_policy][decision]") {
  for (auto c : {failure_class::not_found, failure_class::auth_error, failure_class::invalid_response}) {
    INFO(to_string(c));
    CHECK_FALSE(next_retry_delay_ms(1, c, defaults, fixed(0.5)));
    CHECK_FALSE(next_retry_delay_ms(1, c, defaults, fixed(0.5), millis{1'000}));
  }
}

TEST_CASE("next_retry_delay_ms: the sixth failed attempt is final", "[retry_policy][decision]") {
  for (uint32_t attempt = 1; attempt <= 5; ++attempt) {
    INFO("attempt " << attempt);
    auto d = next_retry_delay_ms(attempt, failure_class::timeout, defaults, fixed(0.5));
    REQUIRE(d);
    CHECK(*d == backoff_ceiling_ms(attempt, defaults) / 2);
  }
  CHECK_FALSE(next_retry_delay_ms(6, failure_class::timeout, defaults, fixed(0.5)));
  CHECK_FALSE(next_retry_delay_ms(6, failure_class::rate_limited, defaults, fixed(0.5), millis{1'000}));
}

TEST_CASE("next_retry_delay_ms: rate limited with Retry-After above the cap", "[retry_policy][decision]") {
  auto d = next_retry_delay_ms(2, failure_class::rate_limited, defaults, must_not_draw(), millis{900'000});
  REQUIRE(d);
  CHECK(*d == 900'000);
}
