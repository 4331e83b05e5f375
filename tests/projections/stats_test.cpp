// The stats projection: every definition of DOMAIN.md "Monitoring", the
// bounded state cache (re-folding from a loader), and following a real log.
#include <catch2/catch.hpp>

#include <future>
#include <map>

#include "projections/priority.hpp"
#include "projections/stats.hpp"
#include "storage/event_log.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using leadbase::test::sample_enriched;
using leadbase::test::sample_failure;
using leadbase::test::sample_qualified;
using leadbase::test::sample_signup;

namespace {

constexpr millis t0 = 1'800'000'000'000;  // 2027-01-15
constexpr millis sec = 1000, minute = 60'000, hour = 3'600'000;

/// Builds each lead's events with increasing versions and global positions.
struct log_builder {
  std::vector<event> events;
  std::map<std::string, lead_version> versions;

  log_builder& add(const std::string& lead, millis recorded_at, payload p) {
    event e;
    e.meta.lead_id = lead;
    e.meta.version = ++versions[lead];
    e.meta.position = events.size() + 1;
    e.meta.event_id = lead + "-" + std::to_string(e.meta.version);
    e.meta.occurred_at = recorded_at;
    e.meta.recorded_at = recorded_at;
    e.data = std::move(p);
    events.push_back(std::move(e));
    return *this;
  }
  /// signed_up then qualified, `delay` apart.
  log_builder& signup(const std::string& lead, millis at, bool instagram = true, millis delay = 100) {
    add(lead, at, sample_signup(instagram));
    return add(lead, at + delay, sample_qualified());
  }
};

enrichment_failed final_failure(const std::string& cls) { return sample_failure(false, 6, cls); }

/// One event appended to `lead` in `f`'s real log, occurred and recorded at `now`.
void append_at(test::log_fixture& f, const std::string& lead, payload p, millis now) {
  f.append(lead, {std::move(p)}, now, now);
}

std::unique_ptr<stats_store> applied(const std::vector<event>& events, stats_options o = {},
                                     lead_state_loader loader = {}) {
  auto s = std::make_unique<stats_store>(o, std::move(loader));
  REQUIRE(s->apply(events).ok());
  return s;
}

} // namespace

TEST_CASE("stats: success rate counts final outcomes only; retries are not failures", "[ops]") {
  log_builder b;
  b.signup("a", t0).add("a", t0 + 2 * sec, sample_failure(true, 1, "timeout")).add("a", t0 + 5 * sec, sample_enriched());
  b.signup("b", t0)
      .add("b", t0 + 2 * sec, sample_failure(true, 1, "rate_limited"))
      .add("b", t0 + 9 * sec, final_failure("not_found"));
  b.signup("c", t0).add("c", t0 + 2 * sec, sample_failure(true, 1, "timeout"));  // still retrying
  b.signup("d", t0).add("d", t0 + 3 * sec, sample_enriched());
  stats_store s(stats_options{});
  REQUIRE(s.apply(b.events).ok());
  auto r = s.report(hour, t0 + minute);
  CHECK(r.succeeded == 2);
  CHECK(r.failed == 1);
  CHECK(r.retrying == 1);
  REQUIRE(r.success_rate);
  CHECK(*r.success_rate == Approx(2.0 / 3.0));
  CHECK(r.failures_by_class == std::map<std::string, uint64_t>{{"not_found", 1}});
  CHECK(r.position == b.events.size());

  auto c = s.counters();
  CHECK(c.enrichment_succeeded_total == 2);
  CHECK(c.enrichment_failed_total == 1);
  CHECK(c.enrichment_retrying == 1);
  CHECK(c.failed_attempts_total[{"timeout", false}] == 2);
  CHECK(c.failed_attempts_total[{"rate_limited", false}] == 1);
  CHECK(c.failed_attempts_total[{"not_found", true}] == 1);

  SECTION("a failed lead retried by an admin and then enriched counts as a success") {
    log_builder more = b;
    more.add("b", t0 + 20 * sec, sample_enriched());
    stats_store s2(stats_options{});
    REQUIRE(s2.apply(more.events).ok());
    auto r2 = s2.report(hour, t0 + minute);
    CHECK(r2.succeeded == 3);
    CHECK(r2.failed == 0);
    CHECK(r2.failures_by_class.empty());
    CHECK(s2.counters().enrichment_succeeded_total == 3);
  }
  SECTION("no ended enrichment: success rate is null") {
    log_builder only;
    only.signup("x", t0).add("x", t0 + sec, sample_failure(true));
    auto r3 = applied(only.events)->report(hour, t0 + minute);
    CHECK_FALSE(r3.success_rate);
    CHECK(r3.retrying == 1);
  }
}

