// An online rebuild of lead_views (projection_runner::rebuild with the bulk
// rebuild beside the serving projection, as `serve` runs it): while it builds,
// every existing lead reads and the queue walks whole (the old projection);
// events appended meanwhile are in the new one after the switch; the result
// equals a fresh fold; a start-up with changed settings takes the same path;
// a rebuild that did not finish leaves nothing behind.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/snapshot.hpp"
#include "projections/bulk_rebuild.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "projections/verify.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;
using namespace leadbase::projections;

namespace {

test::lead_spec lead(int i) {
  test::lead_spec s;
  s.id = "r-" + std::to_string(i);
  s.name = "Rebuilt " + std::to_string(i);
  s.email = "rebuilt" + std::to_string(i) + "@example.com";
  s.instagram = "rb" + std::to_string(i);
  s.signed_up_at = 1764331200000 + (i % 29) * 60000;
  if (i % 3 != 0) s.followers = 1000 + static_cast<int64_t>(i) * 7919 % 900000;
  s.disqualify = i % 17 == 4;
  return s;
}

/// Holds a rebuild beside the serving projection just after it took its
/// snapshot, until released: the "slow rebuild" seam.
struct gate {
  std::mutex m;
  std::condition_variable cv;
  bool building = false, released = false;

  runner_options wrap(runner_options o) {
    auto real = o.rebuild_beside;
    o.rebuild_beside = [this, real](const rebuild_progress& progress, const std::atomic<bool>& cancel) {
      return real(
          [this, progress](global_position p, global_position h) {
            if (p == 0) {
              std::unique_lock<std::mutex> lock(m);
              building = true;
              cv.notify_all();
              cv.wait_for(lock, std::chrono::seconds(20), [this] { return released; });
            }
            if (progress) progress(p, h);
          },
          cancel);
    };
    return o;
  }
  bool wait_building() {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, std::chrono::seconds(20), [this] { return building; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(m);
    released = true;
    cv.notify_all();
  }
};

/// Every lead id of a cursor walk of the default queue, in pages of 7.
std::vector<std::string> walk_queue(const lead_views& views) {
  std::vector<std::string> ids;
  queue_query q;
  q.limit = 7;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = views.query(q);
    REQUIRE(page);
    for (const auto& s : page->items) ids.push_back(s.lead_id);
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  return ids;
}

/// Waits until the runner runs again (the rebuild switched) and reached the head.
void wait_switched(projection_runner& r, storage::event_log& log) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.info().state != runner_state::running && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(r.info().state == runner_state::running);
  REQUIRE(r.wait_for(log.last_position()));
}

void check_equals_fresh_fold(test::log_fixture& f, const lead_views& views) {
  auto report = verify_lead_views(*f.log, views);
  REQUIRE(report);
  CHECK(report->ok());
  CHECK(report->rows == f.lead_ids().size());
  for (const auto& id : f.lead_ids()) {
    INFO("lead " << id);
    auto row = views.get(id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(encode_snapshot(**row) == encode_snapshot(f.fold_lead(id)));
  }
}

} // namespace

TEST_CASE("during an online rebuild every lead reads and the queue walks whole; after it, a fresh fold",
          "[projections][rebuild]") {
  test::log_fixture f;
  for (int i = 0; i < 240; ++i) f.append_lead(lead(i));
  lead_views views(*f.log, {});
  gate g;
  runner_options base;
  base.page_size = 50;
  auto r = projection_runner::open(*f.log, views, g.wrap(with_bulk_rebuild(*f.log, views, base)));
  REQUIRE(r);
  REQUIRE((*r)->catch_up());  // built page by page, as a running service built it
  REQUIRE((*r)->start());
  const auto leads_before = f.lead_ids();
  const auto queue_before = walk_queue(views);
  REQUIRE(queue_before.size() > 150);
  const global_position before = (*r)->position();

  (*r)->rebuild();
  REQUIRE(g.wait_building());
  CHECK((*r)->info().state == runner_state::rebuilding);

  // Writes that land during the rebuild: a new lead, an enrichment, an erasure.
  f.append_lead(lead(1000));
  f.append("r-1", {test::sample_enriched(987654)});
  f.append("r-2", {erased{"data subject request", "dpo"}});
  REQUIRE(f.log->destroy_key("r-2"));
  (*r)->notify();

  // The old projection serves, whole, at its position: no 404, no short walk.
  for (int round = 0; round < 3; ++round) {
    for (const auto& id : leads_before) {
      INFO("lead " << id << " during the rebuild");
      auto row = views.get(id);
      REQUIRE(row);
      CHECK(row->has_value());
    }
    CHECK(walk_queue(views) == queue_before);
  }
  CHECK((*r)->position() == before);
  auto waited = (*r)->wait_for(f.log->last_position(), std::chrono::milliseconds(50));
  CHECK_FALSE(waited);  // the timeout is answered while it builds

  g.release();
  wait_switched(**r, *f.log);
  CHECK((*r)->info().rebuild_error.empty());
  (*r)->stop();  // runs the clean-up (compact_replaced) queued on the maintenance thread

  check_equals_fresh_fold(f, views);
  auto after = walk_queue(views);
  CHECK(std::set<std::string>(after.begin(), after.end()).count("r-1000") == 1);
  CHECK(std::set<std::string>(after.begin(), after.end()).count("r-2") == 0);
}

TEST_CASE("a start-up with changed settings rebuilds beside the old projection, which serves until the switch",
          "[projections][rebuild]") {
  test::log_fixture f;
  for (int i = 0; i < 120; ++i) f.append_lead(lead(i));
  {
    lead_views old_views(*f.log, {});
    auto r = projection_runner::open(*f.log, old_views, with_bulk_rebuild(*f.log, old_views));
    REQUIRE(r);
    REQUIRE((*r)->rebuild_offline());
  }
  lead_views_options changed;
  changed.priority.weight_reach = 10;
  changed.priority.weight_completeness = 40;
  lead_views views(*f.log, changed);
  gate g;
  auto r = projection_runner::open(*f.log, views, g.wrap(with_bulk_rebuild(*f.log, views)));
  REQUIRE(r);
  REQUIRE((*r)->start());
  REQUIRE(g.wait_building());
  for (const auto& id : f.lead_ids()) {
    INFO("lead " << id << " during the start-up rebuild");
    auto row = views.get(id);
    REQUIRE(row);
    CHECK(row->has_value());
  }
  g.release();
  wait_switched(**r, *f.log);
  (*r)->stop();
  check_equals_fresh_fold(f, views);
  auto report = verify_lead_views(*f.log, views);
  REQUIRE(report);
  CHECK(report->fingerprint_matches);
}

TEST_CASE("a rebuild cancelled by stop() leaves the old projection, and a crashed one's files are discarded",
          "[projections][rebuild]") {
  test::log_fixture f;
  for (int i = 0; i < 60; ++i) f.append_lead(lead(i));
  lead_views views(*f.log, {});
  {
    gate g;
    auto r = projection_runner::open(*f.log, views, g.wrap(with_bulk_rebuild(*f.log, views)));
    REQUIRE(r);
    REQUIRE((*r)->catch_up());
    const auto rows = test::family_contents(*f.log, storage::key_space::views);
    REQUIRE((*r)->start());
    (*r)->rebuild();
    REQUIRE(g.wait_building());
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      g.release();
    });
    (*r)->stop();  // cancels the build; the old projection stays
    releaser.join();
    CHECK(test::family_contents(*f.log, storage::key_space::views) == rows);
    CHECK((*r)->position() == f.log->last_position());
  }
  // What a crash in the middle leaves: table files in the temp dir.
  const auto tmp = std::filesystem::path(f.dir.str()) / "bulk_rebuild.tmp";
  std::filesystem::create_directories(tmp);
  std::ofstream(tmp / "views-0-0000.sst") << "a half-written row";
  REQUIRE(discard_unfinished_rebuild(*f.log));
  CHECK_FALSE(std::filesystem::exists(tmp));
  REQUIRE(discard_unfinished_rebuild(*f.log));  // nothing to do
}
