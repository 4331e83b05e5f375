// The event log on a disk that fails: a failed write acknowledges nothing and
// is reported (write_failure) while RocksDB refuses writes; reopened on a
// working disk, the log holds exactly what was acknowledged and goes on
// without a gap. Then readiness and /metrics report it.
#include <catch2/catch.hpp>

#include "http/api.hpp"
#include "http/server.hpp"
#include "storage/event_log.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/failing_disk.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;

namespace {

/// A new lead's signup: how its append went.
errc append_one(test::log_fixture& f, const std::string& lead) {
  return f.try_append(lead, {test::sample_signup()}).code;
}

bool has_events(const storage::event_log& log, const std::string& lead) {
  auto events = log.read_stream(lead);
  return events && !events->empty();
}

} // namespace

TEST_CASE("a write the disk fails acknowledges nothing, is reported, and the log reopened keeps what was acknowledged",
          "[storage][failure]") {
  test::failing_disk disk;  // outlives the log
  test::log_fixture f(disk.env());
  REQUIRE(append_one(f, "ok-1") == errc::success);
  CHECK_FALSE(f.log->write_failure());
  const auto head = f.log->last_position();

  disk.fail(true);
  CHECK(append_one(f, "lost-1") == errc::storage_failure);
  REQUIRE(f.log->write_failure());
  CHECK(f.log->write_failure()->find("injected") != std::string::npos);
  CHECK(f.log->last_position() == head);
  CHECK_FALSE(has_events(*f.log, "lost-1"));

  // The disk works again, but RocksDB cannot know what reached it: it
  // refuses writes until the database is opened again.
  disk.fail(false);
  CHECK(append_one(f, "lost-2") == errc::storage_failure);
  CHECK(f.log->write_failure());
  CHECK(has_events(*f.log, "ok-1"));  // reads go on

  f.close();
  f.env = nullptr;  // a working disk
  f.open();
  CHECK_FALSE(f.log->write_failure());
  CHECK(has_events(*f.log, "ok-1"));
  CHECK_FALSE(has_events(*f.log, "lost-1"));
  CHECK_FALSE(has_events(*f.log, "lost-2"));
  REQUIRE(append_one(f, "ok-2") == errc::success);
  CHECK(f.log->last_position() == head + 1);  // no gap where the failed writes were
  auto next = f.log->read_global(head, 1);  // the events after `head`
  REQUIRE(next);
  REQUIRE(next->size() == 1);
  CHECK((*next)[0].ev.meta.lead_id == "ok-2");
}

TEST_CASE("readiness and /metrics report an event log that cannot write", "[storage][failure][ops]") {
  test::failing_disk disk;
  test::log_fixture f(disk.env());
  http::api_context ctx;
  ctx.log = f.log.get();
  REQUIRE(http::projections_readiness(ctx).ready);
  CHECK(http::render_metrics(ctx).find("leadbase_log_writable 1\n") != std::string::npos);

  disk.fail(true);
  REQUIRE(append_one(f, "lost-1") == errc::storage_failure);
  const auto r = http::projections_readiness(ctx);
  CHECK_FALSE(r.ready);
  CHECK(r.detail.find("cannot write") != std::string::npos);
  CHECK(http::render_metrics(ctx).find("leadbase_log_writable 0\n") != std::string::npos);
  disk.fail(false);
}
