// End-to-end pipeline test: the real `leadbase simulate-discovery` and the real
// `leadbase serve` as two child processes, the server's Instagram (and YouTube)
// provider pointed at the simulator. 1,000 signups of mixed profile classes
// (ordinary handles, no handle, disposable emails, flaky handles, final and
// retryable provider errors, rate limits, YouTube) must all reach a final
// state; then, for every lead, the current view (read with min_position) must
// equal the last step of a fresh fold of its history (/replay), key by key,
// and its status, attempts and events must be those of its profile class.
//
// The restart variant kills the server with SIGKILL while enrichment calls are
// in flight (the simulator answers after 300 ms), restarts it on the same data
// dir, and checks that every lead still reaches a final state with one
// `qualified` event and at most max_attempts counted enrichment failures.
//
// Retries are configured in milliseconds (base 5 ms, cap 50 ms, 3 attempts);
// the only real waits are err_rate_limited's Retry-After: 2 s (a few leads).
// Every wait is a bounded poll (a safety net, not a timing assertion).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tests/e2e/checks.hpp"
#include "tests/e2e/simulator_process.hpp"

using namespace leadbase::e2e;
namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int max_attempts = 3;

// -- the leads --------------------------------------------------------------------------

enum class profile {
  ordinary,      // an Instagram handle the simulator generates a profile for
  ig_and_yt,     // Instagram and YouTube handles
  yt_only,       // only a YouTube handle
  no_handle,     // a phone, no handle: qualified, nothing to enrich
  disposable,    // a disposable email: disqualified
  flaky_1,       // fails once, then succeeds
  flaky_2,       // fails twice, then succeeds (on the last allowed attempt)
  not_found,     // final at once
  invalid,       // final at once (a body that is not JSON)
  provider,      // 500 every time: retried to the limit
  rate_limited,  // 429 Retry-After 2 s every time: retried to the limit
};

const char* name_of(profile p) {
  switch (p) {
    case profile::ordinary: return "ordinary";
    case profile::ig_and_yt: return "ig_and_yt";
    case profile::yt_only: return "yt_only";
    case profile::no_handle: return "no_handle";
    case profile::disposable: return "disposable";
    case profile::flaky_1: return "flaky_1";
    case profile::flaky_2: return "flaky_2";
    case profile::not_found: return "not_found";
    case profile::invalid: return "invalid";
    case profile::provider: return "provider";
    case profile::rate_limited: return "rate_limited";
  }
  return "?";
}

struct lead_spec {
  std::string id;
  profile kind = profile::ordinary;
  std::string body;
  long long position = -1;  // from the acknowledgement
};

/// The class of the i-th lead of the main run: per 100 leads 50 ordinary, 8
/// Instagram + YouTube, 2 YouTube only, 8 without a handle, 8 disposable, 6
/// flaky_1, 6 flaky_2, 4 not found, 3 invalid, 4 provider errors, and one
/// more ordinary one, except for the first three hundreds where it is rate limited.
profile main_profile(int i) {
  const int b = i % 100;
  if (b < 50) return profile::ordinary;
  if (b < 58) return profile::ig_and_yt;
  if (b < 60) return profile::yt_only;
  if (b < 68) return profile::no_handle;
  if (b < 76) return profile::disposable;
  if (b < 82) return profile::flaky_1;
  if (b < 88) return profile::flaky_2;
  if (b < 92) return profile::not_found;
  if (b < 95) return profile::invalid;
  if (b < 99) return profile::provider;
  return i < 300 ? profile::rate_limited : profile::ordinary;
}

std::string make_body(const std::string& lead, int n, profile p) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto kv = [&w](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  kv("event_id", "sg-" + lead);
  kv("lead_id", lead);
  kv("occurred_at", "2026-11-28T12:00:00.000Z");
  kv("email", p == profile::disposable ? "creator" + std::to_string(n) + "@mailinator.com"
                                       : "creator" + std::to_string(n) + "@exemplo.com.br");
  kv("name", "Creator " + std::to_string(n));
  kv("phone", "+5511912345678");
  kv("country", "BR");
  std::string ig, yt;
  const std::string tag = std::to_string(n);
  switch (p) {
    case profile::ordinary: ig = "creator" + tag; break;
    case profile::ig_and_yt: ig = "both" + tag; yt = "@both" + tag; break;
    case profile::yt_only: yt = "@tuber" + tag; break;
    case profile::no_handle: break;
    case profile::disposable: ig = "throwaway" + tag; break;
    case profile::flaky_1: ig = "flaky_1_p" + tag; break;
    case profile::flaky_2: ig = "flaky_2_p" + tag; break;
    case profile::not_found: ig = "err_not_found"; break;
    case profile::invalid: ig = "err_invalid"; break;
    case profile::provider: ig = "err_provider"; break;
    case profile::rate_limited: ig = "err_rate_limited"; break;
  }
  if (!ig.empty() || !yt.empty()) {
    w.Key("social");
    w.StartObject();
    if (!ig.empty()) kv("instagram", ig);
    if (!yt.empty()) kv("youtube", yt);
    w.EndObject();
  }
  w.EndObject();
  return buf.GetString();
}

