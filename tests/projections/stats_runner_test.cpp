// The persistent stats projection under the projection runner: waits, restart
// from the checkpoint, a crash between pages, the lead-order rebuild, the
// first start on a data dir without the stats, and generations.
#include <catch2/catch.hpp>

#include <rocksdb/write_batch.h>

#include <thread>

#include "projections/runner.hpp"
#include "projections/stats_codec.hpp"
#include "projections/stats_projection.hpp"
#include "storage/keys.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::sample_enriched;
using leadbase::test::sample_failure;
using leadbase::test::sample_qualified;
using leadbase::test::sample_signup;

namespace {

constexpr millis t0 = 1'800'000'000'000;
constexpr millis sec = 1000, minute = 60'000, hour = 3'600'000;

void append_at(test::log_fixture& f, const std::string& lead, payload p, millis now) {
  f.append(lead, {std::move(p)}, now, now);
}

/// Many leads whose events interleave in the global log: signups, retries,
/// enrichments, final failures of several classes, erasures; and the work
/// loop: claims, contacts of several outcomes, claims that lapse.
void busy_log(test::log_fixture& lf, int n) {
  auto append = [&](const std::string& lead, payload p, millis now) { append_at(lf, lead, std::move(p), now); };
  for (int i = 0; i < n; ++i) append("s-" + std::to_string(i), sample_signup(i % 4 != 0), t0 + i * sec);
  for (int i = 0; i < n; ++i)
    append("s-" + std::to_string(i), sample_qualified(i % 9 == 0 ? outcome::disqualified : outcome::qualified),
           t0 + (n + i) * sec);
  for (int i = 0; i < n; i += 2) {
    const std::string lead = "s-" + std::to_string(i);
    if (i % 6 == 0) append(lead, sample_failure(true, 1), t0 + (2 * n + i) * sec);
    if (i % 10 == 0) append(lead, sample_failure(false, 6, i % 20 == 0 ? "not_found" : "invalid_response"), t0 + (3 * n + i) * sec);
    else append(lead, sample_enriched(1000 * i), t0 + (3 * n + i) * sec);
    if (i % 14 == 0) append(lead, erased{"request", "dpo"}, t0 + (4 * n + i) * sec);
  }
  for (int i = 1; i < n; i += 3) {
    const std::string lead = "s-" + std::to_string(i);
    const millis at = t0 + (4 * n + i) * sec;
    append(lead, assigned{"ana", "ana", assign_how::claim, at + hour}, at + 100);
    auto contact = [&](contact_outcome o, millis when) {
      contact_logged c;
      c.by = "ana";
      c.result = o;
      c.contacted_at = when;
      append(lead, c, when);
    };
    if (i % 2 == 1) contact(contact_outcome::no_answer, at + 200);
    if (i % 5 == 0) contact(contact_outcome::meeting_booked, at + 300);
    if (i % 11 == 0) contact(contact_outcome::not_interested, at + 400);
    if (i % 7 == 1) append(lead, released{"ana", "system", release_reason::expired}, at + 600);
  }
}

/// Every figure of a report, a series and the cumulative counters as one comparable text.
std::string figures(const stats_projection& s, millis window, millis now) {
  auto r = s.report(window, now);
  auto c = s.counters();
  auto series = s.series(24 * hour, hour, now);
  REQUIRE(r);
  REQUIRE(c);
  REQUIRE(series);
  std::string out;
  auto num = [&](const std::string& name, double v) { out += name + "=" + std::to_string(v) + " "; };
  auto opt = [&](const char* name, auto v) { out += std::string(name) + "=" + (v ? std::to_string(*v) : "null") + " "; };
  num("signups", r->signups_total);
  num("in_window", r->signups_in_window);
  opt("success", r->success_rate);
  num("succeeded", r->succeeded);
  num("failed", r->failed);
  num("retrying", r->retrying);
  for (const auto& [cls, n] : r->failures_by_class) num(cls, n);
  opt("complete", r->coverage_complete_ratio);
  opt("coverage", r->coverage_mean);
  opt("mean", r->processing_mean_ms);
  opt("p50", r->processing_p50_ms);
  opt("p95", r->processing_p95_ms);
  opt("p99", r->processing_p99_ms);
  num("sdr", r->queue_sdr);
  num("ldr", r->queue_ldr);
  num("position", r->position);
  num("ok_total", c->enrichment_succeeded_total);
  num("failed_total", c->enrichment_failed_total);
  for (const auto& [k, n] : c->failed_attempts_total) num(k.first + (k.second ? "/final" : "/retry"), n);
  for (auto n : c->leads_by_status) num("status", n);
  num("pending", c->enrichment_pending);
  num("coverage_leads", c->coverage_leads);
  num("coverage_sum", c->coverage_sum());
  for (auto n : c->processing_buckets) num("bucket", n);
  num("processing_sum", c->processing_sum_s());
  num("leads", c->leads);
  num("claimed", r->work_claimed);
  num("contacted", r->work_contacted);
  num("meeting_booked", r->work_meeting_booked);
  num("closed", r->work_closed);
  num("expired", r->expired_claims);
  for (const auto& [o, n] : r->contacts_by_outcome) num(o, n);
  opt("fc_mean", r->first_contact_mean_ms);
  opt("fc_p50", r->first_contact_p50_ms);
  opt("fc_p95", r->first_contact_p95_ms);
  for (auto n : c->work_stage_leads) num("stage", n);
  for (auto n : c->contacts_total) num("contacts", n);
  num("expired_total", c->claims_expired_total);
  for (auto n : c->first_contact_buckets) num("fc_bucket", n);
  num("fc_sum", c->first_contact_sum_s());
  for (const auto& p : series->points) {
    num("contacts", p.contacts);
    num("meetings", p.meetings_booked);
    num("at", p.at);
    num("s", p.signups);
    num("ok", p.enrichment_succeeded);
    num("ko", p.enrichment_failed);
    opt("p95", p.processing_ms_p95);
  }
  return out;
}

std::string all_figures(const stats_projection& s, millis now) {
  return figures(s, minute, now) + "| " + figures(s, hour, now) + "| " + figures(s, 7 * 24 * hour, now);
}

projections::runner_options small_pages(size_t page) {
  projections::runner_options o;
  o.page_size = page;
  return o;
}

/// The figures of a stats projection built from the whole log in one go (the lead-order rebuild).
std::string fresh_build(test::log_fixture& lf, const stats_options& o, millis now) {
  stats_projection fresh(*lf.log, o, log_state_loader(*lf.log));
  auto r = projections::projection_runner::open(*lf.log, fresh, with_stats_rebuild(fresh));
  REQUIRE(r);
  REQUIRE((*r)->rebuild_offline());
  return all_figures(fresh, now);
}

} // namespace

