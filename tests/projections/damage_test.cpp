// One damaged record in the log must stay local: the projections skip it,
// record it (persistently) and go on, every other lead is projected, a read
// waiting for a position never waits past its wait, and the stats follow the
// rest of the log. Records are damaged directly through RocksDB.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>
#include <rocksdb/write_batch.h>

#include "events/snapshot.hpp"
#include "events/time.hpp"
#include "projections/bulk_rebuild.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/tamper.hpp"

using namespace leadbase;
using namespace leadbase::projections;
using leadbase::test::spec;

namespace {

/// `n` leads of three events each (signup, qualified, enriched): lead i holds
/// positions 3i+1 .. 3i+3.
void leads(test::log_fixture& f, int n) {
  for (int i = 0; i < n; ++i) {
    auto s = spec("u-" + std::to_string(i), "Lead " + std::to_string(i), "l" + std::to_string(i) + "@example.com");
    s.followers = 1000 * (i + 1);
    f.append_lead(s);
  }
}

void require_row_is_fold(test::log_fixture& f, lead_views& views, const std::string& id) {
  INFO("lead " << id);
  auto row = views.get(id);
  REQUIRE(row);
  REQUIRE(*row);
  CHECK(encode_snapshot(**row) == encode_snapshot(f.fold_lead(id)));
}

/// Waits (at most 20 s) until the runner serves at the log's head, not rebuilding.
bool serving_at_head(projection_runner& r, storage::event_log& log) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto i = r.info();
    if (i.state == runner_state::running && i.position == log.last_position()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void check_damage_at_5_and_7(const runner_info& info) {
  CHECK(info.damaged_events == 2);
  REQUIRE(info.damaged.size() == 2);
  CHECK(info.damaged[0].position == 5);
  CHECK(info.damaged[0].lead_id == "u-1");
  CHECK(info.damaged[0].version == 2);
  CHECK(info.damaged[1].position == 7);
  CHECK(info.damaged[1].lead_id == "u-2");
  CHECK(info.damaged[1].version == 1);
}

/// A projection whose every page fails (as a storage error would make it).
struct failing_projection final : projection {
  std::string name() const override { return "failing"; }
  std::string fingerprint() const override { return "failing/1"; }
  status apply(const std::vector<storage::stored_event>&, rocksdb::WriteBatch&) override {
    return error{errc::storage_failure, "simulated: the page cannot be written"};
  }
  status clear(rocksdb::WriteBatch&) override { return ok(); }
};

} // namespace

TEST_CASE("projection runner: a damaged event is skipped and recorded, every other lead is projected",
          "[projections][damage]") {
  test::log_fixture f;
  leads(f, 4);
  test::corrupt_event(*f.log, "u-1", 2, test::unverifiable);  // position 5
  f.close();
  f.open();

  lead_views views(*f.log, lead_views_options{});
  auto runner = projection_runner::open(*f.log, views);
  REQUIRE(runner);
  REQUIRE((*runner)->catch_up().ok());
  CHECK((*runner)->position() == f.log->last_position());
  for (const char* id : {"u-0", "u-2", "u-3"}) require_row_is_fold(f, views, id);
  auto damaged_lead = views.get("u-1");  // its other events are applied
  REQUIRE(damaged_lead);
  REQUIRE(*damaged_lead);
  CHECK((*damaged_lead)->version == 3);
  auto page = views.query(queue_query{});
  REQUIRE(page);
  CHECK(page->items.size() >= 3);

  auto info = (*runner)->info();
  CHECK(info.damaged_events == 1);
  REQUIRE(info.damaged.size() == 1);
  CHECK(info.damaged[0].position == 5);
  CHECK(info.damaged[0].lead_id == "u-1");
  CHECK(info.damaged[0].version == 2);
  CHECK_FALSE(info.damaged[0].reason.empty());
  CHECK(info.lag_events == 0);
  CHECK_FALSE(info.failed);
}

TEST_CASE("projection runner: the damage record survives a restart and a rebuild finds it again",
          "[projections][damage]") {
  test::log_fixture f;
  leads(f, 3);
  test::delete_raw_event(*f.log, "u-2", 1);  // position 7: the global index names a missing event
  f.close();
  f.open();
  {
    lead_views views(*f.log, lead_views_options{});
    auto runner = projection_runner::open(*f.log, views);
    REQUIRE(runner);
    REQUIRE((*runner)->catch_up().ok());
    CHECK((*runner)->info().damaged_events == 1);
  }
  f.close();
  f.open();
  lead_views views(*f.log, lead_views_options{});
  auto runner = projection_runner::open(*f.log, views);
  REQUIRE(runner);
  auto info = (*runner)->info();
  CHECK(info.damaged_events == 1);
  REQUIRE(info.damaged.size() == 1);
  CHECK(info.damaged[0].position == 7);
  CHECK(info.damaged[0].lead_id == "u-2");

  REQUIRE((*runner)->rebuild_offline().ok());  // cleared, replayed, met again: one record, not two
  CHECK((*runner)->info().damaged_events == 1);
  CHECK((*runner)->position() == f.log->last_position());
  require_row_is_fold(f, views, "u-0");
}

TEST_CASE("projection runner: a read waiting for a position past a damaged event is answered, not hung",
          "[projections][damage]") {
  test::log_fixture f;
  leads(f, 3);
  test::corrupt_event(*f.log, "u-0", 1, test::unverifiable);  // the very first event
  f.close();
  f.open();
  lead_views views(*f.log, lead_views_options{});
  auto runner = projection_runner::open(*f.log, views);
  REQUIRE(runner);
  REQUIRE((*runner)->start().ok());
  std::promise<bool> answered;
  const auto t0 = std::chrono::steady_clock::now();
  (*runner)->when_reached(f.log->last_position(), std::chrono::milliseconds(2000),
                          [&](bool reached) { answered.set_value(reached); });
  auto fut = answered.get_future();
  REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(fut.get());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2000));
  auto row = views.get("u-2");
  REQUIRE(row);
  CHECK(*row);
  (*runner)->stop();
}