std::vector<lead_spec> make_leads(const std::string& prefix, int count, profile (*classify)(int)) {
  std::vector<lead_spec> out;
  for (int i = 0; i < count; ++i) {
    lead_spec s;
    s.kind = classify(i);
    s.id = prefix + "-" + std::to_string(i);
    s.body = make_body(s.id, i, s.kind);
    out.push_back(std::move(s));
  }
  return out;
}

/// POSTs every signup from `threads` keep-alive connections; a 503 is sent
/// again (bounded). Returns what went wrong, one line per failure (empty = all
/// acknowledged); positions are filled in.
std::vector<std::string> post_all(uint16_t port, std::vector<lead_spec>& leads, int threads) {
  std::mutex mutex;
  std::vector<std::string> problems;
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      http_client c(port, std::chrono::seconds(30));
      for (size_t i = next++; i < leads.size(); i = next++) {
        lead_spec& l = leads[i];
        http_response r;
        for (int attempt = 0; attempt < 50; ++attempt) {
          r = c.try_request("POST", "/v1/signups", l.body,
                            {bearer(ingest_token), {"Content-Type", "application/json"}});
          if (r.status != 503) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        long long pos = -1;
        if (r.status == 202) {
          rapidjson::Document d;
          d.Parse(r.body.c_str(), r.body.size());
          if (!d.HasParseError()) pos = num(d, "position");
        }
        std::lock_guard<std::mutex> g(mutex);
        if (pos > 0) l.position = pos;
        else problems.push_back(l.id + ": " + std::to_string(r.status) + " " + r.error + " " + r.body.substr(0, 300));
      }
    });
  }
  for (auto& th : pool) th.join();
  return problems;
}

/// The view is final: processing_ms is set and no network is still pending
/// or waiting for a retry.
bool view_is_final(const rapidjson::Value& v) {
  const auto* pm = member(v, "processing_ms");
  if (!pm || pm->IsNull()) return false;
  const std::string st = str(obj(v, "enrichment"), "state");
  return st != "pending" && st != "retry_scheduled";
}