TEST_CASE("stats: the window applies to signups and to when enrichments ended", "[ops]") {
  log_builder b;
  b.signup("old", t0).add("old", t0 + sec, final_failure("auth_error"));
  b.signup("new", t0 + 2 * hour).add("new", t0 + 2 * hour + sec, sample_enriched());
  auto s = applied(b.events);
  auto one_hour = s->report(hour, t0 + 2 * hour + minute);
  CHECK(one_hour.signups_total == 2);
  CHECK(one_hour.signups_in_window == 1);
  CHECK(one_hour.succeeded == 1);
  CHECK(one_hour.failed == 0);
  CHECK(*one_hour.success_rate == 1.0);
  auto day = s->report(24 * hour, t0 + 2 * hour + minute);
  CHECK(day.signups_in_window == 2);
  CHECK(day.failed == 1);
  CHECK(day.failures_by_class.at("auth_error") == 1);
  CHECK(*day.success_rate == Approx(0.5));
}

TEST_CASE("stats: processing time runs from signup recorded_at to the first final event", "[ops]") {
  log_builder b;
  // enriched after a retry: final at the enriched event, 7 s after the signup
  b.signup("a", t0).add("a", t0 + 2 * sec, sample_failure(true)).add("a", t0 + 7 * sec, sample_enriched());
  // a later refresh does not move it
  b.add("a", t0 + 40 * sec, sample_enriched(50000));
  // disqualified: final at the qualified event
  b.add("d", t0, sample_signup()).add("d", t0 + 300, sample_qualified(outcome::disqualified));
  // nothing to enrich (no Instagram/YouTube handle): final when qualified
  b.signup("n", t0, /*instagram=*/false, 500);
  // a final failure after retries
  b.signup("f", t0).add("f", t0 + sec, sample_failure(true)).add("f", t0 + 11 * sec, final_failure("timeout"));
  // still pending: not final, not counted
  b.signup("p", t0);
  auto r = applied(b.events)->report(hour, t0 + minute);
  REQUIRE(r.processing_mean_ms);
  // 7000, 300, 500, 11000
  CHECK(*r.processing_mean_ms == Approx((7000.0 + 300 + 500 + 11000) / 4));
  CHECK(*r.processing_p50_ms == 500);
  CHECK(*r.processing_p95_ms == 11000);
  CHECK(*r.processing_p99_ms == 11000);

  auto c = applied(b.events)->counters();
  CHECK(c.processing_count == 4);
  CHECK(c.processing_sum_s == Approx(18.8));
  CHECK(c.processing_buckets[0] == 0);                       // <= 0.05 s
  CHECK(c.processing_buckets[2] == 0);                       // <= 0.25 s
  CHECK(c.processing_buckets[3] == 2);                       // <= 0.5 s: 0.3 and 0.5
  CHECK(c.processing_buckets.back() == 4);
}

TEST_CASE("stats: processing percentiles are nearest-rank and exact", "[ops]") {
  log_builder b;
  for (int i = 1; i <= 100; ++i) {
    std::string lead = "l" + std::to_string(i);
    b.add(lead, t0, sample_signup()).add(lead, t0 + i * sec, sample_qualified(outcome::disqualified));
  }
  auto r = applied(b.events)->report(hour, t0 + 10 * minute);
  CHECK(*r.processing_mean_ms == Approx(50500));
  CHECK(*r.processing_p50_ms == 50000);
  CHECK(*r.processing_p95_ms == 95000);
  CHECK(*r.processing_p99_ms == 99000);
  // Only leads that became final in the window: the last 30 s hold leads 71..100.
  auto recent = applied(b.events)->report(30 * sec, t0 + 100 * sec);
  CHECK(*recent.processing_p50_ms == 85000);
}

