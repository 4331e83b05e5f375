// GET /v1/alerts (scope read): the conditions of the shipped Prometheus
// alerting rules that hold now, evaluated on the server's own figures
// (http/alert_rules.hpp has the table and the evaluation; this file gathers
// the figures and renders the answer):
//   {"alerts":[{"name","severity","state":"pending"|"firing","since","summary",
//               "labels":{…},"value","threshold","for_s"}]}
// `since` is when the condition began to hold, without a break; a pending
// alert has not held for the rule's `for` yet (Prometheus says the same).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "actors/health.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"
#include "storage/backup_service.hpp"

namespace leadbase::http {
namespace {

bool ingest_route(const std::string& pattern) { return pattern == "/v1/signups" || pattern == "/v1/events"; }

void stats_figures(api_context& ctx, alerts::figures& f) {
  f.stats_ready = ctx.stats != nullptr && ctx.stats_runner != nullptr && stats_readiness(*ctx.stats_runner).ready;
  if (!f.stats_ready) return;
  for (const auto& r : alerts::rule_table()) {
    if (r.window == 0 || f.stats.count(r.window)) continue;
    auto report = ctx.stats->report(r.window, f.now);
    if (!report) {
      f.stats_ready = false;  // unreadable stats: no alert is decided on them
      return;
    }
    const stats_report& rep = *report;
    alerts::figures::windowed w;
    w.enrichment_success_rate = rep.success_rate;
    if (rep.processing_p95_ms) w.processing_p95_s = static_cast<double>(*rep.processing_p95_ms) / 1000.0;
    w.signups = rep.signups_in_window;
    f.stats.emplace(r.window, w);
  }
  auto counters = ctx.stats->counters();
  if (!counters) {
    f.stats_ready = false;
    return;
  }
  f.enrichment_retrying = counters->enrichment_retrying;
}

void render_alert(json_writer& w, const alerts::active_alert& a) {
  w.StartObject();
  w.Key("name");
  w.String(a.name.c_str());
  w.Key("severity");
  w.String(a.severity.c_str());
  w.Key("state");
  w.String(a.firing ? "firing" : "pending");
  w.Key("since");
  const std::string since = format_time(a.since);
  w.String(since.c_str());
  w.Key("summary");
  w.String(a.summary.c_str());
  w.Key("labels");
  w.StartObject();
  if (!a.label.empty()) {
    w.Key(a.label.c_str());
    w.String(a.label_value.c_str());
  }
  w.EndObject();
  w.Key("value");
  w.Double(a.value);
  w.Key("threshold");
  w.Double(a.threshold);
  w.Key("for_s");
  w.Int64(a.hold / 1000);
  w.EndObject();
}

void get_alerts(api_context& ctx, responder respond) {
  const auto active = evaluate_alerts(ctx);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("alerts");
  w.StartArray();
  for (const auto& a : active) render_alert(w, a);
  w.EndArray();
  w.EndObject();
  response res = json_response(200, std::string(buf.GetString(), buf.GetSize()));
  res.set_header("Cache-Control", "no-store");
  respond(std::move(res));
}

} // namespace

alerts::figures alert_figures(api_context& ctx, millis now) {
  alerts::figures f;
  f.now = now;
  stats_figures(ctx, f);
  f.log_writable = ctx.log == nullptr || !ctx.log->write_failure();
  f.write_actors_up = ctx.leads == nullptr || !ctx.leads->failure();
  if (ctx.http_stats)
    for (const auto& row : ctx.http_stats()) {
      if (!ingest_route(row.pattern)) continue;
      f.ingest_requests += row.count;
      f.ingest_5xx += row.by_class[4];
    }
  const auto providers = ctx.providers ? ctx.providers() : ctx.leads ? ctx.leads->providers()
                                                                     : std::vector<provider_status>{};
  for (const auto& p : providers) f.breakers.emplace_back(to_string(p.network), p.breaker);
  for (const auto& row : projection_rows(ctx))
    f.projections.push_back({row.name, projection_lag_seconds(ctx, row, now), row.damaged_events});
  if (ctx.backups) {
    const auto b = ctx.backups->current();
    if (b.last_success) f.backup_last_success_s = static_cast<double>(*b.last_success) / 1000.0;
  }
  return f;
}

std::vector<alerts::active_alert> evaluate_alerts(api_context& ctx) {
  return ctx.alerts->evaluate(alert_figures(ctx, now_millis()));
}

alert_watch::alert_watch(api_context& ctx, std::chrono::milliseconds interval) {
  thread_ = std::thread([this, &ctx, interval] {
    std::unique_lock<std::mutex> lock(m_);
    while (!stop_) {
      lock.unlock();
      evaluate_alerts(ctx);
      lock.lock();
      cv_.wait_for(lock, interval, [this] { return stop_; });
    }
  });
}

alert_watch::~alert_watch() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void add_alert_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/alerts", scope::read, [&ctx](request&, responder s) { get_alerts(ctx, s); });
}

} // namespace leadbase::http
