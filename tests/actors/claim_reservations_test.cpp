// The leads concurrent "claim next" calls hold (actors/claim_reservations.hpp).
#include "actors/claim_reservations.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using leadbase::actors::claim_reservations;
using namespace std::chrono_literals;

TEST_CASE("a lead is held by one claim at a time until dropped or shown by the queue", "[actors][work]") {
  claim_reservations held(30s);
  const auto t0 = claim_reservations::clock::now();
  CHECK(held.try_hold("a", t0));
  CHECK_FALSE(held.try_hold("a", t0));
  CHECK(held.try_hold("b", t0));
  held.drop("b");  // lost or refused: free again
  CHECK(held.try_hold("b", t0));
  held.claimed("a", 10);
  held.claimed("b", 12);
  held.forget_applied(11, t0);  // the queue shows a's claim, not yet b's
  CHECK(held.size() == 1);
  CHECK(held.try_hold("a", t0));
  CHECK_FALSE(held.try_hold("b", t0));
  held.forget_applied(12, t0);
  CHECK(held.size() == 1);  // a is being tried again: no position yet, kept
}

TEST_CASE("a hold lapses after max_hold, so a stalled queue cannot hide a lead for good", "[actors][work]") {
  claim_reservations held(5s);
  const auto t0 = claim_reservations::clock::now();
  CHECK(held.try_hold("a", t0));
  held.claimed("a", 100);
  held.forget_applied(1, t0 + 4s);
  CHECK_FALSE(held.try_hold("a", t0 + 4s));
  held.forget_applied(1, t0 + 6s);
  CHECK(held.try_hold("a", t0 + 6s));
}

TEST_CASE("concurrent holds of one lead: exactly one wins", "[actors][work]") {
  claim_reservations held;
  for (int round = 0; round < 200; ++round) {
    const std::string id = "lead-" + std::to_string(round);
    std::atomic<int> wins{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&] {
        if (held.try_hold(id)) ++wins;
      });
    for (auto& t : ts) t.join();
    REQUIRE(wins == 1);
  }
}
