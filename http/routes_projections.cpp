// Projection operations: POST /v1/admin/projections/rebuild and
// GET /v1/admin/projections (scope admin). Readiness (GET /readyz) is decided
// by actors/health.hpp.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

#include "actors/health.hpp"
#include "events/json.hpp"
#include "events/logging.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"

namespace leadbase::http {
namespace {

void write_info(json_writer& w, const projections::runner_info& i) {
  w.StartObject();
  w.Key("name");
  w.String(i.name.c_str(), static_cast<rapidjson::SizeType>(i.name.size()));
  w.Key("position");
  w.Uint64(i.position);
  w.Key("head");
  w.Uint64(i.head);
  w.Key("lag_events");
  w.Uint64(i.lag_events);
  w.Key("lag_seconds");
  w.Double(std::round(i.lag_seconds * 1000.0) / 1000.0);
  w.Key("state");
  w.String(to_string(i.state));
  w.Key("progress");
  w.Double(std::round(i.progress * 10000.0) / 10000.0);
  w.Key("rebuild_error");  // the last rebuild failed and the old projection serves on
  if (i.rebuild_error.empty())
    w.Null();
  else
    w.String(i.rebuild_error.c_str(), static_cast<rapidjson::SizeType>(i.rebuild_error.size()));
  // Events skipped because the log cannot read them (projections/runner.hpp, damage).
  w.Key("damaged_events");
  w.Uint64(i.damaged_events);
  w.Key("damaged");
  w.StartArray();
  for (const auto& d : i.damaged) {
    w.StartObject();
    w.Key("position");
    w.Uint64(d.position);
    w.Key("lead_id");
    if (d.lead_id.empty()) w.Null();
    else w.String(d.lead_id.c_str(), static_cast<rapidjson::SizeType>(d.lead_id.size()));
    w.Key("version");
    if (d.version == 0) w.Null();
    else w.Uint64(d.version);
    w.Key("error");
    w.String(d.reason.c_str(), static_cast<rapidjson::SizeType>(d.reason.size()));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

/// The runners the routes manage: the views', then the stats'.
std::vector<projections::projection_runner*> runners(const api_context& ctx) {
  std::vector<projections::projection_runner*> out;
  if (ctx.projections != nullptr) out.push_back(ctx.projections);
  if (ctx.stats_runner != nullptr) out.push_back(ctx.stats_runner);
  return out;
}

void get_projections(api_context& ctx, request&, responder respond) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("projections");
  w.StartArray();
  for (auto* runner : runners(ctx)) write_info(w, runner->info());
  w.EndArray();
  w.EndObject();
  respond(json_response(200, buf.GetString()));
}

/// POST /v1/admin/projections/rebuild[?projection=NAME]: every projection, or the one named.
void post_rebuild(api_context& ctx, request& req, responder respond) {
  std::vector<projections::projection_runner*> chosen;
  const auto* name = req.query_param("projection");
  for (auto* runner : runners(ctx))
    if (!name || *name == runner->info().name) chosen.push_back(runner);
  if (name && chosen.empty())
    return respond(to_response(validation_problem("projection", "no projection of that name")));
  if (chosen.empty())
    return respond(to_response(make_problem(problem_kind::overloaded, "the projection runner is not running")));
  for (auto* runner : chosen)
    if (runner->info().state == projections::runner_state::stopped)
      return respond(to_response(make_problem(problem_kind::overloaded, "the projection runner is not running")));
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("projections");
  w.StartArray();
  for (auto* runner : chosen) {
    runner->rebuild();
    module_logger("projections")->info("rebuild of projection {} requested by {}", runner->info().name, req.principal);
    auto i = runner->info();
    i.state = projections::runner_state::rebuilding;  // the thread picks the request up at once
    write_info(w, i);
  }
  w.EndArray();
  w.EndObject();
  respond(json_response(202, buf.GetString()));
}

} // namespace

readiness projections_readiness(const api_context& ctx) {
  return check_readiness({ctx.log, ctx.leads, ctx.projections, ctx.stats_runner});
}

void add_projection_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/admin/projections", scope::admin,
        [&ctx](request& q, responder s) { get_projections(ctx, q, std::move(s)); });
  route_options any_body;
  any_body.content_types = {};  // no body expected; accept whatever a client sends
  r.add("POST", "/v1/admin/projections/rebuild", scope::admin,
        [&ctx](request& q, responder s) { post_rebuild(ctx, q, std::move(s)); }, any_body);
}

} // namespace leadbase::http