TEST_CASE("projection runner: while pages fail, a waiter is answered at its deadline (wait_ms is honoured)",
          "[projections][damage]") {
  test::log_fixture f;
  leads(f, 1);
  failing_projection proj;
  auto runner = projection_runner::open(*f.log, proj);
  REQUIRE(runner);
  REQUIRE((*runner)->start().ok());
  std::promise<bool> answered;
  const auto t0 = std::chrono::steady_clock::now();
  (*runner)->when_reached(f.log->last_position(), std::chrono::milliseconds(300),
                          [&](bool reached) { answered.set_value(reached); });
  auto fut = answered.get_future();
  REQUIRE(fut.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
  CHECK_FALSE(fut.get());
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::milliseconds(1500));
  auto info = (*runner)->info();
  CHECK(info.failed);
  CHECK(info.failing_seconds > 0);
  (*runner)->stop();
}

TEST_CASE("stats: the runner skips and records a damaged event, at the first build or met while following",
          "[projections][damage][ops]") {
  test::log_fixture f;
  leads(f, 3);
  test::corrupt_event(*f.log, "u-1", 1, test::unverifiable);  // u-1's signup
  f.close();
  f.open();

  {  // the first start: the lead-order build meets the damage and gives up; the pages skip it
    stats_projection stats(*f.log, stats_options{}, log_state_loader(*f.log));
    auto runner = projections::projection_runner::open(*f.log, stats, with_stats_rebuild(stats));
    REQUIRE(runner);
    REQUIRE((*runner)->start());
    REQUIRE((*runner)->wait_for(f.log->last_position()));
    CHECK((*runner)->info().damaged_events == 1);
    auto c = stats.counters();
    REQUIRE(c);
    CHECK(c->signups_total == 2);
    // and it goes on past it
    const auto more = f.append("u-0", {erased{"request", "dpo"}});
    (*runner)->notify();
    REQUIRE((*runner)->wait_for(more));
    CHECK((*runner)->info().damaged_events == 1);
    (*runner)->stop();
  }
  {  // offline: the rebuild falls back to the page replay, which records the damage
    stats_projection stats(*f.log, stats_options{}, log_state_loader(*f.log));
    auto runner = projections::projection_runner::open(*f.log, stats, with_stats_rebuild(stats));
    REQUIRE(runner);
    REQUIRE((*runner)->rebuild_offline());
    CHECK((*runner)->info().damaged_events == 1);
    CHECK(stats.counters()->signups_total == 2);
  }
}

TEST_CASE("projection runner with the bulk rebuild: a start-up with changed settings and an online rebuild on a "
          "damaged log build beside, skip and record the damage, and serve",
          "[projections][damage][rebuild]") {
  test::log_fixture f;
  leads(f, 4);
  test::corrupt_event(*f.log, "u-1", 2, test::unverifiable);  // position 5: does not decode
  test::delete_raw_event(*f.log, "u-2", 1);                    // position 7: the event is missing
  f.close();
  f.open();
  {
    lead_views old_views(*f.log, lead_views_options{});
    auto runner = projection_runner::open(*f.log, old_views, with_bulk_rebuild(*f.log, old_views));
    REQUIRE(runner);
    REQUIRE((*runner)->catch_up().ok());  // page by page: the two records
    check_damage_at_5_and_7((*runner)->info());
  }

  lead_views_options changed;
  changed.priority.weight_reach = 10;
  changed.priority.weight_completeness = 40;
  lead_views views(*f.log, changed);
  auto runner = projection_runner::open(*f.log, views, with_bulk_rebuild(*f.log, views));
  REQUIRE(runner);
  REQUIRE((*runner)->start().ok());  // the fingerprint changed: a rebuild beside
  REQUIRE(serving_at_head(**runner, *f.log));
  auto info = (*runner)->info();
  CHECK(info.rebuild_error.empty());
  check_damage_at_5_and_7(info);  // re-found by the build: two, not four
  for (const char* id : {"u-0", "u-3"}) require_row_is_fold(f, views, id);
  for (const char* id : {"u-1", "u-2"}) {  // their other events are applied
    auto row = views.get(id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK((*row)->version == 3);
  }

  // A stale record (of no event) the online rebuild must drop with the old projection.
  const std::string stale = damaged_key(views.name(), 2);
  REQUIRE(test::raw_db(*f.log)->Put(rocksdb::WriteOptions(), f.log->cf(storage::key_space::meta), stale, encode_damage({2, "u-0", 2, "x"})).ok());
  (*runner)->rebuild();  // online, beside
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string v;
  while (test::raw_db(*f.log)->Get(rocksdb::ReadOptions(), f.log->cf(storage::key_space::meta), stale, &v).ok() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(test::raw_db(*f.log)->Get(rocksdb::ReadOptions(), f.log->cf(storage::key_space::meta), stale, &v).IsNotFound());
  REQUIRE(serving_at_head(**runner, *f.log));
  info = (*runner)->info();
  CHECK(info.rebuild_error.empty());
  check_damage_at_5_and_7(info);
  (*runner)->stop();
}