TEST_CASE("stats runner: applies a real log, answers min_position waits, resumes from its checkpoint",
          "[ops][stats]") {
  test::log_fixture lf;
  append_at(lf, "u-1", sample_signup(), t0);
  append_at(lf, "u-1", sample_qualified(), t0 + 100);
  append_at(lf, "u-2", sample_signup(), t0 + 200);
  {
    stats_projection stats(*lf.log, stats_options{}, log_state_loader(*lf.log));
    auto runner = projections::projection_runner::open(*lf.log, stats, with_stats_rebuild(stats));
    REQUIRE(runner);
    REQUIRE((*runner)->start());
    CHECK((*runner)->wait_for(3));
    append_at(lf, "u-1", sample_enriched(), t0 + 5 * sec);
    (*runner)->notify();
    CHECK((*runner)->wait_for(4));
    auto r = stats.report(hour, t0 + minute);
    REQUIRE(r);
    CHECK(r->signups_total == 2);
    CHECK(r->succeeded == 1);
    CHECK(r->processing_p50_ms == 5000);
    CHECK((*runner)->wait_for(100, std::chrono::milliseconds(20)).err().code == errc::timeout);
    (*runner)->stop();
  }
  lf.close();
  lf.open();
  stats_projection again(*lf.log, stats_options{}, log_state_loader(*lf.log));
  auto runner = projections::projection_runner::open(*lf.log, again, with_stats_rebuild(again));
  REQUIRE(runner);
  CHECK((*runner)->position() == 4);  // from the checkpoint, nothing re-read
  auto r = again.report(hour, t0 + minute);
  REQUIRE(r);
  CHECK(r->signups_total == 2);
  CHECK(r->succeeded == 1);
}

