// End-to-end: start-up is never partial (docs/http-api.md, "Stats and
// readiness"). After a restart on a data dir with history, /v1/stats answers
// either 503 with Retry-After or the figures of the whole log, never those of
// a part of it, and /readyz is 200 only once every projection caught up.
#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;

namespace {

constexpr int leads = 3000;
constexpr int per_batch = 500;

std::string batch(int first, int count) {
  std::string body = "[";
  for (int i = first; i < first + count; ++i) {
    const std::string id = "st-" + std::to_string(i);
    body += (i > first ? "," : "");
    body += R"({"event_id":")" + id + R"(-sg","lead_id":")" + id +
            R"(","type":"signed_up","occurred_at":"2026-11-28T12:00:00.000Z","data":{"email":")" + id +
            R"(@exemplo.com.br","name":"Lead )" + id + R"("}})";
  }
  return body + "]";
}

long long signups_total(const http_response& r) {
  auto d = parse_json(r.body);
  return num(obj(d, "signups"), "total");
}

} // namespace

TEST_CASE("after a restart /v1/stats is 503 with Retry-After or whole, and /readyz waits for every projection",
          "[e2e][startup]") {
  server_process srv;
  srv.start();
  {
    auto c = srv.client();
    for (int first = 0; first < leads; first += per_batch) {
      auto r = c.post_json("/v1/events", batch(first, per_batch), ingest_token);
      REQUIRE(r.status == 200);
    }
    // Every signup counted before the stop.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    long long total = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = c.get("/v1/stats", read_token);
      if (r.status == 200 && (total = signups_total(r)) == leads) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(total == leads);
  }
  REQUIRE(srv.stop() == 0);

  srv.restart();  // returns once /healthz answers: the projections may still be loading
  auto c = srv.client();
  int not_ready = 0, partial = 0, stats_refused = 0;
  bool ready = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    auto stats = c.get("/v1/stats", read_token);
    if (stats.status == 200) {
      if (signups_total(stats) != leads) ++partial;
    } else {
      INFO(stats.body);
      CHECK(stats.status == 503);
      CHECK(stats.has_header("Retry-After"));
      ++stats_refused;
    }
    auto readyz = c.get("/readyz");
    ready = readyz.status == 200;
    if (!ready) {
      CHECK(readyz.status == 503);
      ++not_ready;
    }
  }
  INFO("503 answers seen before ready: stats " << stats_refused << ", readyz " << not_ready);
  REQUIRE(ready);
  CHECK(partial == 0);
  auto stats = c.get("/v1/stats", read_token);
  REQUIRE(stats.status == 200);
  CHECK(signups_total(stats) == leads);
  REQUIRE(srv.stop() == 0);
}

namespace {

/// Waits until /v1/stats answers 200 (the stats caught up after the start).
http_response stats_when_ready(http_client& c, const std::string& target) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  http_response r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = c.get(target, read_token);
    if (r.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return r;
}

/// The series' step and every point's figures but `at` (the hour may turn between two calls).
std::string series_figures(const http_response& r) {
  auto d = parse_json(r.body);
  std::string out = "step_s=" + std::to_string(d["step_s"].GetInt64());
  long long signups = 0;
  for (const auto& p : d["points"].GetArray()) {
    REQUIRE(p.MemberCount() == 7);
    REQUIRE(p["at"].IsString());
    signups += p["signups"].GetInt64();
    out += " " + std::to_string(p["signups"].GetInt64()) + "/" + std::to_string(p["enrichment_succeeded"].GetInt64()) +
           "/" + std::to_string(p["enrichment_failed"].GetInt64()) + "/" +
           (p["processing_ms_p95"].IsNull() ? std::string("null") : std::to_string(p["processing_ms_p95"].GetInt64())) +
           "/" + std::to_string(p["contacts"].GetInt64()) + "/" + std::to_string(p["meetings_booked"].GetInt64());
  }
  return out + " total=" + std::to_string(signups);
}

} // namespace

