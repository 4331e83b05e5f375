// The projection runner: exactly-once application across a simulated crash
// (a page dropped before its commit, the store reopened), rebuild equal to the
// incremental run, lag reporting, waiting for a position, online rebuild.
#include "projections/runner.hpp"

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <chrono>
#include <thread>

#include "events/snapshot.hpp"
#include "projections/lead_views.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"

using namespace leadbase;
using namespace leadbase::projections;
using leadbase::test::lead_spec;

namespace {

/// Interleaved histories of `n` leads: signups, qualification, enrichments, some
/// failures, one erasure; several requests per lead so pages cut through leads.
void write_history(test::log_fixture& f, int n, const std::string& prefix = "u-") {
  for (int i = 0; i < n; ++i) {
    lead_spec s;
    s.id = prefix + std::to_string(i);
    s.name = "Lead " + std::to_string(i);
    s.email = "lead" + std::to_string(i) + "@example.com";
    s.instagram = "lead" + std::to_string(i);
    s.signed_up_at = 1764331200000 + i * 1000;
    s.disqualify = i % 7 == 3;
    f.append_lead(s);
  }
  for (int i = 0; i < n; ++i) {
    const std::string id = prefix + std::to_string(i);
    if (i % 7 == 3) continue;
    enriched x = test::sample_enriched(1000 * (i + 1));
    x.handle = "lead" + std::to_string(i);
    f.append(id, {x});
    if (i % 5 == 0) f.append(id, {test::sample_failure(true, 1)});
    if (i % 11 == 4) f.append(id, {erased{"request", "dpo"}});
  }
}

/// Every row equals a fresh fold of the lead's stream from the log.
void require_rows_match_fold(test::log_fixture& f, lead_views& views) {
  for (const auto& id : f.lead_ids()) {
    auto row = views.get(id);
    REQUIRE(row);
    REQUIRE(*row);
    INFO("lead " << id);
    CHECK(encode_snapshot(**row) == encode_snapshot(f.fold_lead(id)));
  }
}

/// Every key and value of the views and index families.
std::map<std::string, std::string> dump(storage::event_log& log) {
  std::map<std::string, std::string> out;
  for (storage::key_space space : {storage::key_space::views, storage::key_space::index}) {
    std::unique_ptr<rocksdb::Iterator> it(test::raw_db(log)->NewIterator(rocksdb::ReadOptions(), log.cf(space)));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out.emplace(std::string(storage::family_name(space)) + ":" + it->key().ToString(), it->value().ToString());
    REQUIRE(it->status().ok());
  }
  return out;
}

/// A projection that "crashes" before the page ending at or after `crash_at`
/// is committed: its apply fails, so the runner drops the page's batch (rows
/// and checkpoint together), as a crash between apply and commit would.
class crashing_projection final : public projection {
 public:
  crashing_projection(projection& inner, global_position crash_at) : inner_(inner), crash_at_(crash_at) {}
  std::string name() const override { return inner_.name(); }
  std::string fingerprint() const override { return inner_.fingerprint(); }
  status apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) override {
    if (auto s = inner_.apply(events, batch); !s) return s;
    if (events.empty() || events.back().ev.meta.position < crash_at_) return ok();
    crashed = true;
    return error{errc::internal, "simulated crash before the commit"};
  }
  status clear(rocksdb::WriteBatch& batch) override { return inner_.clear(batch); }
  void committed() override { inner_.committed(); }
  bool crashed = false;

 private:
  projection& inner_;
  global_position crash_at_;
};

} // namespace

TEST_CASE("the runner applies every event exactly once across a crash during a page", "[projections]") {
  test::log_fixture f;
  write_history(f, 40);
  const global_position head = f.log->last_position();
  REQUIRE(head > 100);

  for (global_position crash_at : {global_position{1}, global_position{37}, global_position{head / 2}, head}) {
    INFO("crash before committing the page that ends at or after " << crash_at);
    {
      lead_views views(*f.log, {});
      crashing_projection crashing(views, crash_at);
      runner_options o;
      o.page_size = 9;
      auto r = projection_runner::open(*f.log, crashing, o);
      REQUIRE(r);
      // From position 0 on an empty store; the simulated crash stops it part-way.
      auto s = (*r)->rebuild_offline();
      CHECK_FALSE(s);
      CHECK(crashing.crashed);
      CHECK((*r)->position() < crash_at);
    }
    // "Restart": close and reopen the store, continue from the checkpoint.
    f.close();
    f.open();
    lead_views views(*f.log, {});
    runner_options o;
    o.page_size = 13;  // other page boundaries after the restart
    auto r = projection_runner::open(*f.log, views, o);
    REQUIRE(r);
    CHECK((*r)->position() < crash_at);
    REQUIRE((*r)->catch_up());
    CHECK((*r)->position() == head);
    require_rows_match_fold(f, views);
  }
}

TEST_CASE("a runner on its thread catches up, survives a restart and keeps up with new events", "[projections]") {
  test::log_fixture f;
  write_history(f, 25);
  {
    lead_views views(*f.log, {});
    auto r = projection_runner::open(*f.log, views, {});
    REQUIRE(r);
    REQUIRE((*r)->start());
    REQUIRE((*r)->wait_for(f.log->last_position()));
    (*r)->stop();
    CHECK((*r)->info().state == runner_state::stopped);
  }
  write_history(f, 10, "w-");  // written while no runner runs
  lead_views views(*f.log, {});
  auto r = projection_runner::open(*f.log, views, {});
  REQUIRE(r);
  REQUIRE((*r)->start());
  auto pos = f.append_lead(test::spec("late-1"));
  (*r)->notify();
  REQUIRE((*r)->wait_for(pos));
  require_rows_match_fold(f, views);

  // when_reached: answered true once applied, false when the position never comes.
  bool answered = false, reached = false;
  std::mutex m;
  std::condition_variable cv;
  (*r)->when_reached(f.log->last_position() + 1000, std::chrono::milliseconds(20), [&](bool ok) {
    std::lock_guard<std::mutex> lock(m);
    answered = true;
    reached = ok;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return answered; });
  }
  CHECK_FALSE(reached);
  CHECK_FALSE((*r)->wait_for(f.log->last_position() + 1000, std::chrono::milliseconds(10)));
  (*r)->stop();
}

