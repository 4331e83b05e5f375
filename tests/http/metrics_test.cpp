// GET /metrics and GET /v1/stats: the metrics writer, the rendered families
// from a populated registry (checked by `promtool check metrics` when it is
// installed), the alerting rules' metrics against them, and the /v1/stats document.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include <rapidjson/document.h>

#include "actors/health.hpp"
#include "actors/service.hpp"
#include "http/api.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/captured_responder.hpp"

using namespace leadbase;
using namespace leadbase::http;

namespace {

constexpr millis t0 = 1'800'000'000'000;

/// A stats projection on its own log with a few leads whose ids and emails
/// must never show up, driven by a started runner. `held`: its first build
/// waits until `hold` turns false (the runner has not caught up meanwhile).
struct stats_fixture {
  test::log_fixture lf;
  stats_projection stats{*lf.log, stats_options{}, log_state_loader(*lf.log)};
  std::atomic<bool> hold{false};
  std::unique_ptr<projections::projection_runner> runner;

  explicit stats_fixture(bool held = false) : hold(held) {
    auto add = [this](const std::string& lead, millis at, payload p) { lf.append(lead, {std::move(p)}, at, at); };
    add("u-secret-1", t0, test::sample_signup());
    add("u-secret-1", t0 + 100, test::sample_qualified());
    add("u-secret-1", t0 + 900, test::sample_failure(true, 1, "timeout"));
    add("u-secret-1", t0 + 4000, test::sample_enriched());
    add("u-secret-2", t0, test::sample_signup());
    add("u-secret-2", t0 + 100, test::sample_qualified());
    add("u-secret-2", t0 + 2000, test::sample_failure(false, 6, "not_found"));
    add("u-secret-3", t0, test::sample_signup());
    add("u-secret-3", t0 + 100, test::sample_qualified());
    add("u-secret-3", t0 + 2000, test::sample_failure(true, 1, "rate_limited"));
    // Work: ana claims u-secret-1 and books a meeting; u-secret-3's claim lapses.
    add("u-secret-1", t0 + 5000, assigned{"ana-secret", "ana-secret", assign_how::claim, t0 + 10000});
    contact_logged met;
    met.by = "ana-secret";
    met.result = contact_outcome::meeting_booked;
    met.contacted_at = t0 + 6000;
    add("u-secret-1", t0 + 6000, met);
    add("u-secret-3", t0 + 5000, assigned{"ana-secret", "ana-secret", assign_how::claim, t0 + 8000});
    add("u-secret-3", t0 + 8000, released{"ana-secret", "system", release_reason::expired});
    auto o = with_stats_rebuild(stats);
    o.rebuild_beside = [this, build = o.rebuild_beside](const projections::rebuild_progress& progress,
                                                        const std::atomic<bool>& cancel) {
      while (hold && !cancel) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return build(progress, cancel);
    };
    auto r = projections::projection_runner::open(*lf.log, stats, o);
    REQUIRE(r);
    runner = std::move(*r);
    REQUIRE(runner->start());
    if (held) return;
    for (int i = 0; i < 1000 && !runner->info().caught_up; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(runner->info().caught_up);
  }
};

std::unique_ptr<stats_fixture> populated_stats(bool held = false) { return std::make_unique<stats_fixture>(held); }

route_stats_snapshot route_row(std::string method, std::string pattern, uint64_t ok, uint64_t server_errors) {
  route_stats_snapshot r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.by_class[1] = ok;
  r.by_class[4] = server_errors;
  r.count = ok + server_errors;
  r.latency_sum_s = 0.004 * static_cast<double>(r.count);
  for (size_t i = 0; i < r.cumulative_buckets.size(); ++i) r.cumulative_buckets[i] = i >= 2 ? r.count : 0;
  return r;
}

struct populated {
  test::temp_dir dir;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<lead_service> leads;
  std::unique_ptr<stats_fixture> stats = populated_stats();
  api_context ctx;

