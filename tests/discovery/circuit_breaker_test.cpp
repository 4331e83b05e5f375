// The per-provider circuit breaker through every transition, with time stepped
// by hand: closed -> open -> half_open -> closed, half_open -> open, trip().
#include "discovery/circuit_breaker.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace leadbase;
using namespace leadbase::discovery;

namespace {

/// Records every transition the hook reports.
struct recorder {
  std::vector<breaker_transition> seen;
  circuit_breaker::transition_hook hook() {
    return [this](const breaker_transition& t) { seen.push_back(t); };
  }
};

const breaker_options defaults{};  // window 20, min 10, ratio 0.5, open 30 s, 3 trials

void successes(circuit_breaker& b, int n, millis now) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(b.allow(now));
    b.on_success(now);
  }
}

void failures(circuit_breaker& b, int n, millis now) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(b.allow(now));
    b.on_failure(now);
  }
}

/// A breaker opened at `at` by ten straight failures.
circuit_breaker opened_at(millis at, circuit_breaker::transition_hook hook = {}) {
  circuit_breaker b(defaults, std::move(hook));
  failures(b, 10, at);
  REQUIRE(b.current(at) == breaker_state::open);
  return b;
}

} // namespace

TEST_CASE("state names", "[breaker]") {
  CHECK(std::string(to_string(breaker_state::closed)) == "closed");
  CHECK(std::string(to_string(breaker_state::open)) == "open");
  CHECK(std::string(to_string(breaker_state::half_open)) == "half_open");
}

TEST_CASE("which failures count against the provider", "[breaker]") {
  CHECK(is_breaker_failure(error_class::timeout));
  CHECK(is_breaker_failure(error_class::rate_limited));
  CHECK(is_breaker_failure(error_class::provider_error));
  CHECK(is_breaker_failure(error_class::auth_error));
  CHECK(is_breaker_failure(error_class::invalid_response));
  CHECK_FALSE(is_breaker_failure(error_class::not_found));
}

// -- closed ---------------------------------------------------------------------------

TEST_CASE("a new breaker is closed and lets calls through", "[breaker][closed]") {
  circuit_breaker b(defaults);
  CHECK(b.current(0) == breaker_state::closed);
  CHECK(b.allow(0));
  CHECK(b.open_remaining(0) == 0);
  CHECK(b.transitions() == 0);
  CHECK(b.rejected() == 0);
  CHECK(b.window_calls() == 0);
}

