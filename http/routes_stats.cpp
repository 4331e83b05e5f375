// GET /v1/stats (the seed's four metrics and the work figures) and GET /v1/stats/series (per-step
// points for charts), scope read, from the stats projection
// (projections/stats_projection.hpp). Never a figure from part of the log:
// 503 with Retry-After until the stats runner caught up after the start
// (actors/health.hpp stats_readiness).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/health.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "http/query_params.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"

namespace leadbase::http {
namespace {

void write_optional(json_writer& w, const std::optional<double>& v) {
  if (v) w.Double(*v);
  else w.Null();
}
void write_optional(json_writer& w, const std::optional<int64_t>& v) {
  if (v) w.Int64(*v);
  else w.Null();
}

/// "work": the stages now, the window's expired claims, contacts by outcome
/// and first contact time.
void work_json(json_writer& w, const stats_report& r) {
  w.Key("work");
  w.StartObject();
  w.Key("claimed");
  w.Uint64(r.work_claimed);
  w.Key("contacted");
  w.Uint64(r.work_contacted);
  w.Key("meeting_booked");
  w.Uint64(r.work_meeting_booked);
  w.Key("closed");
  w.Uint64(r.work_closed);
  w.Key("expired_claims");
  w.Uint64(r.expired_claims);
  w.Key("by_outcome");
  w.StartObject();
  for (const auto& [outcome, n] : r.contacts_by_outcome) {
    w.Key(outcome.c_str(), static_cast<rapidjson::SizeType>(outcome.size()));
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("first_contact_ms");
  w.StartObject();
  w.Key("mean");
  write_optional(w, r.first_contact_mean_ms);
  w.Key("p50");
  write_optional(w, r.first_contact_p50_ms);
  w.Key("p95");
  write_optional(w, r.first_contact_p95_ms);
  w.EndObject();
  w.EndObject();
}

std::string stats_json(const stats_report& r) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("signups");
  w.StartObject();
  w.Key("total");
  w.Uint64(r.signups_total);
  w.Key("in_window");
  w.Uint64(r.signups_in_window);
  w.EndObject();
  w.Key("enrichment");
  w.StartObject();
  w.Key("success_rate");
  write_optional(w, r.success_rate);
  w.Key("succeeded");
  w.Uint64(r.succeeded);
  w.Key("failed");
  w.Uint64(r.failed);
  w.Key("retrying");
  w.Uint64(r.retrying);
  w.Key("failures_by_class");
  w.StartObject();
  for (const auto& [cls, n] : r.failures_by_class) {
    w.Key(cls.c_str(), static_cast<rapidjson::SizeType>(cls.size()));
    w.Uint64(n);
  }
  w.EndObject();
  w.EndObject();
  w.Key("coverage");
  w.StartObject();
  w.Key("complete_ratio");
  write_optional(w, r.coverage_complete_ratio);
  w.Key("mean");
  write_optional(w, r.coverage_mean);
  w.EndObject();
  w.Key("processing_ms");
  w.StartObject();
  w.Key("mean");
  write_optional(w, r.processing_mean_ms);
  w.Key("p50");
  write_optional(w, r.processing_p50_ms);
  w.Key("p95");
  write_optional(w, r.processing_p95_ms);
  w.Key("p99");
  write_optional(w, r.processing_p99_ms);
  w.EndObject();
  w.Key("queues");
  w.StartObject();
  w.Key("sdr");
  w.Uint64(r.queue_sdr);
  w.Key("ldr");
  w.Uint64(r.queue_ldr);
  w.EndObject();
  work_json(w, r);
  w.EndObject();
  return buf.GetString();
}

std::string series_json(const stats_series& s) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("step_s");
  w.Int64(s.step_ms / 1000);
  w.Key("points");
  w.StartArray();
  for (const stats_point& p : s.points) {
    w.StartObject();
    w.Key("at");
    const std::string at = format_time(p.at);
    w.String(at.c_str(), static_cast<rapidjson::SizeType>(at.size()));
    w.Key("signups");
    w.Int64(p.signups);
    w.Key("enrichment_succeeded");
    w.Int64(p.enrichment_succeeded);
    w.Key("enrichment_failed");
    w.Int64(p.enrichment_failed);
    w.Key("processing_ms_p95");
    write_optional(w, p.processing_ms_p95);
    w.Key("contacts");
    w.Int64(p.contacts);
    w.Key("meetings_booked");
    w.Int64(p.meetings_booked);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

/// 503 (with Retry-After) unless the stats may answer; nullopt when they may.
std::optional<response> stats_unavailable(const api_context& ctx) {
  if (ctx.stats == nullptr || ctx.stats_runner == nullptr)
    return problem_response(problem_kind::overloaded, "the stats projection is not running");
  if (auto r = stats_readiness(*ctx.stats_runner); !r.ready) return problem_response(problem_kind::overloaded, r.detail);
  return std::nullopt;
}

/// Runs `answer(true)` once the stats reached min_position, `answer(false)` when the wait ran out.
void after_min_position(const api_context& ctx, const read_wait& wait, std::function<void(bool)> answer) {
  const global_position min_position = wait.min_position.value_or(0);
  if (min_position == 0 || ctx.stats_runner->position() >= min_position) return answer(true);
  if (wait.wait.count() == 0) return answer(false);
  ctx.stats_runner->when_reached(min_position, wait.wait, std::move(answer));
}

void get_stats(api_context& ctx, request& req, responder respond) {
  millis window = 3'600'000;
  if (const std::string* w = req.query_param("window")) {
    auto parsed = parse_window(*w);
    if (!parsed)
      return respond(to_response(
          validation_problem("window", "must be a positive integer with a unit s, m, h, d or w (e.g. 15m, 1h, 7d)")));
    window = *parsed;
  }
  read_wait wait;
  if (auto p = parse_read_wait(req, wait)) return respond(to_response(*p));
  if (auto refused = stats_unavailable(ctx)) return respond(std::move(*refused));
  stats_projection* store = ctx.stats;
  after_min_position(ctx, wait, [store, window, respond](bool reached) {
    if (!reached)
      return respond(problem_response(problem_kind::overloaded, "the stats projection has not reached min_position yet"));
    auto report = store->report(window, now_millis());
    if (!report) return respond(problem_response(report.err()));
    respond(json_response(200, stats_json(*report)));
  });
}

/// window and step of GET /v1/stats/series, or the 422 problem of the first bad one.
std::optional<problem> parse_series(const request& req, millis& window, millis& step) {
  window = 24 * hour_ms;
  step = hour_ms;
  const char* units = "a positive integer with a unit s, m, h, d or w (e.g. 5m, 1h, 24h)";
  if (const std::string* w = req.query_param("window")) {
    auto parsed = parse_window(*w);
    if (!parsed) return validation_problem("window", std::string("must be ") + units);
    window = *parsed;
  }
  if (const std::string* s = req.query_param("step")) {
    auto parsed = parse_window(*s);
    if (!parsed) return validation_problem("step", std::string("must be ") + units);
    step = *parsed;
  }
  if (step < min_series_step || step > max_series_step || step % minute_ms != 0)
    return validation_problem("step", "must be a whole number of minutes from 1m to 24h");
  if (window < step || window > max_series_window)
    return validation_problem("window", "must be at least one step and at most 31d");
  if ((window + step - 1) / step > static_cast<millis>(max_series_points))
    return validation_problem("window", "gives more than " + std::to_string(max_series_points) +
                                            " points at this step: widen the step or narrow the window");
  return std::nullopt;
}

void get_series(api_context& ctx, request& req, responder respond) {
  millis window = 0, step = 0;
  if (auto p = parse_series(req, window, step)) return respond(to_response(*p));
  read_wait wait;
  if (auto p = parse_read_wait(req, wait)) return respond(to_response(*p));
  if (auto refused = stats_unavailable(ctx)) return respond(std::move(*refused));
  stats_projection* store = ctx.stats;
  after_min_position(ctx, wait, [store, window, step, respond](bool reached) {
    if (!reached)
      return respond(problem_response(problem_kind::overloaded, "the stats projection has not reached min_position yet"));
    auto series = store->series(window, step, now_millis());
    if (!series) return respond(problem_response(series.err()));
    respond(json_response(200, series_json(*series)));
  });
}

} // namespace

void add_stats_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/stats", scope::read, [&ctx](request& q, responder s) { get_stats(ctx, q, s); });
  r.add("GET", "/v1/stats/series", scope::read, [&ctx](request& q, responder s) { get_series(ctx, q, s); });
}

} // namespace leadbase::http
