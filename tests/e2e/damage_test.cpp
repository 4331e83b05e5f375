// End-to-end: one damaged record stays local and is reported (issue 10, items
// 6 and 7). With the server stopped, the data dir is opened with RocksDB and
// three leads are damaged: the very first event of the log fails FlatBuffers
// verification, another lead's newest event is changed (it still decodes),
// a third lead's newest event is deleted. Restarted, the server must serve
// every other lead, the queue and the feed, quarantine the damaged leads in
// their history (200, integrity broken, the first bad version), count the
// damage in /metrics and the admin report, stay ready, and honour wait_ms.
// The server rebuilds its views at start (their fingerprint is removed, as
// changed settings would), so the projection replays over the damage.
#include <chrono>
#include <string>
#include <thread>

#include "projections/runner.hpp"
#include "storage/event_log.hpp"
#include "tests/e2e/checks.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/tamper.hpp"

using namespace leadbase;
using namespace leadbase::e2e;

namespace {

rapidjson::Document get_json(http_client& c, const std::string& target, const char* token) {
  auto r = c.try_request("GET", target, {}, {bearer(token)});
  INFO(target << " -> " << r.status << " " << r.body.substr(0, 2000));
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

/// A signup that qualifies (a phone, a served country, a handle), so the lead is queued.
std::string queued_signup(const std::string& event_id, const std::string& lead) {
  return "{\"event_id\":\"" + event_id + "\",\"lead_id\":\"" + lead +
         "\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"email\":\"" + lead +
         "@exemplo.com.br\",\"name\":\"Ana Souza\",\"phone\":\"+5511912345678\",\"country\":\"BR\","
         "\"social\":{\"instagram\":\"anasouza\"}}";
}

/// The lead's history must be 200, broken, with `bad` as its first bad version.
/// An unreadable or missing event is an entry of its own (damaged_entry); a
/// changed one that still decodes is shown as it reads now.
void check_quarantined(http_client& c, const std::string& lead, long long bad, bool damaged_entry) {
  auto h = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  INFO("history of " << lead << ": " << to_json(h).substr(0, 3000));
  CHECK(str(h, "integrity") == "broken");
  CHECK(num(h, "first_bad_version") == bad);
  CHECK_FALSE(str(h, "integrity_problem").empty());
  bool marked = false;
  for (const auto& e : arr(h, "events").GetArray())
    if (num(e, "version") == bad && has(e, "damaged")) marked = !str(e, "error").empty();
  CHECK(marked == damaged_entry);
  auto replay = get_json(c, "/v1/leads/" + lead + "/replay", audit_token);
  CHECK(str(replay, "integrity") == "broken");
  CHECK(num(replay, "first_bad_version") == bad);
  auto as_of = get_json(c, "/v1/leads/" + lead + "/state?as_of=2100-01-01T00:00:00.000Z", audit_token);
  CHECK(str(as_of, "integrity") == "broken");
  CHECK(num(as_of, "first_bad_version") == bad);
}

} // namespace

TEST_CASE("a damaged stored event stays local: other leads, queue and feed serve, the lead's history says broken",
          "[e2e][damage]") {
  server_process srv;
  srv.start();
  const std::string bad = "u-dmg-first-" + unique_suffix(), changed = "u-dmg-changed-" + unique_suffix(),
                    deleted = "u-dmg-deleted-" + unique_suffix();
  std::vector<std::string> sound;
  for (int i = 0; i < 3; ++i) sound.push_back("u-dmg-ok" + std::to_string(i) + "-" + unique_suffix());
  {
    auto c = srv.client();
    int n = 0;
    for (const auto& lead : std::vector<std::string>{bad, changed, deleted, sound[0], sound[1], sound[2]}) {
      auto r = c.post_json("/v1/signups", queued_signup("sg-dmg-" + std::to_string(n++) + "-" + unique_suffix(), lead),
                           ingest_token);
      REQUIRE(r.status == 202);
    }
    for (const auto& lead : std::vector<std::string>{bad, changed, deleted, sound[0], sound[1], sound[2]})
      settle(c, lead);
  }
  REQUIRE(srv.stop() == 0);

  // Damage the stopped data dir with RocksDB directly.
  lead_version changed_last = 0, deleted_last = 0;
  global_position head = 0;
  {
    storage::log_options lo;
    lo.dir = srv.data_dir().string();
    auto log = storage::event_log::open(lo);
    REQUIRE(log);
    auto first = (*log)->read_global(0, 1);
    REQUIRE(first);
    REQUIRE(first->front().ev.meta.lead_id == bad);  // the very first event of the log
    test::corrupt_event(**log, bad, 1, test::unverifiable);
    auto changed_events = (*log)->read_stream(changed);
    REQUIRE(changed_events);
    changed_last = changed_events->back().ev.meta.version;
    const std::string id = changed_events->back().ev.meta.event_id;
    test::corrupt_event(**log, changed, changed_last,
                        [&](std::string b) { return test::tampered(std::move(b), id); });
    auto deleted_events = (*log)->read_stream(deleted);
    REQUIRE(deleted_events);
    deleted_last = deleted_events->back().ev.meta.version;
    test::delete_raw_event(**log, deleted, deleted_last);
    head = (*log)->last_position();
    // The views had applied these events before they were damaged; make the
    // server rebuild them at start (as changed priority settings do), so the
    // projection meets the damage as a replay or a fresh instance would.
    REQUIRE(test::raw_db(**log)->Delete(rocksdb::WriteOptions(), (*log)->cf(storage::key_space::meta), projections::fingerprint_key("lead_views")).ok());
  }
  srv.restart();
  auto c = srv.client(std::chrono::seconds(8));

  // Every other lead serves from the views, the queue is not empty.
  for (const auto& lead : sound) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.try_request("GET", "/v1/leads/" + lead + "?min_position=" + std::to_string(head) + "&wait_ms=3000", {},
                           {bearer(read_token)});
    INFO(lead << " -> " << r.status << " " << r.body.substr(0, 500) << "\nstderr:\n" << srv.stderr_text());
    CHECK(r.status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  }
  auto queue = get_json(c, "/v1/leads?limit=50", read_token);
  CHECK(arr(queue, "items").Size() >= 3);

  // The feed answers and marks the damaged event where it stands.
  auto feed = get_json(c, "/v1/feed?after=0&limit=1000", audit_token);
  const auto& events = arr(feed, "events");
  REQUIRE(events.Size() >= 6);
  CHECK(num(events[0], "position") == 1);
  CHECK(member(events[0], "damaged") != nullptr);
  CHECK(str(events[0], "lead_id") == bad);
  CHECK(num(feed, "next_after") == static_cast<long long>(head));

  // The damaged leads are quarantined: 200, broken, the first bad version.
  check_quarantined(c, bad, 1, true);
  check_quarantined(c, changed, static_cast<long long>(changed_last), false);
  check_quarantined(c, deleted, static_cast<long long>(deleted_last), true);
  auto sound_history = get_json(c, "/v1/leads/" + sound[0] + "/history", audit_token);
  CHECK(str(sound_history, "integrity") == "verified");

  // Reported: admin, metrics; readiness stays green (the rest serves). The
  // records describe the projection that serves: the start-up rebuild's, once
  // it swapped in (until then the old one serves, built before the damage).
  rapidjson::Document admin;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
    admin = get_json(c, "/v1/admin/projections", admin_token);
    if (str(arr(admin, "projections")[0], "state") != "rebuilding") break;
    INFO("admin: " << to_json(admin));
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto& views = arr(admin, "projections")[0];
  INFO("admin: " << to_json(admin));
  CHECK(num(views, "damaged_events") == 2);  // the unreadable first event, the deleted one
  REQUIRE(arr(views, "damaged").Size() == 2);
  CHECK(num(arr(views, "damaged")[0], "position") == 1);
  CHECK(str(arr(views, "damaged")[0], "lead_id") == bad);
  auto metrics = c.get("/metrics", admin_token);
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("leadbase_damaged_events{projection=\"lead_views\"} 2\n") != std::string::npos);
  CHECK(metrics.body.find("# TYPE leadbase_damaged_events gauge\n") != std::string::npos);  // recorded now: a rebuild may lower it
  CHECK(c.get("/readyz").status == 200);

  // wait_ms is honoured for a position the log has not reached.
  const auto t0 = std::chrono::steady_clock::now();
  auto late = c.get("/v1/leads/" + sound[0] + "?min_position=" + std::to_string(head + 1000) + "&wait_ms=300",
                    read_token);
  CHECK(late.status == 503);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));

  // New signups are projected past the damage.
  const std::string fresh = "u-dmg-new-" + unique_suffix();
  auto r = c.post_json("/v1/signups", signup_body("sg-dmg-new-" + unique_suffix(), fresh), ingest_token);
  REQUIRE(r.status == 202);
  auto pos = num(parse_json(r.body), "position");
  CHECK(c.get("/v1/leads/" + fresh + "?min_position=" + std::to_string(pos) + "&wait_ms=3000", read_token).status ==
        200);

  // Offline verify still names the damage and exits non-zero.
  REQUIRE(srv.stop() == 0);
  auto verify = run_leadbase({"verify", "--data", srv.data_dir().string()});
  INFO("verify: " << verify.out << verify.err);
  CHECK(verify.exit_code == 1);
  CHECK(verify.err.find(bad) != std::string::npos);
  CHECK(verify.err.find(changed) != std::string::npos);
  CHECK(verify.err.find(deleted) != std::string::npos);
}