TEST_CASE("stats runner: restarts and a crash between pages give the figures of one fresh build", "[ops][stats]") {
  test::log_fixture lf;
  const int n = 120;
  busy_log(lf, n);
  const millis now = t0 + 5 * n * sec;
  stats_options small;
  small.state_cache = 4;  // leads are evicted and re-folded through the log
  const global_position head = lf.log->last_position();
  {
    // Page by page in global order, stopped part way (as by a crash: the
    // runner's state and the projection's cache are gone; what was written stays).
    stats_projection stats(*lf.log, small, log_state_loader(*lf.log));
    auto runner = projections::projection_runner::open(*lf.log, stats, small_pages(7));
    REQUIRE(runner);
    for (int i = 0; i < 20; ++i) REQUIRE((*runner)->step());
    CHECK((*runner)->position() == 140);
    // A page whose batch never reached the disk: applied, not written.
    auto page = lf.log->read_global(140, 7, storage::event_log::hashes::skip);
    REQUIRE(page);
    rocksdb::WriteBatch lost;
    REQUIRE(stats.apply(*page, lost));
  }
  lf.close();
  lf.open();
  {
    stats_projection stats(*lf.log, small, log_state_loader(*lf.log));
    auto runner = projections::projection_runner::open(*lf.log, stats, small_pages(11));
    REQUIRE(runner);
    CHECK((*runner)->position() == 140);
    REQUIRE((*runner)->catch_up());
    CHECK((*runner)->position() == head);
  }
  lf.close();
  lf.open();
  stats_projection resumed(*lf.log, small, log_state_loader(*lf.log));
  const std::string incremental = all_figures(resumed, now);
  CHECK(incremental.find("signups=120.") != std::string::npos);
  // The same log folded whole, in lead order, into the other generation.
  CHECK(fresh_build(lf, small, now) == incremental);

  SECTION("and it goes on after the rebuild as the page-by-page fold does") {
    append_at(lf, "s-1", sample_enriched(77), now + sec);
    append_at(lf, "s-new", sample_signup(), now + 2 * sec);
    stats_projection stats(*lf.log, small, log_state_loader(*lf.log));
    auto runner = projections::projection_runner::open(*lf.log, stats, small_pages(5));
    REQUIRE(runner);
    REQUIRE((*runner)->catch_up());
    const std::string after = all_figures(stats, now + minute);
    CHECK(fresh_build(lf, small, now + minute) == after);
  }
}