TEST_CASE("the stats are the same before and after a restart and an online rebuild; /v1/stats/series as documented",
          "[e2e][startup][stats]") {
  server_process srv;
  srv.start();
  const int n = 400;
  std::string before, series_before;
  {
    auto c = srv.client();
    REQUIRE(c.post_json("/v1/events", batch(0, n), ingest_token).status == 200);
    // Settled: every signup in, and the leads' qualification done (two reads 300 ms apart agree).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = c.get("/v1/stats?window=7d", read_token);
      if (r.status == 200 && signups_total(r) == n && r.body == before) break;
      before = r.status == 200 ? r.body : "";
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    REQUIRE(signups_total(c.get("/v1/stats?window=7d", read_token)) == n);
    auto s = c.get("/v1/stats/series?window=24h&step=1h", read_token);
    REQUIRE(s.status == 200);
    auto d = parse_json(s.body);
    CHECK(d["step_s"].GetInt64() == 3600);
    CHECK(d["points"].Size() == 24);
    series_before = series_figures(s);
    CHECK(series_before.find("total=" + std::to_string(n)) != std::string::npos);
    CHECK(c.get("/v1/stats/series?window=24h&step=30s", read_token).status == 422);
    CHECK(c.get("/v1/stats/series?window=60d&step=1h", read_token).status == 422);
    CHECK(c.get("/v1/stats/series", nullptr).status == 401);
  }
  REQUIRE(srv.stop() == 0);
  srv.restart();
  auto c = srv.client();
  auto after = stats_when_ready(c, "/v1/stats?window=7d");
  REQUIRE(after.status == 200);
  CHECK(after.body == before);
  CHECK(series_figures(c.get("/v1/stats/series?window=24h&step=1h", read_token)) == series_before);

  // An online rebuild of the stats: the old ones serve until the new ones replace them, the same.
  auto rb = c.post_json("/v1/admin/projections/rebuild?projection=stats", "", admin_token);
  REQUIRE(rb.status == 202);
  for (int i = 0; i < 200; ++i) {
    auto r = c.get("/v1/stats?window=7d", read_token);
    REQUIRE(r.status == 200);
    CHECK(r.body == before);
    auto p = c.get("/v1/admin/projections", admin_token);
    if (p.body.find("\"rebuilding\"") == std::string::npos && i > 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(c.get("/v1/stats?window=7d", read_token).body == before);
  REQUIRE(srv.stop() == 0);
}

TEST_CASE("a SIGKILL while the stats apply pages loses nothing and counts nothing twice: after the restart they "
          "equal a fresh build of the whole log",
          "[e2e][startup][stats]") {
  server_process srv;
  srv.start();
  const int n = 1500;
  {
    auto c = srv.client();
    for (int first = 0; first < n; first += 500) REQUIRE(c.post_json("/v1/events", batch(first, 500), ingest_token).status == 200);
  }
  srv.kill();  // the stats runner is likely mid-way (signups applied, qualifications coming)
  srv.restart();
  auto c = srv.client();
  // Let the lead actors finish what they owe (qualifications), then compare
  // the incremental stats with a rebuild of the stats from the whole log.
  std::string settled;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = stats_when_ready(c, "/v1/stats?window=7d");
    if (r.status == 200 && signups_total(r) == n && r.body == settled) break;
    settled = r.status == 200 ? r.body : "";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  REQUIRE(signups_total(c.get("/v1/stats?window=7d", read_token)) == n);
  REQUIRE(c.post_json("/v1/admin/projections/rebuild?projection=stats", "", admin_token).status == 202);
  std::string rebuilt;
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto p = c.get("/v1/admin/projections", admin_token);
    if (p.body.find("\"rebuilding\"") != std::string::npos) continue;
    rebuilt = c.get("/v1/stats?window=7d", read_token).body;
    break;
  }
  CHECK(rebuilt == settled);
  REQUIRE(srv.stop() == 0);
}
