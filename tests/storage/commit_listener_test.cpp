// event_log::set_commit_listener: called after each successful append_batch
// write with the new last position, not for a batch that wrote nothing; and a
// projection runner woken by it applies new events without waiting for its poll.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;

TEST_CASE("commit listener: called with the new last position after each write", "[storage][commit]") {
  test::log_fixture f;
  std::vector<global_position> seen;
  f.log->set_commit_listener([&seen](global_position p) { seen.push_back(p); });
  const auto p1 = f.append_lead(test::spec("u-1"));
  const auto p2 = f.append_lead(test::spec("u-2"));
  REQUIRE(seen == std::vector<global_position>{p1, p2});
  CHECK(p2 == f.log->last_position());

  // A batch whose only request fails (stale expected version) writes nothing: no call.
  storage::append_request r;
  r.lead_id = "u-1";
  r.expected_version = 99;
  r.key = f.keys.at("u-1");
  r.events.push_back(test::make_event("u-1", "stale-1", test::sample_qualified()));
  std::vector<storage::append_request> reqs;
  reqs.push_back(std::move(r));
  auto res = f.log->append_batch(reqs, 1764331300000);
  REQUIRE(res.size() == 1);
  CHECK(res[0].code == errc::conflict);
  CHECK(seen.size() == 2);

  f.log->set_commit_listener({});  // removed
  f.append_lead(test::spec("u-3"));
  CHECK(seen.size() == 2);
}

TEST_CASE("commit listener: wakes a projection runner before its poll", "[storage][commit]") {
  test::log_fixture f;
  projections::lead_views views(*f.log, {});
  projections::runner_options o;
  o.idle_poll = std::chrono::seconds(30);  // the fallback poll would be far too late
  auto runner = projections::projection_runner::open(*f.log, views, o);
  REQUIRE(runner);
  REQUIRE((*runner)->start());
  // Give the thread time to go idle (it applies nothing: the log is empty).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto* rp = runner->get();
  f.log->set_commit_listener([rp](global_position) { rp->notify(); });
  const auto pos = f.append_lead(test::spec("u-1"));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK((*runner)->wait_for(pos, std::chrono::seconds(5)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  f.log->set_commit_listener({});
  (*runner)->stop();
}