/// Polls the views until every lead is final or `cap` has passed. Returns the
/// ids that are not final, with their last view.
std::map<std::string, std::string> wait_all_final(uint16_t port, const std::vector<lead_spec>& leads,
                                                  std::chrono::seconds cap) {
  std::map<std::string, std::string> open;
  for (const auto& l : leads) open[l.id] = "(not read yet)";
  http_client c(port, std::chrono::seconds(30));
  const auto deadline = clock_type::now() + cap;
  for (bool first = true; !open.empty() && (first || clock_type::now() < deadline); first = false) {
    for (auto it = open.begin(); it != open.end();) {
      auto r = c.try_request("GET", "/v1/leads/" + it->first, {}, {bearer(read_token)});
      bool done = false;
      if (r.status == 200) {
        rapidjson::Document d;
        d.Parse(r.body.c_str(), r.body.size());
        done = !d.HasParseError() && view_is_final(d);
      }
      if (done) {
        it = open.erase(it);
      } else {
        it->second = std::to_string(r.status) + " " + r.error + " " + r.body.substr(0, 600);
        ++it;
      }
    }
    if (!open.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return open;
}

/// The keys of `a` and `b` whose values differ (deep), "" when equal.
std::string diff_keys(const rapidjson::Value& a, const rapidjson::Value& b) {
  std::string out;
  if (!a.IsObject() || !b.IsObject()) return a == b ? "" : "(not objects)";
  std::set<std::string> keys;
  for (const auto& m : a.GetObject()) keys.insert(m.name.GetString());
  for (const auto& m : b.GetObject()) keys.insert(m.name.GetString());
  for (const auto& k : keys) {
    const auto* x = member(a, k.c_str());
    const auto* y = member(b, k.c_str());
    if (x && y && *x == *y) continue;
    out += "  " + k + ": view " + (x ? to_json(*x) : "<missing>") + " / replay " + (y ? to_json(*y) : "<missing>") +
           "\n";
  }
  return out;
}

struct lead_events {
  int qualified = 0;
  int counted_failures = 0;   // enrichment_failed other than provider_unavailable fail-fasts
  int fail_fasts = 0;         // provider_unavailable
  int enriched = 0;
  bool last_failure_final = false;
  std::vector<std::string> failure_classes;
};

lead_events count_events(const rapidjson::Value& steps) {
  lead_events out;
  for (const auto& step : steps.GetArray()) {
    const auto& e = obj(step, "event");
    const std::string type = str(e, "type");
    if (type == "qualified") ++out.qualified;
    if (type == "enriched") ++out.enriched;
    if (type == "enrichment_failed") {
      const auto& data = obj(e, "data");
      const std::string cls = str(data, "error_class");
      if (cls == "provider_unavailable") {
        ++out.fail_fasts;
      } else {
        ++out.counted_failures;
        out.failure_classes.push_back(cls);
        out.last_failure_final = is_null(data, "next_attempt_at");
      }
    }
  }
  return out;
}

struct expectation {
  const char* status;
  const char* enrichment_state;
  int failures;          // counted enrichment_failed events (exact in the main run)
  const char* last_error;  // nullptr: null
};

expectation expected_for(profile p) {
  switch (p) {
    case profile::ordinary:
    case profile::ig_and_yt:
    case profile::yt_only: return {"enriched", "succeeded", 0, nullptr};
    case profile::no_handle: return {"qualified", "not_needed", 0, nullptr};
    case profile::disposable: return {"disqualified", "not_needed", 0, nullptr};
    case profile::flaky_1: return {"enriched", "succeeded", 1, nullptr};  // a success clears last_error
    case profile::flaky_2: return {"enriched", "succeeded", 2, nullptr};
    case profile::not_found: return {"enrichment_failed", "failed", 1, "not_found"};
    case profile::invalid: return {"enrichment_failed", "failed", 1, "invalid_response"};
    case profile::provider: return {"enrichment_failed", "failed", max_attempts, "provider_error"};
    case profile::rate_limited: return {"enrichment_failed", "failed", max_attempts, "rate_limited"};
  }
  return {"?", "?", 0, nullptr};
}

/// Everything checked of one final lead: its view (at min_position) equals the
/// last step of its replay, key by key; its status and events fit its class.
/// `exact` (the main run): counted failures exactly as the class says; else
/// (after a crash) at most max_attempts, and flaky leads may have fewer.
void check_lead(http_client& c, const lead_spec& l, bool exact) {
  INFO("lead " << l.id << " (" << name_of(l.kind) << ")");
  auto rr = c.get("/v1/leads/" + l.id + "/replay", audit_token);
  INFO("replay: " << rr.status << " " << rr.body.substr(0, 4000));
  REQUIRE(rr.status == 200);
  auto replay = parse_json(rr.body);
  const auto& steps = arr(replay, "steps");
  REQUIRE(steps.Size() > 0);
  CHECK(str(replay, "integrity") == "verified");
  const auto& last = steps[steps.Size() - 1];
  const long long last_position = num(obj(last, "event"), "position");
  CHECK(last_position > 0);
  auto vr = get_view(c, l.id, last_position);
  INFO("view: " << vr.status << " " << vr.body);
  REQUIRE(vr.status == 200);
  auto view = parse_json(vr.body);
  const auto& folded = obj(last, "state");
  const std::string diff = diff_keys(view, folded);
  INFO("view vs replay differ in:\n" << diff);
  CHECK(diff.empty());
  CHECK(num(view, "version") == static_cast<long long>(steps.Size()));
  CHECK(view_is_final(view));

  const expectation want = expected_for(l.kind);
  CHECK(str(view, "status") == want.status);
  const auto& enr = obj(view, "enrichment");
  CHECK(str(enr, "state") == want.enrichment_state);
  if (want.last_error) CHECK(str(enr, "last_error") == want.last_error);
  else CHECK(is_null(enr, "last_error"));

  const lead_events ev = count_events(steps);
  INFO("events: qualified " << ev.qualified << ", enriched " << ev.enriched << ", counted failures "
                            << ev.counted_failures << ", fail-fasts " << ev.fail_fasts);
  CHECK(ev.qualified == 1);
  CHECK(ev.counted_failures <= max_attempts * (l.kind == profile::ig_and_yt ? 2 : 1));
  if (l.kind == profile::disposable) {
    CHECK(str(obj(view, "qualification"), "outcome") == "disqualified");
    bool disposable = false;
    for (const auto& r : arr(obj(view, "qualification"), "reasons").GetArray())
      disposable |= r.IsString() && std::string(r.GetString()) == "disposable_email";
    CHECK(disposable);
  }
  const auto& social = obj(view, "social");
  switch (l.kind) {
    case profile::ordinary:
    case profile::flaky_1:
    case profile::flaky_2:
      CHECK(has(social, "instagram"));
      CHECK(ev.enriched == 1);
      break;
    case profile::ig_and_yt:
      CHECK(has(social, "instagram"));
      CHECK(has(social, "youtube"));
      CHECK(ev.enriched == 2);
      break;
    case profile::yt_only:
      CHECK(has(social, "youtube"));
      CHECK(ev.enriched == 1);
      break;
    default:
      CHECK(ev.enriched == 0);
      break;
  }
  const bool final_failure = want.failures > 0 && std::string(want.status) == "enrichment_failed";
  if (final_failure) {
    CHECK(ev.last_failure_final);
    for (const auto& cls : ev.failure_classes) CHECK(cls == want.last_error);
  }
  if (l.kind == profile::flaky_1 || l.kind == profile::flaky_2)
    for (const auto& cls : ev.failure_classes) CHECK(cls == "provider_error");  // err_transient: code 2, is_transient
  if (exact) {
    CHECK(ev.counted_failures == want.failures);
    // attempts counts real calls: every counted failure, plus the success
    const long long calls = want.failures + (std::string(want.enrichment_state) == "succeeded" ? 1 : 0);
    if (l.kind != profile::ig_and_yt && std::string(want.enrichment_state) != "not_needed")
      CHECK(num(enr, "attempts") == calls);
  } else if (final_failure) {
    // The retryable classes end at exactly max_attempts, the final ones at 1;
    // a call in flight when the server died left no event (it is made again).
    CHECK(ev.counted_failures == want.failures);
  } else {
    CHECK(ev.counted_failures <= want.failures);
  }
}

/// The value of the Prometheus sample `name{...label_value...}` in `text`, 0 if absent.
double gauge_value(const std::string& text, const std::string& name, const std::string& label_value) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0 || line.find("\"" + label_value + "\"") == std::string::npos) continue;
    auto sp = line.rfind(' ');
    if (sp != std::string::npos) return std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return 0;
}

