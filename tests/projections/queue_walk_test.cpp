// Queue cursors under concurrent writes (docs/http-api.md GET /v1/leads: "a cursor is
// opaque, stable under concurrent writes (no item twice, none skipped that
// existed when the walk began)"): walks of every sort, filtered and searched,
// while scores and followers change and new leads arrive between pages; and
// the bounds of the walks a server keeps (count, idle time, erasure).
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;
using namespace leadbase::projections;

namespace {

test::lead_spec walker(int i) {
  test::lead_spec s;
  s.id = "w-" + std::to_string(i);
  s.name = "Walker " + std::to_string(i);
  s.email = "walker" + std::to_string(i) + "@example.com";
  s.instagram = "walker" + std::to_string(i);
  s.signed_up_at = 1764331200000 + (i % 31) * 60000;
  s.followers = 800 + static_cast<int64_t>(i) * 104729 % 1500000;
  return s;
}

struct walk_fixture {
  test::log_fixture f;
  lead_views views;
  std::unique_ptr<projection_runner> runner;
  std::mt19937_64 rng{20261204};
  int next_new = 10000;

  explicit walk_fixture(lead_views_options o = {}, int leads = 230) : views(*f.log, o) {
    for (int i = 0; i < leads; ++i) f.append_lead(walker(i));
    auto r = projection_runner::open(*f.log, views);
    REQUIRE(r);
    runner = std::move(*r);
    REQUIRE(runner->catch_up());
  }

  /// Every lead the query lists now (nothing changes while it pages).
  std::set<std::string> everything(queue_query q) {
    q.limit = 500;
    q.cursor.clear();
    std::set<std::string> out;
    for (;;) {
      auto page = views.query(q);
      REQUIRE(page);
      for (const auto& s : page->items) out.insert(s.lead_id);
      if (!page->next_cursor) return out;
      q.cursor = *page->next_cursor;
    }
  }

  /// What happens between two pages: new followers (so new scores) for a
  /// quarter of the leads, up or down, and a few new leads.
  void churn() {
    const auto ids = f.lead_ids();
    for (int k = 0; k < 60; ++k) {
      const std::string& id = ids[rng() % ids.size()];
      enriched x = test::sample_enriched(static_cast<int64_t>(rng() % 3000000), 1764331300000 + k);
      x.handle = "walker" + id.substr(2);
      x.creator_tier = test::tier_for(x.followers);
      f.append(id, {x});
    }
    for (int k = 0; k < 3; ++k) f.append_lead(walker(next_new++));
    REQUIRE(runner->catch_up());
  }
};

} // namespace

TEST_CASE("a cursor walk sees every lead that existed when it began exactly once while scores and followers change",
          "[projections][cursor]") {
  walk_fixture fx;
  std::vector<queue_query> queries;
  for (auto sort : {queue_sort::score_desc, queue_sort::score_asc, queue_sort::followers_desc,
                    queue_sort::signed_up_desc, queue_sort::signed_up_asc}) {
    queue_query q;
    q.sort = sort;
    queries.push_back(q);
  }
  {
    queue_query q;  // the score index of a team, and a merge of two level scopes
    q.team = "sdr";
    queries.push_back(q);
    q.team.reset();
    q.levels = {'A', 'C'};
    queries.push_back(q);
  }
  {
    queue_query q;  // a search: candidates from the q index, sorted, cut at the cursor
    q.q = "walker";
    q.sort = queue_sort::followers_desc;
    queries.push_back(q);
  }
  for (auto q : queries) {
    INFO("sort " << to_string(q.sort) << (q.team ? " team " + *q.team : "") << " q " << q.q << " levels "
                 << std::string(q.levels.begin(), q.levels.end()));
    const auto at_start = fx.everything(q);
    REQUIRE(at_start.size() > 20);
    q.limit = 9;
    std::map<std::string, int> seen;
    int pages = 0;
    for (;;) {
      auto page = fx.views.query(q);
      REQUIRE(page);
      for (const auto& s : page->items) ++seen[s.lead_id];
      if (!page->next_cursor) break;
      q.cursor = *page->next_cursor;
      REQUIRE(++pages < 200);
      fx.churn();
    }
    int twice = 0, skipped = 0;
    for (const auto& [id, n] : seen) {
      if (n > 1) ++twice;
      CHECK(n == 1);
    }
    for (const auto& id : at_start) {
      if (!seen.count(id)) ++skipped;
      CHECK(seen.count(id) == 1);
    }
    CHECK(twice == 0);
    CHECK(skipped == 0);
  }
}

