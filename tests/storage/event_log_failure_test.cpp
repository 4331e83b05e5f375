// The event log on a disk that fails: a failed write acknowledges nothing and
// is reported (write_failure) while RocksDB refuses writes; reopened on a
// working disk, the log holds exactly what was acknowledged and goes on
// without a gap. Then readiness and /metrics report it.
#include <catch2/catch.hpp>

#include "http/api.hpp"
#include "http/server.hpp"
#include "storage/event_log.hpp"
#include "tests/support/failing_disk.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using namespace leadbase::storage;
using leadbase::test::make_event;

namespace {

std::unique_ptr<event_log> open_log(const std::string& dir, std::shared_ptr<rocksdb::Env> env = nullptr) {
  log_options o;
  o.dir = dir;
  o.sync = true;
  o.env = std::move(env);
  auto log = event_log::open(o);
  REQUIRE(log);
  return std::move(*log);
}

/// A new lead's signup, as one request.
std::vector<append_request> signup_of(const std::string& lead) {
  append_request r;
  r.lead_id = lead;
  r.key = make_data_key();
  r.new_key = true;
  r.events.push_back(make_event(lead, "signup-" + lead, test::sample_signup()));
  std::vector<append_request> out;
  out.push_back(std::move(r));
  return out;
}

errc append_one(event_log& log, const std::string& lead) {
  auto requests = signup_of(lead);
  auto results = log.append_batch(requests, 1764331200000);
  REQUIRE(results.size() == 1);
  return results[0].code;
}

bool has_events(event_log& log, const std::string& lead) {
  auto events = log.read_stream(lead);
  return events && !events->empty();
}

} // namespace

TEST_CASE("a write the disk fails acknowledges nothing, is reported, and the log reopened keeps what was acknowledged",
          "[storage][failure]") {
  test::temp_dir dir;
  test::failing_disk disk;  // outlives the log
  {
    auto log = open_log(dir.str(), disk.env());
    REQUIRE(append_one(*log, "ok-1") == errc::success);
    CHECK_FALSE(log->write_failure());
    const auto head = log->last_position();

    disk.fail(true);
    CHECK(append_one(*log, "lost-1") == errc::storage_failure);
    REQUIRE(log->write_failure());
    CHECK(log->write_failure()->find("injected") != std::string::npos);
    CHECK(log->last_position() == head);
    CHECK_FALSE(has_events(*log, "lost-1"));

    // The disk works again, but RocksDB cannot know what reached it: it
    // refuses writes until the database is opened again.
    disk.fail(false);
    CHECK(append_one(*log, "lost-2") == errc::storage_failure);
    CHECK(log->write_failure());
    CHECK(has_events(*log, "ok-1"));  // reads go on
  }
  auto log = open_log(dir.str());
  CHECK_FALSE(log->write_failure());
  CHECK(has_events(*log, "ok-1"));
  CHECK_FALSE(has_events(*log, "lost-1"));
  CHECK_FALSE(has_events(*log, "lost-2"));
  const auto head = log->last_position();
  REQUIRE(append_one(*log, "ok-2") == errc::success);
  CHECK(log->last_position() == head + 1);  // no gap where the failed writes were
  auto next = log->read_global(head, 1);  // the events after `head`
  REQUIRE(next);
  REQUIRE(next->size() == 1);
  CHECK((*next)[0].ev.meta.lead_id == "ok-2");
}

TEST_CASE("readiness and /metrics report an event log that cannot write", "[storage][failure][ops]") {
  test::temp_dir dir;
  test::failing_disk disk;
  auto log = open_log(dir.str(), disk.env());
  http::api_context ctx;
  ctx.log = log.get();
  REQUIRE(http::projections_readiness(ctx).ready);
  CHECK(http::render_metrics(ctx).find("leadbase_log_writable 1\n") != std::string::npos);

  disk.fail(true);
  REQUIRE(append_one(*log, "lost-1") == errc::storage_failure);
  const auto r = http::projections_readiness(ctx);
  CHECK_FALSE(r.ready);
  CHECK(r.detail.find("cannot write") != std::string::npos);
  CHECK(http::render_metrics(ctx).find("leadbase_log_writable 0\n") != std::string::npos);
  disk.fail(false);
}
