// "Claim next" reads its candidates from the index scope of claimable leads
// (projections/lead_views.hpp claim_candidates): exactly the unassigned, open,
// not disqualified leads of the queue in score order, whatever the page size,
// and never an entry of a lead already taken.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;
using namespace leadbase::projections;

namespace {

struct claim_fixture {
  test::log_fixture f;
  lead_views views;
  std::unique_ptr<projection_runner> runner;

  explicit claim_fixture(lead_views_options o = {}) : views(*f.log, o) {
    for (int i = 0; i < 40; ++i) {
      test::lead_spec s;
      s.id = "c-" + std::to_string(i);
      s.instagram = "handle" + std::to_string(i);
      s.followers = 1000 * (i + 1) * (i + 1);
      s.disqualify = i % 11 == 3;
      s.erase = i % 13 == 6;
      s.country = i % 2 ? "BR" : "PT";
      f.append_lead(s);
    }
    // The best leads are taken, one is released again, one's work is over.
    for (int i : {39, 38, 37, 36, 35, 20}) f.append("c-" + std::to_string(i), {assigned{"ana", "ana", assign_how::claim, {}}});
    f.append("c-20", {released{"ana", "ana", release_reason::by_owner}});
    contact_logged met;
    met.by = "ana";
    met.result = contact_outcome::meeting_booked;
    f.append("c-36", {met});
    auto r = projection_runner::open(*f.log, views);
    REQUIRE(r);
    runner = std::move(*r);
    REQUIRE(runner->catch_up());
  }

  /// Every candidate, page by page.
  std::vector<std::string> candidates(const queue_query& q, size_t limit) {
    std::vector<std::string> ids;
    std::string after;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = views.claim_candidates(q, after, limit);
      REQUIRE(page);
      REQUIRE(page->ids.size() <= limit);
      ids.insert(ids.end(), page->ids.begin(), page->ids.end());
      if (!page->next_after) return ids;
      after = *page->next_after;
    }
    FAIL("the candidates did not end");
    return ids;
  }

  /// The queue's own answer: unassigned, default stages, score order.
  std::vector<std::string> queue(queue_query q) {
    q.owner = std::string();
    q.limit = 500;
    auto page = views.query(q);
    REQUIRE(page);
    REQUIRE(!page->next_cursor);
    std::vector<std::string> ids;
    for (const auto& s : page->items) ids.push_back(s.lead_id);
    return ids;
  }
};

} // namespace

TEST_CASE("claim candidates are the unassigned open leads of the queue, in its order", "[projections][work]") {
  auto small = GENERATE(false, true);
  lead_views_options o;
  if (small) {  // tiny scan caps: pages end early and carry on
    o.scan_cap_factor = 1;
    o.min_scan_cap = 1;
  }
  claim_fixture fx(o);
  std::vector<queue_query> filters(3);
  filters[1].country = "BR";
  filters[2].team = "sdr";
  for (const auto& q : filters) {
    for (size_t limit : {size_t{1}, size_t{3}, size_t{50}}) {
      INFO("limit " << limit << " country " << q.country.value_or("-") << " team " << q.team.value_or("-"));
      const auto want = fx.queue(q);
      CHECK(fx.candidates(q, limit) == want);
      for (const char* taken : {"c-39", "c-38", "c-37", "c-36", "c-35"})
        CHECK(std::find(want.begin(), want.end(), taken) == want.end());
    }
  }
  // The released lead is claimable again.
  const auto all = fx.candidates(queue_query{}, 50);
  CHECK(std::find(all.begin(), all.end(), "c-20") != all.end());
  CHECK(all.front() == "c-34");
}

TEST_CASE("claim candidates never step over leads already taken", "[projections][work]") {
  lead_views_options o;
  o.scan_cap_factor = 1;
  o.min_scan_cap = 1;  // one index entry a page
  claim_fixture fx(o);
  auto page = fx.views.claim_candidates(queue_query{}, "", 1);
  REQUIRE(page);
  // The five best leads are taken: the '*' scope would have examined their
  // entries first and answered an empty page.
  REQUIRE(page->ids.size() == 1);
  CHECK(page->ids.front() == "c-34");
}

TEST_CASE("claim candidates start below the leads claimed before, and see a lead released above them",
          "[projections][work]") {
  claim_fixture fx;
  auto first = [&] {
    auto page = fx.views.claim_candidates(queue_query{}, "", 1);
    REQUIRE(page);
    REQUIRE(page->ids.size() == 1);
    return page->ids.front();
  };
  CHECK(first() == "c-34");  // and the hint now sits at c-34
  // Claim the next three through the log, as the lead actor would.
  for (const char* id : {"c-34", "c-33", "c-32"}) fx.f.append(id, {assigned{"bia", "bia", assign_how::claim, {}}});
  REQUIRE(fx.runner->catch_up());
  CHECK(first() == "c-31");
  // A lead released above the hint is the best candidate again.
  fx.f.append("c-38", {released{"ana", "ana", release_reason::by_owner}});
  REQUIRE(fx.runner->catch_up());
  CHECK(first() == "c-38");
  const auto all = fx.candidates(queue_query{}, 2);
  CHECK(all == fx.queue(queue_query{}));
}

TEST_CASE("the unassigned queue reads the claimable scope: a page never steps over leads already taken",
          "[projections][work]") {
  lead_views_options o;
  o.scan_cap_factor = 1;
  o.min_scan_cap = 1;  // one index entry a page
  claim_fixture fx(o);
  queue_query q;
  q.owner = std::string();
  q.limit = 1;
  auto page = fx.views.query(q);
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items.front().lead_id == "c-34");
  CHECK(page->examined == 1);
  // The whole walk is still the reference's (queue_test.cpp checks every filter).
  CHECK(fx.candidates(queue_query{}, 3) == fx.queue(queue_query{}));
}
