// End-to-end crash test: concurrent clients ingest while the server is killed
// with SIGKILL at a random moment; after a restart on the same data dir every
// acknowledged event must be there, at the position its acknowledgement gave,
// once; the feed has no gap; `leadbase verify` passes.
//
// LEADBASE_CRASH_CYCLES (default 5) sets the kill/restart cycles,
// LEADBASE_CRASH_SEED the random seed (printed on failure).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;

namespace {

struct sent_event {
  std::string lead, event_id;
  std::string body;        // what was sent: the signup body, or the batch item
  bool via_batch = false;  // sent as an item of POST /v1/events
  long long position = -1; // from the acknowledgement
};

/// What the client threads saw in one cycle. Filled under `mutex`; Catch
/// assertions are made on the main thread only (Catch2 v2 is not thread-safe).
struct cycle_log {
  std::mutex mutex;
  std::vector<sent_event> acked;     // got a 2xx (accepted or duplicate)
  std::vector<sent_event> unknown;   // sent, but no answer (or 503): may or may not be stored
  std::vector<std::string> unexpected;  // any other answer
  size_t not_sent = 0;               // connect refused: the server was already gone
};

std::string batch_item_json(const std::string& event_id, const std::string& lead) {
  return "{\"event_id\":\"" + event_id + "\",\"lead_id\":\"" + lead +
         "\",\"type\":\"signed_up\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"data\":{\"email\":\"" + lead +
         "@exemplo.com.br\",\"name\":\"Lead " + lead + "\"}}";
}

/// One client thread: keep-alive signups (or 4-item batches) until `stop`.
void client_loop(uint16_t port, int cycle, int thread_no, bool batches, std::atomic<bool>& stop, cycle_log& log) {
  http_client c(port, std::chrono::seconds(15));
  int n = 0;
  const std::string prefix = "c" + std::to_string(cycle) + "-t" + std::to_string(thread_no) + "-" + unique_suffix();
  while (!stop.load()) {
    if (!batches) {
      sent_event e;
      e.lead = prefix + "-l" + std::to_string(n);
      e.event_id = prefix + "-e" + std::to_string(n);
      e.body = signup_body(e.event_id, e.lead);
      ++n;
      auto r = c.try_request("POST", "/v1/signups", e.body,
                             {bearer(ingest_token), {"Content-Type", "application/json"}});
      std::lock_guard<std::mutex> g(log.mutex);
      if (r.status == 202 || r.status == 200) {
        rapidjson::Document d;
        d.Parse(r.body.c_str(), r.body.size());
        e.position = d.HasParseError() ? -1 : num(d, "position");
        if (e.position <= 0) log.unexpected.push_back("2xx without a position: " + r.body);
        log.acked.push_back(std::move(e));
      } else if (r.status == 0 || r.status == 503) {
        if (r.status == 0 && r.error.rfind("connect to ", 0) == 0) {
          ++log.not_sent;
        } else {
          log.unknown.push_back(std::move(e));
        }
      } else {
        log.unexpected.push_back("signup " + e.event_id + ": " + std::to_string(r.status) + " " + r.body);
      }
    } else {
      std::vector<sent_event> items;
      std::string body = "[";
      for (int k = 0; k < 4; ++k, ++n) {
        sent_event e;
        e.lead = prefix + "-l" + std::to_string(n);
        e.event_id = prefix + "-e" + std::to_string(n);
        e.body = batch_item_json(e.event_id, e.lead);
        e.via_batch = true;
        body += (k ? "," : "") + e.body;
        items.push_back(std::move(e));
      }
      body += "]";
      auto r = c.try_request("POST", "/v1/events", body, {bearer(ingest_token), {"Content-Type", "application/json"}});
      std::lock_guard<std::mutex> g(log.mutex);
      if (r.status == 200) {
        rapidjson::Document d;
        d.Parse(r.body.c_str(), r.body.size());
        const auto& res = arr(d, "results");
        if (d.HasParseError() || res.Size() != items.size()) {
          log.unexpected.push_back("batch answer of the wrong shape: " + r.body);
          continue;
        }
        for (rapidjson::SizeType i = 0; i < res.Size(); ++i) {
          const std::string status = str(res[i], "status");
          if (status == "accepted" || status == "duplicate") {
            items[i].position = num(res[i], "position");
            log.acked.push_back(items[i]);
          } else if (str(res[i], "error") == "overloaded") {
            log.unknown.push_back(items[i]);
          } else {
            log.unexpected.push_back("batch item " + items[i].event_id + ": " + to_json(res[i]));
          }
        }
      } else if (r.status == 0 || r.status == 503) {
        if (r.status == 0 && r.error.rfind("connect to ", 0) == 0) {
          ++log.not_sent;
        } else {
          for (auto& e : items) log.unknown.push_back(std::move(e));
        }
      } else {
        log.unexpected.push_back("batch: " + std::to_string(r.status) + " " + r.body);
      }
    }
    if (!c.peer_closed(std::chrono::milliseconds(0))) continue;
    c.close();
    // The server is gone or going: do not spin on refused connections.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// One event as the feed shows it.
struct feed_entry {
  long long position;
  std::string lead, event_id, type;
};

/// The whole feed, checked for positions 1..N without a gap.
std::vector<feed_entry> read_feed(http_client& c) {
  std::vector<feed_entry> out;
  long long after = 0;
  for (;;) {
    auto r = c.get("/v1/feed?after=" + std::to_string(after) + "&limit=1000", audit_token);
    INFO("feed: " << r.status << " " << r.body.substr(0, 500));
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    const auto& evs = arr(d, "events");
    if (evs.Size() == 0) break;
    for (const auto& e : evs.GetArray())
      out.push_back({num(e, "position"), str(e, "lead_id"), str(e, "event_id"), str(e, "type")});
    after = num(d, "next_after");
    REQUIRE(after == out.back().position);
  }
  return out;
}

/// Sends `e` again the way it was sent first; returns "accepted" or
/// "duplicate" (or what else came back) and the position.
std::pair<std::string, long long> resend(http_client& c, const sent_event& e) {
  if (!e.via_batch) {
    auto r = c.post_json("/v1/signups", e.body, ingest_token);
    if (r.status != 200 && r.status != 202) return {std::to_string(r.status) + " " + r.body, -1};
    auto d = parse_json(r.body);
    return {r.status == 202 ? "accepted" : "duplicate", num(d, "position")};
  }
  auto r = c.post_json("/v1/events", "[" + e.body + "]", ingest_token);
  if (r.status != 200) return {std::to_string(r.status) + " " + r.body, -1};
  auto d = parse_json(r.body);
  const auto& res = arr(d, "results");
  if (res.Size() != 1) return {"batch answer of the wrong shape: " + r.body, -1};
  return {str(res[0], "status"), num(res[0], "position")};
}

long long env_int(const char* name, long long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::atoll(v);
}

}  // namespace

TEST_CASE("crash: SIGKILL during concurrent ingest loses no acknowledged event and duplicates none",
          "[e2e][crash]") {
  const long long cycles = std::max(1LL, env_int("LEADBASE_CRASH_CYCLES", 5));
  const unsigned seed = static_cast<unsigned>(env_int("LEADBASE_CRASH_SEED", std::random_device{}()));
  INFO("LEADBASE_CRASH_SEED=" << seed);
  std::mt19937 rng(seed);
  constexpr int threads = 8;

  server_process srv;
  srv.start();
  std::map<std::string, sent_event> all_acked;  // by event_id, over every cycle
  std::vector<sent_event> all_unknown;
  size_t total_not_sent = 0;

  for (long long cycle = 0; cycle < cycles; ++cycle) {
    INFO("cycle " << cycle << " (data dir " << srv.data_dir() << ")");
    cycle_log log;
    std::atomic<bool> stop{false};
    std::vector<std::thread> pool;
    const uint16_t port = srv.port();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(client_loop, port, static_cast<int>(cycle), t, t % 4 == 3, std::ref(stop), std::ref(log));
    const int delay_ms = std::uniform_int_distribution<int>(200, 1500)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    srv.kill();
    stop = true;
    for (auto& th : pool) th.join();

    INFO("acked " << log.acked.size() << ", unknown " << log.unknown.size() << ", not sent " << log.not_sent
                  << ", killed after " << delay_ms << " ms");
    for (const auto& u : log.unexpected) FAIL_CHECK("unexpected answer: " << u);
    for (auto& e : log.acked) {
      auto [it, fresh] = all_acked.emplace(e.event_id, e);
      if (!fresh) FAIL_CHECK("event_id acknowledged twice: " << e.event_id);
    }
    all_unknown.insert(all_unknown.end(), log.unknown.begin(), log.unknown.end());
    total_not_sent += log.not_sent;

    // Offline check on the crashed data dir, before the server recovers it.
    auto v = run_leadbase({"verify", "--data", srv.data_dir().string()});
    {
      INFO("leadbase verify after the crash: exit " << v.exit_code << "\n" << v.out << v.err);
      CHECK(v.exit_code == 0);
    }

    srv.restart();
    auto c = srv.client();

    // Every acknowledged event is there, at the position its answer gave, once.
    auto feed = read_feed(c);
    std::map<std::string, long long> position_of;  // event_id -> position
    std::map<std::string, int> signups_of_lead;
    for (size_t i = 0; i < feed.size(); ++i) {
      if (feed[i].position != static_cast<long long>(i) + 1) {
        FAIL_CHECK("feed gap: expected position " << i + 1 << ", got " << feed[i].position);
        break;
      }
      if (!position_of.emplace(feed[i].event_id, feed[i].position).second)
        FAIL_CHECK("event " << feed[i].event_id << " is in the feed twice");
      if (feed[i].type == "signed_up" && ++signups_of_lead[feed[i].lead] > 1)
        FAIL_CHECK("lead " << feed[i].lead << " signed up twice");
    }
    size_t missing = 0, moved = 0;
    for (const auto& [id, e] : all_acked) {
      auto it = position_of.find(id);
      if (it == position_of.end()) {
        if (++missing <= 10) FAIL_CHECK("acknowledged event lost: " << id << " (position " << e.position << ")");
      } else if (it->second != e.position) {
        if (++moved <= 10)
          FAIL_CHECK("acknowledged event " << id << " at position " << it->second << ", its answer said "
                                           << e.position);
      }
    }
    CHECK(missing == 0);
    CHECK(moved == 0);

    // This cycle's acknowledged leads answer GET, and (a sample) a verified history.
    size_t checked = 0;
    const long long head = feed.empty() ? 0 : feed.back().position;
    for (const auto& e : log.acked) {
      auto r = get_view(c, e.lead, head);
      if (r.status != 200) FAIL_CHECK("GET /v1/leads/" << e.lead << " -> " << r.status << " " << r.body);
      if (checked++ % 10 != 0) continue;
      auto h = c.get("/v1/leads/" + e.lead + "/history", audit_token);
      REQUIRE(h.status == 200);
      auto d = parse_json(h.body);
      CHECK(str(d, "integrity") == "verified");
      const auto& evs = arr(d, "events");
      REQUIRE(evs.Size() >= 1);
      CHECK(str(evs[0], "event_id") == e.event_id);
      CHECK(str(evs[0], "prev_hash") == std::string(64, '0'));
    }

    // Sending an acknowledged event again is a duplicate with the same position.
    for (size_t i = 0; i < log.acked.size() && i < 20; ++i) {
      const auto& e = log.acked[i];
      auto [status, pos] = resend(c, e);
      INFO("resend " << e.event_id);
      CHECK(status == "duplicate");
      CHECK(pos == e.position);
    }
    // Sending an unanswered one again settles it: stored exactly once either way.
    for (auto& e : log.unknown) {
      auto [status, pos] = resend(c, e);
      INFO("resend unanswered " << e.event_id);
      auto it = position_of.find(e.event_id);
      if (status == "duplicate") {
        CHECK(it != position_of.end());
        if (it != position_of.end()) CHECK(pos == it->second);
      } else {
        CHECK(status == "accepted");
        CHECK(it == position_of.end());
      }
      e.position = pos;
      all_acked.emplace(e.event_id, e);
    }
    auto again = read_feed(c);
    for (size_t i = 0; i < again.size(); ++i)
      if (again[i].position != static_cast<long long>(i) + 1) {
        FAIL_CHECK("feed gap after the resends at " << i + 1);
        break;
      }
    CHECK(again.size() >= all_acked.size());
    check_healthy(srv);
  }

  WARN("crash test: " << all_acked.size() << " events acknowledged over " << cycles << " SIGKILL cycles, "
                       << all_unknown.size() << " unanswered (settled by resending), " << total_not_sent
                       << " refused at connect; seed " << seed);
  CHECK(all_acked.size() > 0);
  CHECK(srv.stop() == 0);
  auto v = run_leadbase({"verify", "--data", srv.data_dir().string()});
  INFO("leadbase verify: exit " << v.exit_code << "\n" << v.out << v.err);
  CHECK(v.exit_code == 0);
}

TEST_CASE("graceful stop: SIGTERM during concurrent ingest exits 0 and keeps every acknowledged event", "[e2e]") {
  server_process srv;
  srv.start();
  cycle_log log;
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back(client_loop, srv.port(), 0, t, t == 3, std::ref(stop), std::ref(log));
  // Let some ingest happen first (how much does not matter).
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> g(log.mutex);
      if (log.acked.size() >= 50) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int code = srv.stop();
  stop = true;
  for (auto& th : pool) th.join();
  INFO("acked " << log.acked.size() << ", unanswered " << log.unknown.size() << "\nstderr:\n" << srv.stderr_text());
  CHECK(code == 0);
  for (const auto& u : log.unexpected) FAIL_CHECK("unexpected answer: " << u);

  auto v = run_leadbase({"verify", "--data", srv.data_dir().string()});
  {
    INFO("leadbase verify: exit " << v.exit_code << "\n" << v.out << v.err);
    CHECK(v.exit_code == 0);
  }
  srv.restart();
  auto c = srv.client();
  auto feed = read_feed(c);
  std::map<std::string, long long> position_of;
  for (size_t i = 0; i < feed.size(); ++i) {
    CHECK(feed[i].position == static_cast<long long>(i) + 1);
    CHECK(position_of.emplace(feed[i].event_id, feed[i].position).second);
  }
  for (const auto& e : log.acked) {
    auto it = position_of.find(e.event_id);
    if (it == position_of.end()) FAIL_CHECK("acknowledged event lost: " << e.event_id);
    else if (it->second != e.position) FAIL_CHECK("acknowledged event " << e.event_id << " moved");
  }
  c.close();
  CHECK(srv.stop() == 0);
}