TEST_CASE("the pages of a walk show each lead as it is now", "[projections][cursor]") {
  walk_fixture fx({}, 40);
  queue_query q;
  q.limit = 5;
  auto first = fx.views.query(q);
  REQUIRE(first);
  REQUIRE(first->next_cursor);
  // A lead of the next page gets new followers: the page lists it where it
  // was when the walk began, with what it has now.
  q.cursor = *first->next_cursor;
  auto peek = fx.views.query(q);
  REQUIRE(peek);
  REQUIRE_FALSE(peek->items.empty());
  const std::string id = peek->items.front().lead_id;
  enriched x = test::sample_enriched(4242, 1764331300000);
  x.handle = "walker" + id.substr(2);
  x.creator_tier = test::tier_for(4242);
  fx.f.append(id, {x});
  REQUIRE(fx.runner->catch_up());
  auto page = fx.views.query(q);
  REQUIRE(page);
  REQUIRE_FALSE(page->items.empty());
  CHECK(page->items.front().lead_id == id);
  CHECK(page->items.front().social.at(network::instagram).followers == 4242);
}

TEST_CASE("a server keeps a bounded number of walks, for a bounded idle time, and an erasure ends them",
          "[projections][cursor]") {
  lead_views_options o;
  o.max_walks = 3;
  o.walk_idle = std::chrono::milliseconds(300);
  walk_fixture fx(o, 30);
  queue_query q;
  q.limit = 2;
  auto second_page = [&](const std::string& cursor) {
    queue_query next = q;
    next.cursor = cursor;
    return fx.views.query(next);
  };
  auto open_walk = [&] {
    auto page = fx.views.query(q);
    REQUIRE(page);
    REQUIRE(page->next_cursor);
    return *page->next_cursor;
  };

  SECTION("the least recently used walk makes room for a new one") {
    const std::string a = open_walk(), b = open_walk(), c = open_walk();
    CHECK(fx.views.open_walks() == 3);
    REQUIRE(second_page(a));  // a is used again: b is now the oldest
    const std::string d = open_walk();
    CHECK(fx.views.open_walks() == 3);
    auto gone = second_page(b);
    REQUIRE_FALSE(gone);
    CHECK(gone.err().code == errc::validation);
    CHECK(second_page(a));
    CHECK(second_page(c));
    CHECK(second_page(d));
  }
  SECTION("a walk idle longer than walk_idle ends") {
    const std::string a = open_walk();
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    auto gone = second_page(a);
    REQUIRE_FALSE(gone);
    CHECK(gone.err().code == errc::validation);
    CHECK(fx.views.open_walks() == 0);
  }
  SECTION("an erasure ends every walk (its snapshot would keep the erased values on disk)") {
    const std::string a = open_walk();
    fx.f.append("w-3", {erased{"data subject request", "dpo"}});
    REQUIRE(fx.f.log->destroy_key("w-3"));
    REQUIRE(fx.runner->catch_up());
    REQUIRE(fx.views.compact_lead("w-3"));
    CHECK(fx.views.open_walks() == 0);
    CHECK_FALSE(second_page(a));
  }
  SECTION("a cursor of another sort, or not ours, is refused") {
    const std::string a = open_walk();
    queue_query other = q;
    other.sort = queue_sort::score_asc;
    other.cursor = a;
    CHECK_FALSE(fx.views.query(other));
    CHECK_FALSE(second_page("bm90IGEgY3Vyc29y"));
  }
}