TEST_CASE("stats runner: a data dir without the stats is built whole at the first start, then caught up",
          "[ops][stats]") {
  test::log_fixture lf;
  busy_log(lf, 40);
  const global_position head = lf.log->last_position();
  stats_projection stats(*lf.log, stats_options{}, log_state_loader(*lf.log));
  auto runner = projections::projection_runner::open(*lf.log, stats, with_stats_rebuild(stats));
  REQUIRE(runner);
  CHECK((*runner)->position() == 0);
  CHECK_FALSE((*runner)->info().caught_up);
  REQUIRE((*runner)->start());
  REQUIRE((*runner)->wait_for(head));
  for (int i = 0; i < 200 && !(*runner)->info().caught_up; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK((*runner)->info().caught_up);
  auto r = stats.report(24 * hour, t0 + 200 * sec);
  REQUIRE(r);
  CHECK(r->signups_total == 40);
  CHECK(r->position == head);
  // One generation holds the stats; the other is empty.
  auto keys = test::family_contents(*lf.log, storage::key_space::stats);
  const char gen = keys.at(std::string(stats_codec::generation_key)).at(0);
  for (const auto& [k, v] : keys)
    if (k != stats_codec::generation_key) CHECK(k[0] == gen);

  SECTION("an online rebuild switches generations; the figures stay") {
    const std::string before = all_figures(stats, t0 + 200 * sec);
    (*runner)->rebuild();
    for (int i = 0; i < 500; ++i) {
      auto now_keys = test::family_contents(*lf.log, storage::key_space::stats);
      if (now_keys.at(std::string(stats_codec::generation_key)).at(0) != gen) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto now_keys = test::family_contents(*lf.log, storage::key_space::stats);
    CHECK(now_keys.at(std::string(stats_codec::generation_key)).at(0) != gen);
    CHECK(all_figures(stats, t0 + 200 * sec) == before);
  }
  (*runner)->stop();
}

TEST_CASE("stats runner: stats built by an earlier format (stats/1) are rebuilt at the first start, the same as fresh",
          "[ops][stats][work]") {
  test::log_fixture lf;
  busy_log(lf, 60);
  const millis now = t0 + 300 * sec;
  {
    stats_projection stats(*lf.log, stats_options{}, log_state_loader(*lf.log));
    auto runner = projections::projection_runner::open(*lf.log, stats, with_stats_rebuild(stats));
    REQUIRE(runner);
    REQUIRE((*runner)->catch_up());
  }
  // As an older leadbase left it: its fingerprint, and totals of format 1 (no work figures).
  auto* meta = lf.log->cf(storage::key_space::meta);
  auto* cf = lf.log->cf(storage::key_space::stats);
  const std::string old_fingerprint = "stats/1 weights 40,30,20,10 thresholds 70,40 rules 2026-11-01";
  REQUIRE(test::raw_db(*lf.log)->Put(rocksdb::WriteOptions(), meta, projections::fingerprint_key("stats"), old_fingerprint).ok());
  auto keys = test::family_contents(*lf.log, storage::key_space::stats);
  const char gen = keys.count(std::string(stats_codec::generation_key))
                       ? keys.at(std::string(stats_codec::generation_key)).at(0)
                       : 'a';
  std::string v1(1, '\1');
  for (int i = 0; i < 14 + 8 + 17 + 1; ++i) v1 += storage::keys::be64(0);  // 12 u64, 2 i64, statuses, buckets, no classes
  REQUIRE(stats_codec::decode_counters(v1));
  REQUIRE(test::raw_db(*lf.log)->Put(rocksdb::WriteOptions(), cf, stats_codec::totals_key(gen), v1).ok());
  lf.close();
  lf.open();
  stats_projection stats(*lf.log, stats_options{}, log_state_loader(*lf.log));
  auto runner = projections::projection_runner::open(*lf.log, stats, with_stats_rebuild(stats));
  REQUIRE(runner);
  REQUIRE((*runner)->start());
  for (int i = 0; i < 500 && !(*runner)->info().caught_up; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE((*runner)->info().caught_up);
  (*runner)->stop();
  std::string stored;  // (the column family handles of before the reopen are gone)
  REQUIRE(test::raw_db(*lf.log)
              ->Get(rocksdb::ReadOptions(), lf.log->cf(storage::key_space::meta), projections::fingerprint_key("stats"),
                    &stored)
              .ok());
  CHECK(stored == stats.fingerprint());
  const std::string rebuilt = all_figures(stats, now);
  auto r = stats.report(hour, now);
  REQUIRE(r);
  CHECK(r->work_meeting_booked > 0);  // the work figures are there again
  CHECK(r->work_contacted > 0);
  CHECK(fresh_build(lf, stats_options{}, now) == rebuilt);
}
