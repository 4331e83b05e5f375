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
