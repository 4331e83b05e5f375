// The Decider's pending (what a lead owes, from its state alone) and
// awaits_answer (whether an answer from Creator Discovery is still wanted).
#include <catch2/catch.hpp>

#include "events/react.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

constexpr millis day = 24LL * 60 * 60 * 1000;

lead_state fold_all(const std::vector<event>& events) { return fold("u-1", events); }

std::vector<event> signed_and_qualified(signed_up s = test::sample_signup()) {
  return {make_event("u-1", "e1", std::move(s), 1), make_event("u-1", "e2", test::sample_qualified(), 2)};
}

const follow_up* find(const std::vector<follow_up>& fs, network net) {
  for (const auto& f : fs)
    if (f.what == follow_up::kind::enrich && f.network == net) return &f;
  return nullptr;
}

} // namespace

TEST_CASE("pending: what a lead owes at each stage", "[react]") {
  react_options o;
  o.refresh_days = 30;

  SECTION("nothing before the signup") { CHECK(pending(initial("u-1"), o).empty()); }
  SECTION("after the signup, its qualification") {
    auto fs = pending(fold_all({make_event("u-1", "e1", test::sample_signup(), 1)}), o);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].what == follow_up::kind::qualify);
  }
  SECTION("qualified: a first call per network with a handle, due now") {
    auto s = test::sample_signup();
    s.social.youtube = "@anasouza";
    auto fs = pending(fold_all(signed_and_qualified(s)), o);
    REQUIRE(fs.size() == 2);
    for (network n : {network::instagram, network::youtube}) {
      const follow_up* f = find(fs, n);
      REQUIRE(f);
      CHECK(f->attempt == 1);
      CHECK(f->due == 0);
      CHECK_FALSE(f->refresh);
    }
  }
  SECTION("qualified without a handle, or disqualified: nothing") {
    CHECK(pending(fold_all(signed_and_qualified(test::sample_signup(false))), o).empty());
    auto es = signed_and_qualified();
    es[1] = make_event("u-1", "e2", test::sample_qualified(outcome::disqualified), 2);
    CHECK(pending(fold_all(es), o).empty());
  }
  SECTION("a retryable failure: the next call at next_attempt_at") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_failure(true, 1), 3));
    auto fs = pending(fold_all(es), o);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].attempt == 2);
    CHECK(fs[0].due == 1764331400000);
    CHECK(next_due(fold_all(es), o) == 1764331400000);
  }
  SECTION("a final failure: nothing more for that network") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_failure(false, 1, "not_found"), 3));
    CHECK(pending(fold_all(es), o).empty());
    CHECK_FALSE(next_due(fold_all(es), o));
  }
  SECTION("a success: a refresh refresh_days after it") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_enriched(100, 1764331300000), 3));
    auto fs = pending(fold_all(es), o);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].refresh);
    CHECK(fs[0].attempt == 1);
    CHECK(fs[0].due == 1764331300000 + 30 * day);
  }
  SECTION("erased: nothing at all") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", erased{"lgpd", "dpo"}, 3));
    CHECK(pending(fold_all(es), o).empty());
  }
}

TEST_CASE("awaits_answer: only the answer to the call the lead is waiting for", "[react]") {
  react_options o;
  o.refresh_days = 30;
  const millis now = 1764331350000;

  SECTION("the first call of a network with a handle") {
    auto s = fold_all(signed_and_qualified());
    CHECK(awaits_answer(s, o, network::instagram, 1, now));
    CHECK_FALSE(awaits_answer(s, o, network::instagram, 2, now));  // not that call
    CHECK_FALSE(awaits_answer(s, o, network::youtube, 1, now));    // no handle, no call
  }
  SECTION("once the success is recorded, a second answer is stale until the refresh is due") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_enriched(100, now), 3));
    auto s = fold_all(es);
    CHECK_FALSE(awaits_answer(s, o, network::instagram, 1, now));
    CHECK_FALSE(awaits_answer(s, o, network::instagram, 1, now + 29 * day));
    CHECK(awaits_answer(s, o, network::instagram, 1, now + 30 * day));
  }
  SECTION("after a retryable failure, only the next attempt, once it is due") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_failure(true, 1), 3));
    auto s = fold_all(es);
    CHECK_FALSE(awaits_answer(s, o, network::instagram, 1, 1764331400000));  // the recorded one again
    CHECK_FALSE(awaits_answer(s, o, network::instagram, 2, 1764331400000 - 1));
    CHECK(awaits_answer(s, o, network::instagram, 2, 1764331400000));
  }
  SECTION("after a final failure, or an erasure, nothing") {
    auto es = signed_and_qualified();
    es.push_back(make_event("u-1", "e3", test::sample_failure(false, 1, "not_found"), 3));
    CHECK_FALSE(awaits_answer(fold_all(es), o, network::instagram, 1, now));
    CHECK_FALSE(awaits_answer(fold_all(es), o, network::instagram, 2, now));
    auto er = signed_and_qualified();
    er.push_back(make_event("u-1", "e3", erased{"lgpd", "dpo"}, 3));
    CHECK_FALSE(awaits_answer(fold_all(er), o, network::instagram, 1, now));
  }
}