std::string summary(const std::vector<lead_spec>& leads) {
  std::map<std::string, int> n;
  for (const auto& l : leads) ++n[name_of(l.kind)];
  std::string out;
  for (const auto& [k, v] : n) out += k + "=" + std::to_string(v) + " ";
  return out;
}

/// Posts every lead's signup (4 connections), waits until each reaches a final
/// state (at most `cap`), then checks each one's events and view exactly.
void drive_to_final(server_process& srv, std::vector<lead_spec>& leads, std::chrono::seconds cap) {
  INFO("classes: " << summary(leads));
  auto problems = post_all(srv.port(), leads, 4);
  INFO("first refused signups:\n" << (problems.empty() ? "" : problems.front()));
  REQUIRE(problems.empty());

  auto open = wait_all_final(srv.port(), leads, cap);
  if (!open.empty()) {
    std::string sample;
    int k = 0;
    for (const auto& [id, last] : open) {
      if (k++ == 5) break;
      sample += id + ": " + last + "\n";
    }
    const std::string err = srv.stderr_text();
    FAIL_CHECK(open.size() << " leads did not reach a final state within the cap; e.g.\n"
                           << sample << "server stderr (tail):\n"
                           << err.substr(err.size() > 3000 ? err.size() - 3000 : 0));
  }
  REQUIRE(open.empty());
  http_client c = srv.client();
  for (const auto& l : leads) check_lead(c, l, /*exact=*/true);
}

} // namespace

