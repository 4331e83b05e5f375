// End-to-end: POST /v1/admin/projections/rebuild while the service serves
// (docs/http-api.md "Operations"): every lead keeps reading 200 and the queue keeps
// walking whole while the new projection is built; it is then in place.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;

namespace {

/// A batch item for POST /v1/events: a signup of `lead`.
std::string signup_item(const std::string& lead, int i) {
  return "{\"event_id\":\"" + lead + "-s\",\"lead_id\":\"" + lead +
         "\",\"type\":\"signed_up\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"data\":{\"email\":\"" + lead +
         "@example.com\",\"name\":\"Rebuild Person " + std::to_string(i) +
         "\",\"phone\":\"+5511912345678\",\"country\":\"BR\",\"social\":{\"tiktok\":\"rb" + std::to_string(i) +
         "\"}}}";
}

/// Every lead id of a cursor walk of the queue (pages of 500); 0 pages = failed.
std::vector<std::string> walk_queue(http_client& c) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto r = c.get("/v1/leads?limit=500" + (cursor.empty() ? std::string() : "&cursor=" + cursor), read_token);
    REQUIRE(r.status == 200);
    auto doc = parse_json(r.body);
    for (const auto& item : arr(doc, "items").GetArray()) ids.push_back(str(item, "lead_id"));
    if (is_null(doc, "next_cursor")) break;
    cursor = str(doc, "next_cursor");
  }
  return ids;
}

std::string projection_state(http_client& c) {
  auto r = c.get("/v1/admin/projections", admin_token);
  REQUIRE(r.status == 200);
  auto doc = parse_json(r.body);
  const auto& list = arr(doc, "projections");
  REQUIRE(list.Size() == 2);  // lead_views, stats: "rebuilding" while either is
  CHECK(str(list[0], "name") == "lead_views");
  CHECK(str(list[1], "name") == "stats");
  for (const auto& p : list.GetArray())
    if (str(p, "state") != "running") return str(p, "state");
  return "running";
}

} // namespace

TEST_CASE("POST /v1/admin/projections/rebuild: every lead reads 200 and the queue walks whole until the switch",
          "[e2e][rebuild]") {
  server_process s;
  s.start();
  auto c = s.client();
  const std::string run = unique_suffix();
  std::vector<std::string> leads;
  long long last_position = 0;
  for (int batch = 0; batch < 8; ++batch) {
    std::string body = "[";
    for (int i = 0; i < 500; ++i) {
      const int n = batch * 500 + i;
      leads.push_back("rb" + run + "-" + std::to_string(n));
      body += (i ? "," : "") + signup_item(leads.back(), n);
    }
    body += "]";
    auto r = c.post_json("/v1/events", body, ingest_token);
    REQUIRE(r.status == 200);
    auto doc = parse_json(r.body);
    for (const auto& item : arr(doc, "results").GetArray()) {
      REQUIRE(str(item, "status") == "accepted");
      last_position = std::max(last_position, num(item, "position"));
    }
  }
  // Every lead in the views (and qualified: the actors append that), then quiet.
  REQUIRE(c.get("/v1/leads/" + leads.back() + "?min_position=" + std::to_string(last_position) + "&wait_ms=10000",
                read_token)
              .status == 200);
  std::set<std::string> queued;
  for (int tries = 0; tries < 100; ++tries) {  // until the qualifications are all in
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto ids = walk_queue(c);
    std::set<std::string> now(ids.begin(), ids.end());
    if (now == queued && !now.empty()) break;
    queued = std::move(now);
  }
  REQUIRE(queued.size() > leads.size() / 2);

  auto started = c.post_json("/v1/admin/projections/rebuild", "{}", admin_token);
  REQUIRE(started.status == 202);

  // Read until the rebuild is over, newest leads first (a replay from 0 would
  // reach them last).
  int reads = 0, not_found = 0, short_walks = 0, walks = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool over = false;
  while (!over && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = leads.size(); i-- > 0 && i + 200 > leads.size();) {
      auto r = c.get("/v1/leads/" + leads[i], read_token);
      ++reads;
      if (r.status == 404) ++not_found;
      REQUIRE((r.status == 200 || r.status == 404));
    }
    auto ids = walk_queue(c);
    ++walks;
    if (std::set<std::string>(ids.begin(), ids.end()) != queued) ++short_walks;
    over = projection_state(c) == "running";
  }
  REQUIRE(over);
  INFO(reads << " reads, " << walks << " queue walks during the rebuild");
  CHECK(not_found == 0);
  CHECK(short_walks == 0);
  auto after = walk_queue(c);
  CHECK(std::set<std::string>(after.begin(), after.end()) == queued);
  CHECK(s.stop() == 0);
}