TEST_CASE("fewer than min_calls never open, however many fail", "[breaker][closed]") {
  circuit_breaker b(defaults);
  failures(b, 9, 1'000);
  CHECK(b.current(1'000) == breaker_state::closed);
  CHECK(b.window_calls() == 9);
  CHECK(b.window_failures() == 9);
  failures(b, 1, 1'000);  // the tenth call
  CHECK(b.current(1'000) == breaker_state::open);
}

TEST_CASE("the failure ratio threshold is inclusive", "[breaker][closed]") {
  SECTION("4 of 10 failed: closed") {
    circuit_breaker b(defaults);
    successes(b, 6, 0);
    failures(b, 4, 0);
    CHECK(b.current(0) == breaker_state::closed);
  }
  SECTION("5 of 10 failed: open") {
    circuit_breaker b(defaults);
    successes(b, 5, 0);
    failures(b, 5, 0);
    CHECK(b.current(0) == breaker_state::open);
  }
  SECTION("the ratio is checked after a success too") {
    circuit_breaker b(defaults);
    failures(b, 5, 0);
    successes(b, 4, 0);
    REQUIRE(b.current(0) == breaker_state::closed);  // 9 calls: below min_calls
    successes(b, 1, 0);                              // 5 of 10 failed
    CHECK(b.current(0) == breaker_state::open);
  }
}

TEST_CASE("the window slides over the last `window` calls", "[breaker][closed]") {
  circuit_breaker b(defaults);
  successes(b, 20, 0);
  failures(b, 9, 0);  // window: 11 successes, 9 failures
  CHECK(b.current(0) == breaker_state::closed);
  CHECK(b.window_calls() == 20);
  CHECK(b.window_failures() == 9);
  failures(b, 1, 0);  // 10 of 20
  CHECK(b.current(0) == breaker_state::open);
}

TEST_CASE("old failures leave the window", "[breaker][closed]") {
  circuit_breaker b(defaults);
  successes(b, 11, 0);
  failures(b, 9, 0);  // 9 of 20 failed
  REQUIRE(b.current(0) == breaker_state::closed);
  successes(b, 11, 0);  // the window now starts with the nine failures
  CHECK(b.window_failures() == 9);
  successes(b, 9, 0);  // ... which slide out
  CHECK(b.window_failures() == 0);
  CHECK(b.window_calls() == 20);
  failures(b, 9, 0);
  CHECK(b.current(0) == breaker_state::closed);
  CHECK(b.window_failures() == 9);
}

TEST_CASE("custom window, minimum and ratio", "[breaker][closed]") {
  breaker_options o;
  o.window = 4;
  o.min_calls = 2;
  o.failure_ratio = 1.0;
  circuit_breaker b(o);
  failures(b, 1, 0);
  successes(b, 1, 0);
  failures(b, 3, 0);  // window: s f f f
  CHECK(b.current(0) == breaker_state::closed);
  failures(b, 1, 0);  // window: f f f f
  CHECK(b.current(0) == breaker_state::open);
}

// -- open -----------------------------------------------------------------------------

TEST_CASE("open: calls fail fast for open_ms", "[breaker][open]") {
  recorder r;
  circuit_breaker b = opened_at(10'000, r.hook());
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].from == breaker_state::closed);
  CHECK(r.seen[0].to == breaker_state::open);
  CHECK(r.seen[0].at == 10'000);
  CHECK(b.times_opened() == 1);

  CHECK_FALSE(b.allow(10'000));
  CHECK_FALSE(b.allow(25'000));
  CHECK_FALSE(b.allow(39'999));
  CHECK(b.rejected() == 3);
  CHECK(b.open_remaining(10'000) == 30'000);
  CHECK(b.open_remaining(25'000) == 15'000);
  CHECK(b.open_remaining(39'999) == 1);
  CHECK(b.current(39'999) == breaker_state::open);
  CHECK(r.seen.size() == 1);
}

TEST_CASE("open: late results are ignored", "[breaker][open]") {
  circuit_breaker b = opened_at(0);
  b.on_success(5'000);
  b.on_success(5'000);
  b.on_success(5'000);
  CHECK(b.current(5'000) == breaker_state::open);
  b.on_failure(20'000);  // does not restart the wait
  CHECK(b.open_remaining(20'000) == 10'000);
  CHECK(b.window_calls() == 0);
}

TEST_CASE("a clock going backwards keeps the breaker open", "[breaker][open]") {
  circuit_breaker b = opened_at(100'000);
  CHECK_FALSE(b.allow(50'000));
  CHECK(b.current(50'000) == breaker_state::open);
}

// -- open -> half_open ---------------------------------------------------------------------

TEST_CASE("after open_ms the next allow() turns half_open and lets a trial through", "[breaker][half_open]") {
  recorder r;
  circuit_breaker b = opened_at(0, r.hook());
  CHECK(b.allow(30'000));
  REQUIRE(r.seen.size() == 2);
  CHECK(r.seen[1].from == breaker_state::open);
  CHECK(r.seen[1].to == breaker_state::half_open);
  CHECK(r.seen[1].at == 30'000);
  CHECK(b.current(30'000) == breaker_state::half_open);
  CHECK(b.open_remaining(30'000) == 0);
}

TEST_CASE("current() moves an expired open breaker to half_open", "[breaker][half_open]") {
  recorder r;
  circuit_breaker b = opened_at(0, r.hook());
  CHECK(b.current(45'000) == breaker_state::half_open);
  REQUIRE(r.seen.size() == 2);
  CHECK(r.seen[1].to == breaker_state::half_open);
  CHECK(r.seen[1].at == 45'000);
  CHECK(b.current(46'000) == breaker_state::half_open);
  CHECK(r.seen.size() == 2);  // no repeated transition
}

TEST_CASE("half_open: exactly half_open_calls trials go out", "[breaker][half_open]") {
  circuit_breaker b = opened_at(0);
  const uint64_t rejected_before = b.rejected();
  CHECK(b.allow(30'000));
  CHECK(b.allow(30'001));
  CHECK(b.allow(30'002));
  CHECK_FALSE(b.allow(30'003));
  CHECK_FALSE(b.allow(90'000));  // waiting for the trials, not for time
  CHECK(b.rejected() == rejected_before + 2);
  CHECK(b.current(90'000) == breaker_state::half_open);
}

// -- half_open -> closed ---------------------------------------------------------------------

TEST_CASE("half_open: all trials succeed -> closed with a clean window", "[breaker][half_open]") {
  recorder r;
  circuit_breaker b = opened_at(0, r.hook());
  for (int i = 0; i < 3; ++i) REQUIRE(b.allow(30'000));
  b.on_success(30'100);
  CHECK(b.current(30'100) == breaker_state::half_open);
  b.on_success(30'200);
  CHECK(b.current(30'200) == breaker_state::half_open);
  b.on_success(30'300);
  CHECK(b.current(30'300) == breaker_state::closed);
  REQUIRE(r.seen.size() == 3);
  CHECK(r.seen[2].from == breaker_state::half_open);
  CHECK(r.seen[2].to == breaker_state::closed);
  CHECK(r.seen[2].at == 30'300);
  CHECK(b.transitions() == 3);

  // The failures that opened it are forgotten: nine new ones do not reopen.
  CHECK(b.window_calls() == 0);
  failures(b, 9, 31'000);
  CHECK(b.current(31'000) == breaker_state::closed);
  failures(b, 1, 31'000);
  CHECK(b.current(31'000) == breaker_state::open);
  CHECK(b.times_opened() == 2);
}

// -- half_open -> open -----------------------------------------------------------------------

TEST_CASE("half_open: a failed trial reopens for a full open_ms", "[breaker][half_open]") {
  recorder r;
  circuit_breaker b = opened_at(0, r.hook());
  REQUIRE(b.allow(30'000));
  REQUIRE(b.allow(30'000));
  b.on_success(30'500);
  b.on_failure(31'000);
  CHECK(b.current(31'000) == breaker_state::open);
  REQUIRE(r.seen.size() == 3);
  CHECK(r.seen[2].from == breaker_state::half_open);
  CHECK(r.seen[2].to == breaker_state::open);
  CHECK(r.seen[2].at == 31'000);
  CHECK(b.times_opened() == 2);
  CHECK(b.open_remaining(31'000) == 30'000);
  CHECK_FALSE(b.allow(60'999));
  CHECK(b.allow(61'000));  // half_open again, fresh trial slots
  CHECK(b.allow(61'000));
  CHECK(b.allow(61'000));
  CHECK_FALSE(b.allow(61'000));
}

TEST_CASE("the full cycle: closed, open, half_open, open, half_open, closed", "[breaker]") {
  recorder r;
  circuit_breaker b(defaults, r.hook());
  failures(b, 10, 0);
  CHECK_FALSE(b.allow(1));
  REQUIRE(b.allow(30'000));
  b.on_failure(30'010);
  REQUIRE(b.allow(60'010));
  REQUIRE(b.allow(60'010));
  REQUIRE(b.allow(60'010));
  b.on_success(60'020);
  b.on_success(60'030);
  b.on_success(60'040);
  CHECK(b.current(60'040) == breaker_state::closed);

  const std::vector<std::pair<breaker_state, breaker_state>> expected = {
      {breaker_state::closed, breaker_state::open},
      {breaker_state::open, breaker_state::half_open},
      {breaker_state::half_open, breaker_state::open},
      {breaker_state::open, breaker_state::half_open},
      {breaker_state::half_open, breaker_state::closed},
  };
  REQUIRE(r.seen.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("transition " << i);
    CHECK(r.seen[i].from == expected[i].first);
    CHECK(r.seen[i].to == expected[i].second);
  }
  CHECK(b.transitions() == 5);
  CHECK(b.times_opened() == 2);
  CHECK(b.rejected() == 1);
}

// -- trip ---------------------------------------------------------------------------------

TEST_CASE("trip() opens at once from closed", "[breaker][trip]") {
  recorder r;
  circuit_breaker b(defaults, r.hook());
  successes(b, 3, 0);
  b.trip(1'000);
  CHECK(b.current(1'000) == breaker_state::open);
  CHECK_FALSE(b.allow(1'000));
  CHECK(b.open_remaining(1'000) == 30'000);
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].to == breaker_state::open);
}

TEST_CASE("trip() while open restarts the wait, without a transition", "[breaker][trip]") {
  recorder r;
  circuit_breaker b = opened_at(0, r.hook());
  b.trip(20'000);
  CHECK(r.seen.size() == 1);
  CHECK(b.open_remaining(20'000) == 30'000);
  CHECK_FALSE(b.allow(49'999));
  CHECK(b.allow(50'000));
}

TEST_CASE("trip() from half_open reopens", "[breaker][trip]") {
  circuit_breaker b = opened_at(0);
  REQUIRE(b.allow(30'000));
  b.trip(30'001);
  CHECK(b.current(30'001) == breaker_state::open);
  CHECK(b.times_opened() == 2);
}

// -- options --------------------------------------------------------------------------------

TEST_CASE("zero window and zero trial calls are treated as one", "[breaker][options]") {
  breaker_options o;
  o.window = 0;
  o.min_calls = 1;
  o.half_open_calls = 0;
  o.open_ms = 100;
  circuit_breaker b(o);
  CHECK(b.options().window == 1);
  CHECK(b.options().half_open_calls == 1);
  REQUIRE(b.allow(0));
  b.on_failure(0);
  CHECK(b.current(0) == breaker_state::open);
  CHECK(b.allow(100));
  CHECK_FALSE(b.allow(100));
  b.on_success(100);
  CHECK(b.current(100) == breaker_state::closed);
}

TEST_CASE("open_ms comes from the options", "[breaker][options]") {
  breaker_options o;
  o.open_ms = 5'000;
  circuit_breaker b(o);
  failures(b, 10, 0);
  CHECK_FALSE(b.allow(4'999));
  CHECK(b.allow(5'000));
}
