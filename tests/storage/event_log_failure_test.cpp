// The event log on a disk that fails: a failed write acknowledges nothing and
// is reported (write_failure) while it lasts; once the disk works again the
// log writes again on its own, without a restart, and holds exactly what was
// acknowledged, also when reopened. The change of state is logged once each
// way with the count. Readiness and /metrics report it; readiness without a
// token names the kind of trouble only, GET /v1/admin/status the details.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <chrono>
#include <thread>

#include "events/logging.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "storage/event_log.hpp"
#include "tests/http/test_client.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/failing_disk.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using fault = test::failing_disk::fault;

namespace {

/// A new lead's signup: how its append went.
errc append_one(test::log_fixture& f, const std::string& lead) {
  return f.try_append(lead, {test::sample_signup()}).code;
}

bool has_events(const storage::event_log& log, const std::string& lead) {
  auto events = log.read_stream(lead);
  return events && !events->empty();
}

/// Reopens the fixture's log on `env` with sync on (acknowledged = on disk), as serve runs it.
void reopen_synced(test::log_fixture& f, std::shared_ptr<rocksdb::Env> env) {
  f.close();
  f.env = env;
  storage::log_options o;
  o.dir = f.dir.str();
  o.sync = true;
  o.env = std::move(env);
  auto opened = storage::event_log::open(o);
  REQUIRE(opened);
  f.log = std::move(*opened);
}

/// Waits until the log can write again (its recovery runs in the background).
bool becomes_writable(const storage::event_log& log) {
  for (int i = 0; i < 2000 && log.write_failure(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !log.write_failure();
}

/// The lead of every event, in global order, with positions checked to be 1, 2, ...
std::vector<std::string> leads_in_order(const storage::event_log& log) {
  auto events = log.read_global(0, 1000);
  REQUIRE(events);
  std::vector<std::string> out;
  for (const auto& e : *events) {
    CHECK(e.ev.meta.position == out.size() + 1);
    out.push_back(e.ev.meta.lead_id);
  }
  return out;
}

/// The lines a logger writes while it lives (attach before the log that logs
/// is opened and detach after it is closed: spdlog's sink list is not thread-safe).
struct captured_log {
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  explicit captured_log(const std::string& name) : logger(module_logger(name)) { logger->sinks().push_back(sink); }
  ~captured_log() {
    auto& sinks = logger->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  }
  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (const auto& line : sink->last_formatted())
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }
};

} // namespace

TEST_CASE("after a write failure the log writes again once the disk works, without a restart, and holds exactly "
          "what was acknowledged",
          "[storage][failure]") {
  struct scenario {
    const char* name;
    fault kind;
    bool syncs_only;
  };
  for (const scenario sc : {scenario{"a broken disk (I/O errors)", fault::broken, false},
                            scenario{"a full disk (ENOSPC)", fault::full, false},
                            scenario{"appends reach the WAL, its sync fails", fault::broken, true}}) {
    INFO(sc.name);
    test::failing_disk disk;  // outlives the log
    test::log_fixture f(disk.env());
    reopen_synced(f, disk.env());
    REQUIRE(append_one(f, "ok-1") == errc::success);
    CHECK_FALSE(f.log->write_failure());

    disk.fail(true, sc.kind, sc.syncs_only);
    for (int i = 0; i < 5; ++i) CHECK(append_one(f, "lost-" + std::to_string(i)) == errc::storage_failure);
    REQUIRE(f.log->write_failure());
    CHECK(f.log->write_failure()->find("injected") != std::string::npos);
    CHECK(f.log->write_status().failed_writes == 5);
    CHECK(f.log->last_position() == 1);
    CHECK_FALSE(has_events(*f.log, "lost-0"));
    CHECK(has_events(*f.log, "ok-1"));  // reads go on

    // The disk works again: the log resumes by itself.
    disk.fail(false);
    REQUIRE(becomes_writable(*f.log));
    const storage::write_health h = f.log->write_status();
    CHECK(h.recoveries == 1);
    CHECK(h.recovered_at.has_value());
    CHECK(h.recovered_after_failed_writes == 5);
    CHECK(h.recovered_from.find("injected") != std::string::npos);
    REQUIRE(append_one(f, "ok-2") == errc::success);
    CHECK(leads_in_order(*f.log) == std::vector<std::string>{"ok-1", "ok-2"});  // no gap where the failures were

    // Reopened, nothing the failed writes left in a WAL comes back.
    reopen_synced(f, nullptr);
    CHECK_FALSE(f.log->write_failure());
    CHECK(leads_in_order(*f.log) == std::vector<std::string>{"ok-1", "ok-2"});
    for (int i = 0; i < 5; ++i) CHECK_FALSE(has_events(*f.log, "lost-" + std::to_string(i)));
    REQUIRE(append_one(f, "ok-3") == errc::success);
    CHECK(f.log->last_position() == 3);
  }
}

TEST_CASE("a failing log logs once when writes start failing and once, with the count, when they succeed again",
          "[storage][failure]") {
  captured_log storage_log("storage");
  {
    test::failing_disk disk;
    test::log_fixture f(disk.env());
    REQUIRE(append_one(f, "ok-1") == errc::success);
    disk.fail(true, fault::full);
    for (int i = 0; i < 50; ++i) REQUIRE(append_one(f, "lost-" + std::to_string(i)) == errc::storage_failure);
    CHECK(storage_log.count("cannot write") == 1);
    disk.fail(false);
    REQUIRE(becomes_writable(*f.log));
    REQUIRE(append_one(f, "ok-2") == errc::success);
    CHECK(storage_log.count("cannot write") == 1);
    CHECK(storage_log.count("writable again after 50 failed writes") == 1);
    f.close();
  }
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
  REQUIRE(becomes_writable(*f.log));
  CHECK(http::projections_readiness(ctx).ready);
  CHECK(http::render_metrics(ctx).find("leadbase_log_writable 1\n") != std::string::npos);
}

TEST_CASE("/readyz without a token names the trouble but no path or storage error; /v1/admin/status has the details",
          "[storage][failure][ops]") {
  test::failing_disk disk;
  test::log_fixture f(disk.env());
  http::api_context ctx;
  ctx.log = f.log.get();
  const char* admin_token = "tok-admin-0123456789";
  const char* read_token = "tok-read-0123456789";
  auto tokens = http::token_table::from_entries({{"admin", admin_token, {"admin"}}, {"sdr", read_token, {"read"}}});
  REQUIRE(tokens);
  http::server_options o;
  o.handle_signals = false;
  o.ready_check = [&ctx] { return http::projections_readiness(ctx); };
  http::server srv(o, http::make_api_router(ctx), std::move(*tokens));
  REQUIRE(srv.start().ok());
  const auto bearer = [](const char* t) {
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", std::string("Bearer ") + t}};
  };

  disk.fail(true);
  REQUIRE(append_one(f, "lost-1") == errc::storage_failure);
  const std::string error_text = *f.log->write_failure();  // RocksDB's: "IO error: injected: ..."

  http::test::test_client c(srv.port());
  auto ready = c.request("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("the event log cannot write") != std::string::npos);
  CHECK(ready.body.find("injected") == std::string::npos);
  CHECK(ready.body.find("IO error") == std::string::npos);
  CHECK(ready.body.find(f.dir.str()) == std::string::npos);

  CHECK(c.request("GET", "/v1/admin/status").status == 401);
  CHECK(c.request("GET", "/v1/admin/status", {}, bearer(read_token)).status == 403);
  auto status = c.request("GET", "/v1/admin/status", {}, bearer(admin_token));
  REQUIRE(status.status == 200);
  rapidjson::Document doc;
  doc.Parse(status.body.c_str());
  REQUIRE(doc.IsObject());
  CHECK_FALSE(doc["ready"].GetBool());
  CHECK(std::string(doc["not_ready"].GetString()).find("cannot write") != std::string::npos);
  const auto& log = doc["event_log"];
  CHECK_FALSE(log["writable"].GetBool());
  CHECK(std::string(log["write_error"].GetString()) == error_text);
  CHECK(log["failed_writes"].GetUint64() == 1);
  CHECK(log.HasMember("failing_since"));
  CHECK(log["recoveries"].GetUint64() == 0);

  disk.fail(false);
  REQUIRE(becomes_writable(*f.log));
  CHECK(c.request("GET", "/readyz").status == 200);
  status = c.request("GET", "/v1/admin/status", {}, bearer(admin_token));
  REQUIRE(status.status == 200);
  doc.Parse(status.body.c_str());
  CHECK(doc["ready"].GetBool());
  CHECK(doc["event_log"]["writable"].GetBool());
  CHECK_FALSE(doc["event_log"].HasMember("write_error"));
  CHECK(doc["event_log"]["recoveries"].GetUint64() == 1);
  CHECK(doc["event_log"]["last_recovery"]["after_failed_writes"].GetUint64() == 1);
  CHECK(std::string(doc["event_log"]["last_recovery"]["write_error"].GetString()) == error_text);
  srv.stop();
}

TEST_CASE("a WAL write that fails while no memtable holds data is refused without aborting and reported as needing "
          "a restart",
          "[storage][failure]") {
  // RocksDB 7.8 resumes such a failure on the WAL that failed, and its next
  // write would abort the process (assertion sync_without_flush_called_).
  test::failing_disk disk;
  test::log_fixture f(disk.env());
  REQUIRE(append_one(f, "ok-1") == errc::success);
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (storage::key_space space : storage::all_key_spaces) all.push_back(f.log->cf(space));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  REQUIRE(test::raw_db(*f.log)->Flush(fo, all).ok());  // every memtable empty, as after an erasure's flush

  disk.fail(true);
  CHECK(append_one(f, "lost-1") == errc::storage_failure);
  disk.fail(false);
  for (int i = 0; i < 300 && !f.log->write_status().restart_needed; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(f.log->write_status().restart_needed);
  CHECK(append_one(f, "lost-2") == errc::storage_failure);  // refused, and the process is still here
  CHECK(f.log->write_failure());

  f.close();
  f.env = nullptr;
  f.open();  // the restart
  CHECK_FALSE(f.log->write_failure());
  CHECK(leads_in_order(*f.log) == std::vector<std::string>{"ok-1"});
  REQUIRE(append_one(f, "ok-2") == errc::success);
  CHECK(f.log->last_position() == 2);
}

TEST_CASE("an event-id index that cannot be read fails the append as a storage failure (500), not as an id already "
          "used (409)",
          "[storage][failure]") {
  test::failing_disk disk;
  test::log_fixture f(disk.env());
  REQUIRE(append_one(f, "a") == errc::success);  // its signup's event id: "a-e1"
  rocksdb::FlushOptions fo;
  fo.wait = true;
  // Only the index goes to a table file: the heads stay in the memtable, so the
  // append below reads nothing from disk but the index entry it looks up.
  REQUIRE(test::raw_db(*f.log)->Flush(fo, f.log->cf(storage::key_space::event_ids)).ok());

  storage::append_request r;
  r.lead_id = "b";
  r.key = storage::make_data_key();
  r.new_key = true;
  r.events.push_back(test::make_event("b", "a-e1", test::sample_signup()));
  std::vector<storage::append_request> batch{r};
  disk.fail_reads(true);
  auto results = f.log->append_batch(batch, now_millis());
  auto found = f.log->find_event_id("a-e1");
  disk.fail_reads(false);
  REQUIRE(results.size() == 1);
  CHECK(results[0].code == errc::storage_failure);
  CHECK(results[0].message.find("is already used") == std::string::npos);
  CHECK_FALSE(found);
  CHECK_FALSE(has_events(*f.log, "b"));
}