TEST_CASE("stats: coverage is the share of complete leads and the mean, erased leads aside", "[ops]") {
  log_builder b;
  b.signup("full", t0).add("full", t0 + sec, sample_enriched());
  b.signup("bare", t0);  // email, name, phone, country, instagram handle: 5 of 9
  b.signup("gone", t0).add("gone", t0 + sec, sample_enriched()).add("gone", t0 + 2 * sec, erased{"lgpd", "dpo"});
  auto s = applied(b.events);
  auto r = s->report(hour, t0 + minute);
  REQUIRE(r.coverage_complete_ratio);
  CHECK(*r.coverage_complete_ratio == Approx(0.5));
  CHECK(*r.coverage_mean == Approx((1.0 + 5.0 / 9.0) / 2));

  // The same figures as coverage() on a fresh fold.
  std::vector<event> full, bare;
  for (const auto& e : b.events) {
    if (e.meta.lead_id == "full") full.push_back(e);
    if (e.meta.lead_id == "bare") bare.push_back(e);
  }
  CHECK(coverage(fold("full", full)) == 1.0);
  CHECK(coverage(fold("bare", bare)) == Approx(5.0 / 9.0));
  CHECK(s->counters().leads_by_status[static_cast<size_t>(lead_status::erased)] == 1);
}

TEST_CASE("stats: queues follow prioritise() on the latest state", "[ops]") {
  log_builder b;
  enriched big = sample_enriched(900000);
  big.engagement_rate = 0.06;
  big.posts_per_week = 5;
  b.signup("star", t0).add("star", t0 + sec, big);                 // A -> sdr
  b.signup("waiting", t0);                                         // pending enrichment -> ldr
  b.signup("nohandle", t0, false);                                 // nothing to enrich -> ldr
  b.add("dq", t0, sample_signup()).add("dq", t0 + 1, sample_qualified(outcome::disqualified));  // no queue
  b.add("new", t0, sample_signup());                               // not yet qualified: no queue
  auto r = applied(b.events)->report(hour, t0 + minute);
  CHECK(r.queue_sdr == 1);
  CHECK(r.queue_ldr == 2);
  std::vector<event> star;
  for (const auto& e : b.events)
    if (e.meta.lead_id == "star") star.push_back(e);
  auto p = prioritise(fold("star", star), priority_options{}, "r");
  REQUIRE(p);
  CHECK(p->team == "sdr");
}

TEST_CASE("stats: a bounded cache re-folds evicted leads through the loader, same figures", "[ops]") {
  log_builder b;
  for (int i = 0; i < 50; ++i) {
    std::string lead = "l" + std::to_string(i);
    b.signup(lead, t0 + i * sec);
  }
  for (int i = 0; i < 50; ++i) {
    std::string lead = "l" + std::to_string(i);
    if (i % 3 == 0) b.add(lead, t0 + minute + i * sec, final_failure("not_found"));
    else if (i % 3 == 1) b.add(lead, t0 + minute + i * sec, sample_enriched(1000 * i));
    else b.add(lead, t0 + minute + i * sec, sample_failure(true, 1, "timeout"));
  }
  size_t loads = 0;
  lead_state_loader loader = [&](const std::string& lead, global_position before) -> result<lead_state> {
    ++loads;
    lead_state s = initial(lead);
    for (const auto& e : b.events)
      if (e.meta.lead_id == lead && e.meta.position < before) evolve(s, e);
    return s;
  };
  stats_options small;
  small.state_cache = 4;
  auto bounded = applied(b.events, small, loader);
  auto unbounded = applied(b.events);
  CHECK(loads > 0);
  auto x = bounded->report(hour, t0 + 5 * minute), y = unbounded->report(hour, t0 + 5 * minute);
  CHECK(x.succeeded == y.succeeded);
  CHECK(x.failed == y.failed);
  CHECK(x.retrying == y.retrying);
  CHECK(x.failures_by_class == y.failures_by_class);
  CHECK(*x.coverage_mean == Approx(*y.coverage_mean));
  CHECK(*x.processing_p95_ms == *y.processing_p95_ms);
  CHECK(x.queue_ldr == y.queue_ldr);
  CHECK(x.queue_sdr == y.queue_sdr);
  CHECK(bounded->counters().leads == 50);

  SECTION("a loader error stops the apply at that event, and it can be retried") {
    bool fail = true;
    lead_state_loader flaky = [&](const std::string& lead, global_position before) -> result<lead_state> {
      if (fail) return error{errc::storage_failure, "disk"};
      return loader(lead, before);
    };
    stats_store s(small, flaky);
    CHECK_FALSE(s.apply(b.events).ok());
    const auto stuck = s.position();
    CHECK(stuck < b.events.size());
    fail = false;
    CHECK(s.apply(b.events).ok());
    CHECK(s.position() == b.events.size());
    CHECK(s.report(hour, t0 + 5 * minute).failed == y.failed);
  }
}

