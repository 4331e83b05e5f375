// End-to-end crash test under mixed load: signups with Instagram handles
// (enrichment against the real simulator, which fails a share of its calls),
// batches and erasures run concurrently while the server is killed with
// SIGKILL at a random moment. After each restart on the same data dir:
//   - every acknowledged event is in the feed, once, at the position its
//     acknowledgement gave, and the feed has no gap;
//   - every acknowledged erasure holds: the lead reads `erased`, its history
//     ends in `erased` and still verifies;
//   - no lead has two `enriched` events (an answer lost with the process is
//     asked again, never recorded twice);
//   - `leadbase verify` passes on the crashed data dir before the restart.
// At the end every lead that is not erased reaches a final enrichment state.
//
// LEADBASE_CRASH_CYCLES (default 3) sets the kill/restart cycles,
// LEADBASE_CRASH_SEED the random seed (printed on failure). scripts/crash-loop.sh
// runs this and the plain crash test many times.
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
#include "tests/e2e/simulator_process.hpp"

using namespace leadbase::e2e;

namespace {

struct acked_event {
  std::string lead, event_id, body;
  bool via_batch = false;
  long long position = -1;
};

/// What the client threads saw in one cycle (filled under `mutex`; Catch
/// assertions only on the main thread: Catch2 v2 is not thread-safe).
struct mixed_log {
  std::mutex mutex;
  std::vector<acked_event> acked;
  std::vector<acked_event> unknown;    // sent, no answer: may or may not be stored
  std::vector<std::string> leads;      // leads acknowledged so far (erasure candidates)
  std::set<std::string> erased;        // erasures acknowledged (200)
  std::vector<std::string> unexpected;
};

std::string signup_with_handle(const std::string& event_id, const std::string& lead, const std::string& handle) {
  return "{\"event_id\":\"" + event_id + "\",\"lead_id\":\"" + lead +
         "\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"email\":\"" + lead +
         "@exemplo.com.br\",\"name\":\"Creator " + lead + "\",\"phone\":\"+5511912345678\",\"country\":\"BR\","
         "\"social\":{\"instagram\":\"" + handle + "\"}}";
}

std::string batch_item(const std::string& event_id, const std::string& lead, const std::string& handle) {
  return "{\"event_id\":\"" + event_id + "\",\"lead_id\":\"" + lead +
         "\",\"type\":\"signed_up\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"data\":{\"email\":\"" + lead +
         "@exemplo.com.br\",\"name\":\"Creator " + lead + "\",\"social\":{\"instagram\":\"" + handle + "\"}}}";
}

bool connect_refused(const http_response& r) { return r.status == 0 && r.error.rfind("connect to ", 0) == 0; }

void record_ack(mixed_log& log, acked_event e, const http_response& r, long long position) {
  if (position <= 0) log.unexpected.push_back("2xx without a position: " + r.body);
  log.leads.push_back(e.lead);
  e.position = position;
  log.acked.push_back(std::move(e));
}

/// Signups (one at a time) or 3-item batches until `stop`.
void ingest_loop(uint16_t port, const std::string& prefix, bool batches, std::atomic<bool>& stop, mixed_log& log) {
  http_client c(port, std::chrono::seconds(15));
  int n = 0;
  while (!stop.load()) {
    if (!batches) {
      acked_event e{prefix + "-l" + std::to_string(n), prefix + "-e" + std::to_string(n), {}, false, -1};
      e.body = signup_with_handle(e.event_id, e.lead, "creator" + std::to_string(n));
      ++n;
      auto r = c.try_request("POST", "/v1/signups", e.body, {bearer(ingest_token), {"Content-Type", "application/json"}});
      std::lock_guard<std::mutex> g(log.mutex);
      if (r.status == 202 || r.status == 200) {
        auto d = parse_json(r.body);
        record_ack(log, std::move(e), r, num(d, "position"));
      } else if (r.status == 0 || r.status == 503) {
        if (!connect_refused(r)) log.unknown.push_back(std::move(e));
      } else {
        log.unexpected.push_back("signup " + e.event_id + ": " + std::to_string(r.status) + " " + r.body);
      }
    } else {
      std::vector<acked_event> items;
      std::string body = "[";
      for (int k = 0; k < 3; ++k, ++n) {
        acked_event e{prefix + "-l" + std::to_string(n), prefix + "-e" + std::to_string(n), {}, true, -1};
        e.body = batch_item(e.event_id, e.lead, "creator" + std::to_string(n));
        body += (k ? "," : "") + e.body;
        items.push_back(std::move(e));
      }
      body += "]";
      auto r = c.try_request("POST", "/v1/events", body, {bearer(ingest_token), {"Content-Type", "application/json"}});
      std::lock_guard<std::mutex> g(log.mutex);
      if (r.status == 200) {
        auto d = parse_json(r.body);
        const auto& res = arr(d, "results");
        if (res.Size() != items.size()) {
          log.unexpected.push_back("batch answer of the wrong shape: " + r.body);
          continue;
        }
        for (rapidjson::SizeType i = 0; i < res.Size(); ++i) {
          const std::string status = str(res[i], "status");
          if (status == "accepted" || status == "duplicate")
            record_ack(log, items[i], r, num(res[i], "position"));
          else if (str(res[i], "error") == "overloaded")
            log.unknown.push_back(items[i]);
          else
            log.unexpected.push_back("batch item " + items[i].event_id + ": " + to_json(res[i]));
        }
      } else if (r.status == 0 || r.status == 503) {
        if (!connect_refused(r))
          for (auto& e : items) log.unknown.push_back(std::move(e));
      } else {
        log.unexpected.push_back("batch: " + std::to_string(r.status) + " " + r.body);
      }
    }
    if (!c.peer_closed(std::chrono::milliseconds(0))) continue;
    c.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Erases a random acknowledged lead now and then until `stop`.
void erase_loop(uint16_t port, unsigned seed, std::atomic<bool>& stop, mixed_log& log) {
  http_client c(port, std::chrono::seconds(15));
  std::mt19937 rng(seed);
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::string lead;
    {
      std::lock_guard<std::mutex> g(log.mutex);
      if (log.leads.empty()) continue;
      lead = log.leads[std::uniform_int_distribution<size_t>(0, log.leads.size() - 1)(rng)];
    }
    auto r = c.try_request("POST", "/v1/leads/" + lead + "/erase", "{\"reason\":\"crash test\"}",
                           {bearer(admin_token), {"Content-Type", "application/json"}});
    std::lock_guard<std::mutex> g(log.mutex);
    if (r.status == 200) {
      log.erased.insert(lead);
    } else if (r.status != 0 && r.status != 503) {
      log.unexpected.push_back("erase " + lead + ": " + std::to_string(r.status) + " " + r.body);
    }
    if (c.peer_closed(std::chrono::milliseconds(0))) c.close();
  }
}

struct feed_entry {
  long long position;
  std::string lead, event_id, type;
};

std::vector<feed_entry> whole_feed(http_client& c) {
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
  }
  return out;
}

long long env_or(const char* name, long long fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::atoll(v) : fallback;
}

bool final_enrichment(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "not_needed";
}

}  // namespace