  populated() {
    storage::log_options lo;
    lo.dir = dir.str();
    auto opened = storage::event_log::open(lo);
    REQUIRE(opened);
    log = std::move(*opened);
    auto started = actors::start_lead_service(*log, actors::service_options{});
    REQUIRE(started);
    leads = std::move(*started);
    ctx.log = log.get();
    ctx.leads = leads.get();
    ctx.stats = &stats->stats;
    ctx.stats_runner = stats->runner.get();
    ctx.http_stats = [] {
      return std::vector<route_stats_snapshot>{route_row("GET", "/v1/leads/{lead_id}", 3, 0),
                                               route_row("POST", "/v1/signups", 10, 1),
                                               route_row("", "unmatched", 0, 0)};
    };
    ctx.providers = [] {
      provider_status p;
      p.network = network::instagram;
      p.breaker = "open";
      p.calls = 12;
      p.successes = 7;
      p.failures = {{"timeout", 3}, {"provider_error", 2}};
      p.breaker_opened = 1;
      return std::vector<provider_status>{p};
    };
    ctx.metrics_contributors.push_back(
        [](metrics_writer& m) { m.gauge("leadbase_test_contributed", "From another module.", 42); });
  }
};

bool promtool_available() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

} // namespace

TEST_CASE("metrics writer: families grouped, HELP/TYPE once, escaping, bad samples dropped", "[ops]") {
  metrics_writer m;
  m.counter("leadbase_a_total", "A \\ counter\nwith two lines.", 1, {{"k", "v"}});
  m.gauge("leadbase_b", "B.", 0.25);
  m.counter("leadbase_a_total", "ignored", 2, {{"k", "quote\" back\\slash\nnewline"}});
  m.gauge("leadbase_a_total", "type clash", 3);  // dropped
  m.gauge("0bad", "bad name", 1);                 // dropped
  m.gauge("leadbase_c", "bad label", 1, {{"__reserved", "x"}});  // dropped
  m.histogram("leadbase_h_seconds", "H.", {0.0005, 1}, {1, 2, 3}, 1.5, {{"route", "/x"}});
  m.histogram("leadbase_h2_seconds", "H2.", {1}, {1}, 0);  // malformed: dropped
  CHECK(m.dropped() == 4);
  const std::string text = m.str();
  CHECK(text ==
        "# HELP leadbase_a_total A \\\\ counter\\nwith two lines.\n"
        "# TYPE leadbase_a_total counter\n"
        "leadbase_a_total{k=\"v\"} 1\n"
        "leadbase_a_total{k=\"quote\\\" back\\\\slash\\nnewline\"} 2\n"
        "# HELP leadbase_b B.\n"
        "# TYPE leadbase_b gauge\n"
        "leadbase_b 0.25\n"
        "# HELP leadbase_h_seconds H.\n"
        "# TYPE leadbase_h_seconds histogram\n"
        "leadbase_h_seconds_bucket{route=\"/x\",le=\"0.0005\"} 1\n"
        "leadbase_h_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"
        "leadbase_h_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"
        "leadbase_h_seconds_sum{route=\"/x\"} 1.5\n"
        "leadbase_h_seconds_count{route=\"/x\"} 3\n");
  CHECK(metrics_writer::format_value(1e300 * 1e300) == "+Inf");
  CHECK(metrics_writer::format_value(0.1) == "0.1");
  CHECK(metrics_writer::format_value(12345678) == "12345678");
}

/// Every `leadbase_…` name in the file at `path` (under the source dir) is a
/// family /metrics renders (a histogram's _bucket/_count/_sum series count as
/// the family). Returns how many names the file has.
static size_t check_metric_names_rendered(const std::string& path, const std::string& text) {
  std::ifstream in(std::string(LEADBASE_SOURCE_DIR) + "/" + path);
  REQUIRE(in);
  const std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::regex name("leadbase_[a-z_]+");
  size_t names = 0;
  for (auto it = std::sregex_iterator(rules.begin(), rules.end(), name); it != std::sregex_iterator(); ++it) {
    std::string metric = it->str();
    for (const char* suffix : {"_bucket", "_count", "_sum"})  // a histogram's series
      if (metric.size() > std::strlen(suffix) && metric.compare(metric.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        metric.resize(metric.size() - std::strlen(suffix));
    INFO(path << ": " << it->str());
    CHECK(text.find("# TYPE " + metric + " ") != std::string::npos);
    ++names;
  }
  return names;
}

TEST_CASE("every metric the alerting rules use is one /metrics renders", "[ops]") {
  populated p;
  CHECK(check_metric_names_rendered("deploy/prometheus/leadbase-alerts.yml", render_metrics(p.ctx)) >= 10);
}

TEST_CASE("every metric the Grafana dashboard charts is one /metrics renders", "[ops]") {
  populated p;
  CHECK(check_metric_names_rendered("deploy/grafana/leadbase-dashboard.json", render_metrics(p.ctx)) >= 20);
}

TEST_CASE("GET /metrics renders every family without lead data; promtool check metrics passes", "[ops][promtool]") {
  populated p;
  const std::string text = render_metrics(p.ctx);
  for (const char* needle : {
           "# TYPE leadbase_signups_total counter\nleadbase_signups_total 3\n",
           "leadbase_enrichment_outcomes_total{result=\"succeeded\"} 1\n",
           "leadbase_enrichment_outcomes_total{result=\"failed\"} 1\n",
           "leadbase_enrichment_failures_total{error_class=\"not_found\",final=\"true\"} 1\n",
           "leadbase_enrichment_failures_total{error_class=\"timeout\",final=\"false\"} 1\n",
           "leadbase_enrichment_retrying_leads 1\n",
           "# TYPE leadbase_processing_seconds histogram\n",
           "leadbase_processing_seconds_count 2\n",
           "leadbase_queue_leads{team=\"ldr\"} ",
           "leadbase_coverage_complete_ratio ",
           "leadbase_coverage_mean_ratio ",
           "leadbase_http_requests_total{method=\"POST\",route=\"/v1/signups\",status_class=\"5xx\"} 1\n",
           "leadbase_http_requests_total{method=\"GET\",route=\"/v1/leads/{lead_id}\",status_class=\"2xx\"} 3\n",
           "# TYPE leadbase_http_request_duration_seconds histogram\n",
           "# TYPE leadbase_journal_batch_appends histogram\n",
           "# TYPE leadbase_journal_write_duration_seconds histogram\n",
           "leadbase_journal_queued_appends 0\n",
           "leadbase_appends_in_flight 0\n",
           "leadbase_lead_actors_live ",
           "leadbase_log_writable 1\n",
           "leadbase_write_actors_up 1\n",
           "leadbase_projection_position{projection=\"stats\"} 14\n",
           "leadbase_projection_lag_events{projection=\"stats\"} 0\n",
           "leadbase_projection_lag_seconds{projection=\"stats\"} 0\n",
           "leadbase_provider_calls_total{provider=\"instagram\"} 12\n",
           "leadbase_provider_failures_total{provider=\"instagram\",error_class=\"timeout\"} 3\n",
           "leadbase_provider_circuit_state{provider=\"instagram\",state=\"open\"} 1\n",
           "leadbase_provider_circuit_state{provider=\"instagram\",state=\"closed\"} 0\n",
           "leadbase_test_contributed 42\n",
           "leadbase_work_leads{stage=\"meeting_booked\"} 1\n",
           "leadbase_work_leads{stage=\"unassigned\"} 2\n",
           "leadbase_work_leads{stage=\"assigned\"} 0\n",
           "leadbase_contacts_total{outcome=\"meeting_booked\"} 1\n",
           "leadbase_contacts_total{outcome=\"no_answer\"} 0\n",
           "leadbase_claims_expired_total 1\n",
           "# TYPE leadbase_first_contact_seconds histogram\n",
           "leadbase_first_contact_seconds_count 1\n",
       }) {
    INFO(needle);
    CHECK(text.find(needle) != std::string::npos);
  }
  // No lead data in labels (nor anywhere else).
  CHECK(text.find("u-secret") == std::string::npos);
  CHECK(text.find("anasouza") == std::string::npos);
  CHECK(text.find("exemplo.com") == std::string::npos);
  CHECK(text.find("ana-secret") == std::string::npos);  // no person's name either
  // Counters end in _total.
  size_t at = 0;
  while ((at = text.find("# TYPE ", at)) != std::string::npos) {
    size_t eol = text.find('\n', at);
    std::string line = text.substr(at, eol - at);
    if (line.size() > 8 && line.substr(line.size() - 8) == " counter") {
      INFO(line);
      CHECK(line.find("_total counter") != std::string::npos);
    }
    at = eol;
  }

  if (!promtool_available()) {
    WARN("promtool not installed: skipping `promtool check metrics`");
    return;
  }
  const std::string file = (p.dir.path() / "metrics.txt").string();
  std::ofstream(file) << text;
  const std::string cmd = "promtool check metrics < '" + file + "' > '" + file + ".out' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream out(file + ".out");
  std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  INFO("promtool check metrics said:\n" << report);
  CHECK(rc == 0);
}

namespace {

/// Calls the route as the server would (without auth) and captures the answer.
response call(router& r, const std::string& method, const std::string& target) {
  request req;
  req.method = method;
  req.target = target;
  auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) REQUIRE(parse_query(target.substr(q + 1), req.query));
  auto m = r.match(method, req.path, req.path_params);
  REQUIRE(m.kind == router::match_kind::found);
  response out;
  bool answered = false;
  m.matched->fn(req, leadbase::test::capture_responder([&](response res) {
                  out = std::move(res);
                  answered = true;
                }));
  REQUIRE(answered);
  return out;
}

} // namespace

TEST_CASE("GET /v1/stats answers docs/http-api.md's shape; a bad window is 422", "[ops]") {
  auto stats = populated_stats();
  api_context ctx;
  ctx.stats = &stats->stats;
  ctx.stats_runner = stats->runner.get();
  router r = make_api_router(ctx);

  auto res = call(r, "GET", "/v1/stats?window=7d");
  REQUIRE(res.status == 200);
  rapidjson::Document d;
  d.Parse(res.body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  CHECK(d.MemberCount() == 6);
  CHECK(d["signups"]["total"].GetUint64() == 3);
  CHECK(d["signups"].HasMember("in_window"));
  const auto& en = d["enrichment"];
  for (const char* k : {"success_rate", "succeeded", "failed", "retrying", "failures_by_class"}) CHECK(en.HasMember(k));
  CHECK(en["retrying"].GetUint64() == 1);
  CHECK(en["failures_by_class"].IsObject());
  for (const char* k : {"complete_ratio", "mean"}) CHECK(d["coverage"].HasMember(k));
  for (const char* k : {"mean", "p50", "p95", "p99"}) CHECK(d["processing_ms"].HasMember(k));
  for (const char* k : {"sdr", "ldr"}) CHECK(d["queues"][k].IsUint64());
  const auto& work = d["work"];
  REQUIRE(work.IsObject());
  CHECK(work.MemberCount() == 7);
  for (const char* k : {"claimed", "contacted", "closed", "expired_claims"}) CHECK(work[k].IsUint64());
  CHECK(work["meeting_booked"].GetUint64() == 1);  // a gauge: not windowed (the events lie in 2027)
  REQUIRE(work["by_outcome"].IsObject());
  CHECK(work["by_outcome"].MemberCount() == 6);
  for (const auto& m : work["by_outcome"].GetObject()) CHECK(m.value.IsUint64());
  for (const char* k : {"mean", "p50", "p95"}) CHECK(work["first_contact_ms"].HasMember(k));

  for (const char* bad : {"/v1/stats?window=junk", "/v1/stats?window=0m", "/v1/stats?window=1y",
                          "/v1/stats?min_position=x", "/v1/stats?wait_ms=20000"}) {
    INFO(bad);
    auto p = call(r, "GET", bad);
    CHECK(p.status == 422);
    CHECK(p.content_type == "application/problem+json");
  }
  SECTION("min_position beyond the projection waits, then answers 503") {
    auto p = call(r, "GET", "/v1/stats?min_position=999&wait_ms=0");
    CHECK(p.status == 503);
  }
  SECTION("no stats projection: 503") {
    api_context empty;
    router r2 = make_api_router(empty);
    CHECK(call(r2, "GET", "/v1/stats").status == 503);
  }
}

TEST_CASE("until the stats reach the log's head as of their start, /v1/stats is 503 with Retry-After and the "
          "instance is not ready",
          "[ops][startup]") {
  auto stats = populated_stats(/*held=*/true);  // the first build has not finished
  api_context ctx;
  ctx.stats = &stats->stats;
  ctx.stats_runner = stats->runner.get();
  router r = make_api_router(ctx);
  for (const char* path : {"/v1/stats", "/v1/stats/series"}) {
    auto partial = call(r, "GET", path);
    CHECK(partial.status == 503);
    CHECK_FALSE(partial.headers.get("Retry-After").empty());
  }
  test::temp_dir dir;
  storage::log_options o;
  o.dir = dir.str();
  o.sync = false;
  auto log = storage::event_log::open(o);
  REQUIRE(log);
  const auto verdict = check_readiness({log->get(), nullptr, nullptr, stats->runner.get()});
  CHECK_FALSE(verdict.ready);
  CHECK(verdict.detail == "the stats are catching up with the log after the start");

  stats->hold = false;
  for (int i = 0; i < 1000 && !stats->runner->info().caught_up; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(call(r, "GET", "/v1/stats").status == 200);
  CHECK(check_readiness({log->get(), nullptr, nullptr, stats->runner.get()}).ready);
}

TEST_CASE("GET /v1/stats/series answers docs/http-api.md's shape; bad bounds are 422 problems", "[ops]") {
  auto stats = populated_stats();
  api_context ctx;
  ctx.stats = &stats->stats;
  ctx.stats_runner = stats->runner.get();
  router r = make_api_router(ctx);
  auto res = call(r, "GET", "/v1/stats/series?window=24h&step=1h");
  REQUIRE(res.status == 200);
  rapidjson::Document d;
  d.Parse(res.body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d.MemberCount() == 2);
  CHECK(d["step_s"].GetInt64() == 3600);
  REQUIRE(d["points"].IsArray());
  REQUIRE(d["points"].Size() == 24);
  for (const auto& p : d["points"].GetArray()) {
    CHECK(p.MemberCount() == 7);
    CHECK(p["at"].IsString());
    for (const char* k : {"signups", "enrichment_succeeded", "enrichment_failed", "contacts", "meetings_booked"})
      CHECK(p[k].IsInt64());
    CHECK((p["processing_ms_p95"].IsNull() || p["processing_ms_p95"].IsInt64()));
  }
  CHECK(call(r, "GET", "/v1/stats/series").status == 200);  // defaults: 24h, 1h
  for (const char* bad : {"/v1/stats/series?step=30s", "/v1/stats/series?step=2d", "/v1/stats/series?step=junk",
                          "/v1/stats/series?window=32d", "/v1/stats/series?window=30m&step=1h",
                          "/v1/stats/series?window=7d&step=1m", "/v1/stats/series?wait_ms=20000"}) {
    INFO(bad);
    auto p = call(r, "GET", bad);
    CHECK(p.status == 422);
    CHECK(p.content_type == "application/problem+json");
  }
}