TEST_CASE("1,000 signups of every profile class reach a final state that their replay agrees with",
          "[e2e][pipeline]") {
  simulator_process sim;
  server_options so;
  so.extra_toml = discovery_toml(sim.port(), 2000, max_attempts);
  server_process srv(so);
  srv.start();

  auto leads = make_leads("pl-" + unique_suffix(), 1000, main_profile);
  drive_to_final(srv, leads, std::chrono::seconds(150));
  http_client c = srv.client();

  // The stats projection saw the same: every lead final, nothing retrying.
  auto st = c.get("/v1/stats", read_token);
  REQUIRE(st.status == 200);
  auto stats = parse_json(st.body);
  INFO("stats: " << st.body);
  CHECK(num(obj(stats, "signups"), "total") == 1000);
  CHECK(num(obj(stats, "enrichment"), "retrying") == 0);
  check_healthy(srv);
}

TEST_CASE("after a SIGKILL with enrichment calls in flight every lead still reaches a final state once",
          "[e2e][pipeline][restart]") {
  // Once with the default number of live lead actors, once with 4 (each
  // answer after the restart then mostly finds its lead passivated).
  const bool few_live_actors = GENERATE(false, true);
  INFO("live lead actors: " << (few_live_actors ? "at most 4, idle after 50 ms" : "the default"));
  simulator_process sim(300);  // every answer takes 300 ms: calls are in flight when the server dies
  server_options so;
  so.extra_toml = discovery_toml(sim.port(), 3000, max_attempts) +
                  (few_live_actors ? "\n[actors]\nmax_live_leads = 4\npassivate_after_ms = 50\n" : "");
  server_process srv(so);
  srv.start();

  // 160 ordinary, 20 flaky_1, 20 provider errors (retried to the limit).
  auto leads = make_leads("pk-" + unique_suffix(), 200, [](int i) {
    if (i % 10 == 3) return profile::flaky_1;
    if (i % 10 == 7) return profile::provider;
    return profile::ordinary;
  });
  auto problems = post_all(srv.port(), leads, 4);
  INFO("first refused signups:\n" << (problems.empty() ? "" : problems.front()));
  REQUIRE(problems.empty());

  // Calls in flight (32 at a time, 300 ms each; 5 s at most).
  http_client mc = srv.client();
  double in_flight = 0;
  for (int i = 0; i < 100 && in_flight == 0; ++i) {
    auto m = mc.try_request("GET", "/metrics", {}, {bearer(admin_token)});
    in_flight = gauge_value(m.body, "leadbase_provider_in_flight_calls", "instagram");
    if (in_flight == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // A little later: the first calls have answered (some leads final, some
  // waiting for a retry) and the next ones are in flight.
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  const auto before = wait_all_final(srv.port(), leads, std::chrono::seconds(0));
  const double in_flight_at_kill = gauge_value(
      mc.try_request("GET", "/metrics", {}, {bearer(admin_token)}).body, "leadbase_provider_in_flight_calls",
      "instagram");
  srv.kill();
  WARN("killed with " << in_flight_at_kill << " Instagram calls in flight (" << in_flight << " first seen) and "
                      << before.size() << " of " << leads.size() << " leads not final");
  CHECK(in_flight > 0);
  CHECK(before.size() > 0);
  srv.restart();

  auto open = wait_all_final(srv.port(), leads, std::chrono::seconds(120));
  if (!open.empty()) {
    const auto& [id, last] = *open.begin();
    FAIL_CHECK(open.size() << " leads did not reach a final state after the restart; e.g. " << id << ": " << last
                           << "\nserver stderr:\n"
                           << srv.stderr_text().substr(0, 3000));
  }
  REQUIRE(open.empty());
  http_client c = srv.client();
  for (const auto& l : leads) check_lead(c, l, /*exact=*/false);
  check_healthy(srv);
}

TEST_CASE("with 4 live lead actors, signups of every class still reach the same final states", "[e2e][pipeline]") {
  // Passivation on nearly every message: each signup evicts another lead,
  // Creator Discovery answers and retries mostly find their lead passivated
  // (held while it drains, or rehydrated from the log), and idle leads stop
  // after 50 ms. None of that may change what a lead ends as.
  simulator_process sim;
  server_options so;
  so.extra_toml = discovery_toml(sim.port(), 2000, max_attempts) + "\n[actors]\nmax_live_leads = 4\npassivate_after_ms = 50\n";
  server_process srv(so);
  srv.start();

  auto leads = make_leads("lru-" + unique_suffix(), 300, main_profile);
  drive_to_final(srv, leads, std::chrono::seconds(120));
  check_healthy(srv);
  CHECK(srv.stop() == 0);
}