TEST_CASE("crash: SIGKILL under mixed load (signups, batches, erasures, failing enrichment) loses nothing acknowledged",
          "[e2e][crash][mixed]") {
  const long long cycles = std::max(1LL, env_or("LEADBASE_CRASH_CYCLES", 3));
  const unsigned seed = static_cast<unsigned>(env_or("LEADBASE_CRASH_SEED", std::random_device{}()));
  INFO("LEADBASE_CRASH_SEED=" << seed);
  std::mt19937 rng(seed);

  simulator_process sim(10, 0.3);  // 10 ms a call, 30% transient failures
  server_options so;
  so.extra_toml = discovery_toml(sim.port(), 2000, 3);
  server_process srv(so);
  srv.start();

  std::map<std::string, acked_event> all_acked;  // by event_id
  std::set<std::string> all_erased, all_leads;

  for (long long cycle = 0; cycle < cycles; ++cycle) {
    INFO("cycle " << cycle << " (data dir " << srv.data_dir() << ")");
    mixed_log log;
    log.leads.assign(all_leads.begin(), all_leads.end());
    std::atomic<bool> stop{false};
    std::vector<std::thread> pool;
    const std::string prefix = "m" + std::to_string(cycle) + "-" + unique_suffix();
    for (int t = 0; t < 6; ++t)
      pool.emplace_back(ingest_loop, srv.port(), prefix + "-t" + std::to_string(t), t >= 4, std::ref(stop),
                        std::ref(log));
    pool.emplace_back(erase_loop, srv.port(), seed + static_cast<unsigned>(cycle), std::ref(stop), std::ref(log));
    const int delay_ms = std::uniform_int_distribution<int>(300, 1500)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    srv.kill();
    stop = true;
    for (auto& th : pool) th.join();

    INFO("acked " << log.acked.size() << ", unknown " << log.unknown.size() << ", erased " << log.erased.size()
                  << ", killed after " << delay_ms << " ms");
    for (const auto& u : log.unexpected) FAIL_CHECK("unexpected answer: " << u);
    for (auto& e : log.acked) {
      all_leads.insert(e.lead);
      if (!all_acked.emplace(e.event_id, e).second) FAIL_CHECK("event_id acknowledged twice: " << e.event_id);
    }
    all_erased.insert(log.erased.begin(), log.erased.end());

    auto v = run_leadbase({"verify", "--data", srv.data_dir().string()});
    {
      INFO("leadbase verify after the crash: exit " << v.exit_code << "\n" << v.out << v.err);
      CHECK(v.exit_code == 0);
    }

    srv.restart();
    auto c = srv.client();
    auto feed = whole_feed(c);
    std::map<std::string, long long> position_of;
    std::map<std::string, int> enriched_of;
    for (size_t i = 0; i < feed.size(); ++i) {
      if (feed[i].position != static_cast<long long>(i) + 1) {
        FAIL_CHECK("feed gap: expected position " << i + 1 << ", got " << feed[i].position);
        break;
      }
      if (!position_of.emplace(feed[i].event_id, feed[i].position).second)
        FAIL_CHECK("event " << feed[i].event_id << " is in the feed twice");
      if (feed[i].type == "enriched" && ++enriched_of[feed[i].lead] > 1)
        FAIL_CHECK("lead " << feed[i].lead << " enriched twice");
    }
    size_t missing = 0, moved = 0;
    for (const auto& [id, e] : all_acked) {
      auto it = position_of.find(id);
      if (it == position_of.end()) {
        if (++missing <= 10) FAIL_CHECK("acknowledged event lost: " << id);
      } else if (it->second != e.position) {
        if (++moved <= 10) FAIL_CHECK("acknowledged event " << id << " moved to " << it->second);
      }
    }
    CHECK(missing == 0);
    CHECK(moved == 0);

    // Unanswered events: sending them again settles them, stored once either way.
    for (auto& e : log.unknown) {
      const bool dup_known = position_of.count(e.event_id) > 0;
      auto r = e.via_batch ? c.post_json("/v1/events", "[" + e.body + "]", ingest_token)
                           : c.post_json("/v1/signups", e.body, ingest_token);
      INFO("resend " << e.event_id << ": " << r.status << " " << r.body);
      REQUIRE((r.status == 200 || r.status == 202));
      auto d = parse_json(r.body);
      const auto& item = e.via_batch ? arr(d, "results")[0] : static_cast<const rapidjson::Value&>(d);
      const bool duplicate = e.via_batch ? str(item, "status") == "duplicate" : r.status == 200;
      CHECK(duplicate == dup_known);
      e.position = num(item, "position");
      all_acked.emplace(e.event_id, e);
      all_leads.insert(e.lead);
    }

    // Every acknowledged erasure holds.
    const long long head = feed.empty() ? 0 : feed.back().position;
    for (const auto& lead : log.erased) {
      auto r = get_view(c, lead, head);
      INFO("erased lead " << lead << ": " << r.status << " " << r.body.substr(0, 300));
      REQUIRE(r.status == 200);
      CHECK(str(parse_json(r.body), "status") == "erased");
      auto h = c.get("/v1/leads/" + lead + "/history", audit_token);
      REQUIRE(h.status == 200);
      auto hd = parse_json(h.body);
      CHECK(str(hd, "integrity") == "verified");
      const auto& evs = arr(hd, "events");
      REQUIRE(evs.Size() >= 2);
      CHECK(str(evs[evs.Size() - 1], "type") == "erased");
    }
    check_healthy(srv);
  }

  // Every lead not erased reaches a final enrichment state (within 60 s).
  auto c = srv.client();
  std::vector<std::string> open(all_leads.begin(), all_leads.end());
  open.erase(std::remove_if(open.begin(), open.end(), [&](const std::string& l) { return all_erased.count(l) > 0; }),
             open.end());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!open.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::string> still;
    for (const auto& lead : open) {
      auto r = c.get("/v1/leads/" + lead, read_token);
      if (r.status != 200) {
        still.push_back(lead);
        continue;
      }
      auto d = parse_json(r.body);
      const auto st = str(d, "status");
      if (st != "erased" && !final_enrichment(str(obj(d, "enrichment"), "state"))) still.push_back(lead);
    }
    open.swap(still);
    if (!open.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (size_t i = 0; i < open.size() && i < 10; ++i) FAIL_CHECK("lead without a final enrichment state: " << open[i]);
  CHECK(open.empty());

  WARN("mixed crash test: " << all_acked.size() << " events acknowledged, " << all_erased.size() << " erasures over "
                            << cycles << " SIGKILL cycles; seed " << seed);
  CHECK(srv.stop() == 0);
  auto v = run_leadbase({"verify", "--data", srv.data_dir().string()});
  INFO("leadbase verify: exit " << v.exit_code << "\n" << v.out << v.err);
  CHECK(v.exit_code == 0);
}
