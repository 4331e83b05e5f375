// The stats projection: every definition of docs/domain.md "Monitoring", the
// bounded state cache (re-folding from a loader), the time buckets, and the
// persistent projection under its runner (tests/projections/stats_runner_test.cpp).
#include <catch2/catch.hpp>

#include <rocksdb/write_batch.h>

#include <future>
#include <map>

#include "projections/priority.hpp"
#include "projections/stats_projection.hpp"
#include "storage/event_log.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"
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

/// A stats projection on a real log's `stats` family, fed events directly as
/// the runner would: one page, one batch, written, then committed().
struct stats_under_test {
  test::log_fixture lf;
  stats_projection proj;

  explicit stats_under_test(stats_options o = {}, lead_state_loader loader = {})
      : proj(*lf.log, std::move(o), std::move(loader)) {}

  /// apply() of one page into a batch; the batch is written only when `write`.
  status apply(const std::vector<event>& events, bool write = true) {
    std::vector<storage::stored_event> page;
    for (const auto& e : events) {
      storage::stored_event se;
      se.ev = e;
      page.push_back(std::move(se));
    }
    rocksdb::WriteBatch batch;
    if (auto s = proj.apply(page, batch); !s) {
      INFO(s.err().message);
      return s;
    }
    if (!write) return ok();
    auto st = test::raw_db(*lf.log)->Write(rocksdb::WriteOptions(), &batch);
    if (!st.ok()) return error{errc::storage_failure, st.ToString()};
    proj.committed();
    return ok();
  }
  stats_report report(millis window, millis now) const {
    auto r = proj.report(window, now);
    if (!r) FAIL(r.err().message);
    return *r;
  }
  stats_counters counters() const {
    auto c = proj.counters();
    REQUIRE(c);
    return *c;
  }
};

std::unique_ptr<stats_under_test> applied(const std::vector<event>& events, stats_options o = {},
                                          lead_state_loader loader = {}) {
  auto s = std::make_unique<stats_under_test>(std::move(o), std::move(loader));
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
  stats_under_test s;
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
    stats_under_test s2;
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
  CHECK(c.processing_sum_s() == Approx(18.8));
  CHECK(c.processing_buckets[0] == 0);                       // <= 0.05 s
  CHECK(c.processing_buckets[2] == 0);                       // <= 0.25 s
  CHECK(c.processing_buckets[3] == 2);                       // <= 0.5 s: 0.3 and 0.5
  CHECK(c.processing_buckets.back() == 4);
}

TEST_CASE("stats: processing percentiles are nearest-rank, to three significant digits", "[ops]") {
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
  // Only leads that became final in the window, counted to the minute: the
  // window of 30 s up to t0 + 100 s starts in the minute from t0 + 60 s, which
  // it takes whole: leads 60..100.
  auto recent = applied(b.events)->report(30 * sec, t0 + 100 * sec);
  CHECK(*recent.processing_p50_ms == 80000);
  // A full minute later than all of them: none.
  CHECK_FALSE(applied(b.events)->report(minute, t0 + 3 * minute).processing_p50_ms);
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
  // Pages of 10 events, as the runner applies them: a page's states stay, the cache is small.
  auto bounded = std::make_unique<stats_under_test>(small, loader);
  for (size_t i = 0; i < b.events.size(); i += 10)
    REQUIRE(bounded->apply(std::vector<event>(b.events.begin() + static_cast<std::ptrdiff_t>(i),
                                              b.events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 10, b.events.size()))))
                .ok());
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
    stats_under_test s(small, flaky);
    // The signups and qualifications: one page, no load (a page's states are kept).
    REQUIRE(s.apply(std::vector<event>(b.events.begin(), b.events.begin() + 100)).ok());
    const std::vector<event> rest(b.events.begin() + 100, b.events.end());
    CHECK_FALSE(s.apply(rest).ok());
    CHECK(s.counters().position == 100);  // nothing of the failed page
    fail = false;
    CHECK(s.apply(rest).ok());
    CHECK(s.counters().position == b.events.size());
    CHECK(s.report(hour, t0 + 5 * minute).failed == y.failed);
  }
}

TEST_CASE("stats: a page whose batch was never written, applied again, counts once", "[ops]") {
  log_builder b;
  b.signup("a", t0).add("a", t0 + sec, sample_enriched());
  stats_under_test s;
  REQUIRE(s.apply({b.events[0]}).ok());
  const std::vector<event> page(b.events.begin() + 1, b.events.end());
  REQUIRE(s.apply(page, /*write=*/false).ok());  // the write failed (or the process died)
  REQUIRE(s.apply(page).ok());                    // the runner applies the page again
  CHECK(s.counters().signups_total == 1);
  CHECK(s.counters().enrichment_succeeded_total == 1);
  CHECK(s.counters().leads == 1);
  CHECK(s.report(hour, t0 + minute).succeeded == 1);
}

TEST_CASE("stats: processing bins keep three significant digits", "[ops]") {
  for (int64_t v : std::vector<int64_t>{0, 1, 999, 1000, 1234, 50000, 99999, 3'600'000, 86'400'000'000LL}) {
    const int64_t floor = processing_bin_floor(processing_bin(v));
    CHECK(floor <= v);
    CHECK(static_cast<double>(v - floor) <= static_cast<double>(v) / 100.0);
  }
  CHECK(processing_bin_floor(processing_bin(1234)) == 1230);
  CHECK(processing_bin(999) < processing_bin(1000));
  CHECK(processing_bin(99999) < processing_bin(100000));
}

TEST_CASE("stats: the series sums the buckets per step", "[ops]") {
  log_builder b;
  b.signup("a", t0).add("a", t0 + 2 * sec, sample_enriched());
  b.signup("b", t0 + hour + minute).add("b", t0 + hour + 2 * minute, final_failure("not_found"));
  b.signup("c", t0 + hour + minute);
  auto s = applied(b.events);
  auto series = s->proj.series(3 * hour, hour, t0 + 2 * hour + 5 * minute);
  REQUIRE(series);
  CHECK(series->step_ms == hour);
  REQUIRE(series->points.size() == 3);
  CHECK(series->points[0].at == t0);
  CHECK(series->points[0].signups == 1);
  CHECK(series->points[0].enrichment_succeeded == 1);
  CHECK(series->points[0].processing_ms_p95 == 2000);
  CHECK(series->points[1].at == t0 + hour);
  CHECK(series->points[1].signups == 2);
  CHECK(series->points[1].enrichment_failed == 1);
  CHECK(series->points[1].contacts == 0);
  CHECK(series->points[2].signups == 0);
  CHECK_FALSE(series->points[2].processing_ms_p95);
  CHECK_FALSE(s->proj.series(3 * hour, 30 * sec, t0));  // not whole minutes
  CHECK_FALSE(s->proj.series(2000 * minute, minute, t0));  // too many points
  // A step of 5 minutes sums minute buckets.
  auto fine = s->proj.series(10 * minute, 5 * minute, t0 + 9 * minute);
  REQUIRE(fine);
  REQUIRE(fine->points.size() == 2);
  CHECK(fine->points[0].signups == 1);
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