TEST_CASE("stats: events at or below the position are skipped (idempotent replay)", "[ops]") {
  log_builder b;
  b.signup("a", t0).add("a", t0 + sec, sample_enriched());
  stats_store s;
  REQUIRE(s.apply(b.events).ok());
  REQUIRE(s.apply(b.events).ok());
  CHECK(s.counters().signups_total == 1);
  CHECK(s.counters().enrichment_succeeded_total == 1);
}

TEST_CASE("stats: window parsing", "[ops]") {
  CHECK(parse_window("5m") == 5 * minute);
  CHECK(parse_window("15m") == 15 * minute);
  CHECK(parse_window("1h") == hour);
  CHECK(parse_window("24h") == 24 * hour);
  CHECK(parse_window("7d") == 7 * 24 * hour);
  CHECK(parse_window("30s") == 30 * sec);
  for (const char* junk : {"", "h", "0h", "-1h", "1x", "1.5h", "1 h", "1H", "9999999d", "abc", "1hh"})
    CHECK_FALSE(parse_window(junk));
}

TEST_CASE("stats: the follower applies a real log and answers min_position waits", "[ops]") {
  test::log_fixture lf;
  auto& log = *lf.log;
  auto append = [&](const std::string& lead, payload p, millis now) { append_at(lf, lead, std::move(p), now); };
  append("u-1", sample_signup(), t0);
  append("u-1", sample_qualified(), t0 + 100);
  append("u-2", sample_signup(), t0 + 200);

  stats_store store(stats_options{}, log_state_loader(log));
  stats_follower follower(log, store, std::chrono::milliseconds(5));
  follower.start();
  std::promise<bool> reached;
  store.when_reached(3, t0 * 2, [&](bool ok) { reached.set_value(ok); });
  auto f = reached.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(f.get());
  // u-1 was evicted? No: a cache miss goes through the log loader either way.
  append("u-1", sample_enriched(), t0 + 5 * sec);
  std::promise<bool> later;
  store.when_reached(4, t0 * 2, [&](bool ok) { later.set_value(ok); });
  auto g = later.get_future();
  REQUIRE(g.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(g.get());
  auto r = store.report(hour, t0 + minute);
  CHECK(r.signups_total == 2);
  CHECK(r.succeeded == 1);
  REQUIRE(r.processing_p50_ms);
  CHECK(*r.processing_p50_ms == 5000);

  std::promise<bool> never;
  store.when_reached(100, 0, [&](bool ok) { never.set_value(ok); });  // deadline passed: answered false
  auto h = never.get_future();
  REQUIRE(h.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_FALSE(h.get());
  follower.stop();
}

namespace {

/// Every figure of a report (and the cumulative counters) as one comparable text.
std::string figures(const stats_store& s, millis window, millis now) {
  auto r = s.report(window, now);
  auto c = s.counters();
  std::string out;
  auto num = [&](const char* name, double v) { out += std::string(name) + "=" + std::to_string(v) + " "; };
  auto opt = [&](const char* name, auto v) { out += std::string(name) + "=" + (v ? std::to_string(*v) : "null") + " "; };
  num("signups", r.signups_total);
  num("in_window", r.signups_in_window);
  opt("success", r.success_rate);
  num("succeeded", r.succeeded);
  num("failed", r.failed);
  num("retrying", r.retrying);
  for (const auto& [cls, n] : r.failures_by_class) num(cls.c_str(), n);
  opt("complete", r.coverage_complete_ratio);
  opt("coverage", r.coverage_mean);
  opt("mean", r.processing_mean_ms);
  opt("p50", r.processing_p50_ms);
  opt("p95", r.processing_p95_ms);
  opt("p99", r.processing_p99_ms);
  num("sdr", r.queue_sdr);
  num("ldr", r.queue_ldr);
  num("position", r.position);
  num("ok_total", c.enrichment_succeeded_total);
  num("failed_total", c.enrichment_failed_total);
  for (const auto& [k, n] : c.failed_attempts_total) num((k.first + (k.second ? "/final" : "/retry")).c_str(), n);
  for (auto n : c.leads_by_status) num("status", n);
  num("pending", c.enrichment_pending);
  num("coverage_leads", c.coverage_leads);
  num("coverage_sum", c.coverage_sum);
  for (auto n : c.processing_buckets) num("bucket", n);
  num("processing_sum", c.processing_sum_s);
  num("leads", c.leads);
  return out;
}

} // namespace

TEST_CASE("stats: the start-up load, lead by lead, gives the figures of following the log in global order",
          "[ops]") {
  test::log_fixture lf;
  auto& log = *lf.log;
  // Many leads whose events interleave in the global log: signups, retries,
  // enrichments, final failures of several classes, erasures.
  auto append = [&](const std::string& lead, payload p, millis now) { append_at(lf, lead, std::move(p), now); };
  const int n = 300;
  for (int i = 0; i < n; ++i) append("s-" + std::to_string(i), sample_signup(i % 4 != 0), t0 + i * sec);
  for (int i = 0; i < n; ++i) append("s-" + std::to_string(i), sample_qualified(i % 9 == 0 ? outcome::disqualified : outcome::qualified), t0 + (n + i) * sec);
  for (int i = 0; i < n; i += 2) {
    const std::string lead = "s-" + std::to_string(i);
    if (i % 6 == 0) append(lead, sample_failure(true, 1), t0 + (2 * n + i) * sec);
    if (i % 10 == 0) append(lead, final_failure(i % 20 == 0 ? "not_found" : "invalid_response"), t0 + (3 * n + i) * sec);
    else append(lead, sample_enriched(1000 * i), t0 + (3 * n + i) * sec);
    if (i % 14 == 0) append(lead, erased{"request", "dpo"}, t0 + (4 * n + i) * sec);
  }

  // The global-order follow, with a tiny state cache so leads are evicted and re-folded.
  stats_options small;
  small.state_cache = 4;
  stats_store global(small, log_state_loader(log));
  auto all = log.read_global(0, 100000, storage::event_log::hashes::skip);
  REQUIRE(all);
  std::vector<event> events;
  for (auto& se : *all) events.push_back(se.ev);
  REQUIRE(global.apply(events).ok());

  // A follower on an empty store loads lead by lead, then follows.
  stats_store loaded(small, log_state_loader(log));
  stats_follower follower(log, loaded, std::chrono::milliseconds(5));
  follower.start();
  std::promise<bool> reached;
  loaded.when_reached(log.last_position(), t0 * 2, [&](bool ok) { reached.set_value(ok); });
  auto f = reached.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(f.get());
  for (millis window : {minute, hour, 24 * hour})
    CHECK(figures(loaded, window, t0 + 5 * n * sec) == figures(global, window, t0 + 5 * n * sec));

  // And it follows what comes after, as the global-order store does.
  append("s-1", sample_enriched(77), t0 + 6 * n * sec);
  auto more = log.read_global(log.last_position() - 1, 10, storage::event_log::hashes::skip);
  REQUIRE(more);
  REQUIRE(global.apply(std::vector<event>{more->at(0).ev}).ok());
  std::promise<bool> later;
  loaded.when_reached(log.last_position(), t0 * 2, [&](bool ok) { later.set_value(ok); });
  auto g = later.get_future();
  REQUIRE(g.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(figures(loaded, hour, t0 + 6 * n * sec) == figures(global, hour, t0 + 6 * n * sec));
}