TEST_CASE("a rebuild from position 0 equals the incremental run", "[projections]") {
  test::log_fixture f;
  lead_views views(*f.log, {});
  runner_options o;
  o.page_size = 5;
  auto r = projection_runner::open(*f.log, views, o);
  REQUIRE(r);
  // Incremental: the log grows between catch-ups.
  for (int round = 0; round < 4; ++round) {
    write_history(f, 8, "r" + std::to_string(round) + "-");
    REQUIRE((*r)->step());
    REQUIRE((*r)->catch_up());
  }
  REQUIRE((*r)->position() == f.log->last_position());
  auto incremental = dump(*f.log);
  REQUIRE_FALSE(incremental.empty());

  std::vector<std::pair<global_position, global_position>> progress;
  REQUIRE((*r)->rebuild_offline([&](global_position p, global_position h) { progress.emplace_back(p, h); }));
  CHECK(dump(*f.log) == incremental);
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.front().first == 0);
  CHECK(progress.back().first == progress.back().second);
  for (size_t i = 1; i < progress.size(); ++i) CHECK(progress[i].first > progress[i - 1].first);

  // Online, on the thread.
  REQUIRE((*r)->start());
  (*r)->rebuild();
  REQUIRE((*r)->wait_for(f.log->last_position()));
  for (int i = 0; i < 1000 && (*r)->info().state != runner_state::running; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  (*r)->stop();
  CHECK(dump(*f.log) == incremental);
  require_rows_match_fold(f, views);
}

TEST_CASE("the runner reports position, head, lag and progress", "[projections]") {
  test::log_fixture f;
  lead_views views(*f.log, {});
  runner_options o;
  o.page_size = 10;
  auto r = projection_runner::open(*f.log, views, o);
  REQUIRE(r);

  auto empty = (*r)->info();
  CHECK(empty.name == "lead_views");
  CHECK(empty.position == 0);
  CHECK(empty.head == 0);
  CHECK(empty.lag_events == 0);
  CHECK(empty.lag_seconds == 0);
  CHECK(empty.progress == 1.0);
  CHECK(empty.state == runner_state::stopped);

  for (int i = 0; i < 12; ++i) f.append_lead(test::spec("lag-" + std::to_string(i)));
  const global_position head = f.log->last_position();
  REQUIRE(head > 20);
  auto behind = (*r)->info();
  CHECK(behind.head == head);
  CHECK(behind.lag_events == head);
  CHECK(behind.lag_seconds > 0);  // the events were recorded in 2025
  CHECK(behind.progress == 0.0);

  REQUIRE((*r)->step());
  auto part = (*r)->info();
  CHECK(part.position == 10);
  CHECK(part.lag_events == head - 10);
  CHECK(part.lag_seconds > 0);
  CHECK(part.progress == Approx(10.0 / static_cast<double>(head)));

  REQUIRE((*r)->catch_up());
  auto done = (*r)->info();
  CHECK(done.position == head);
  CHECK(done.lag_events == 0);
  CHECK(done.lag_seconds == 0);
  CHECK(done.progress == 1.0);

  // The checkpoint survives a reopen.
  r->reset();
  auto again = projection_runner::open(*f.log, views, o);
  REQUIRE(again);
  CHECK((*again)->position() == head);
}

namespace {

/// Records, at each committed(), the position the runner published then and
/// the last position of the page just written.
class watching_projection final : public projection {
 public:
  explicit watching_projection(projection& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  std::string fingerprint() const override { return inner_.fingerprint(); }
  status apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) override {
    if (!events.empty()) page_last = events.back().ev.meta.position;
    return inner_.apply(events, batch);
  }
  status clear(rocksdb::WriteBatch& batch) override { return inner_.clear(batch); }
  void committed() override {
    seen.emplace_back(runner ? runner->position() : global_position{0}, page_last);
    inner_.committed();
  }
  projection_runner* runner = nullptr;
  global_position page_last = 0;
  std::vector<std::pair<global_position, global_position>> seen;  // (published, page's last)

 private:
  projection& inner_;
};

} // namespace

TEST_CASE("a page's in-memory part (the claim hint) is in place before the runner publishes its position",
          "[projections][work]") {
  // A reader that waited for position P (min_position) and then asks "claim
  // next" must find a lead released at P: the claim hint is raised in
  // committed(), so that runs before position() says P.
  test::log_fixture f;
  write_history(f, 12);
  lead_views views(*f.log, {});
  watching_projection watching(views);
  runner_options o;
  o.page_size = 5;
  auto r = projection_runner::open(*f.log, watching, o);
  REQUIRE(r);
  watching.runner = r->get();
  REQUIRE((*r)->catch_up());
  REQUIRE_FALSE(watching.seen.empty());
  for (const auto& [published, page_last] : watching.seen) {
    INFO("page ending at " << page_last);
    CHECK(published < page_last);
  }
}
