// Working the leads (docs/http-api.md "Working leads"; scope work, the acting person is
// the token's name): who am I, claim next, claim, release, log a contact; and
// an admin's assignment of a lead to a named person.
// Parse, call the write side (the lead decides, events/decide.hpp), render.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/claim_next.hpp"
#include "events/ids.hpp"
#include "events/json.hpp"
#include "events/json_write.hpp"
#include "http/api.hpp"
#include "http/append_answer.hpp"
#include "http/problem.hpp"
#include "http/view_response.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"

namespace leadbase::http {
namespace {

acting_person person_of(const request& req) { return acting_person{req.principal, req.has_scope("admin")}; }

/// 200 with the lead's view after the command, or the problem of its refusal.
work_callback view_answer(api_context& ctx, responder respond) {
  return [&ctx, respond](work_outcome o) {
    if (o.result.code != errc::success) return respond(append_problem(o.result));
    if (!o.state) return respond(problem_response(problem_kind::internal, "the lead's state is missing"));
    respond(view_response(*o.state, projections::view_json(*o.state, ctx.view)));
  };
}

void get_whoami(request& req, responder respond) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("name");
  json_write::str(w, req.principal);
  w.Key("scopes");
  json_write::string_array(w, req.scopes);
  w.EndObject();
  respond(json_response(200, json_write::text_of(buf)));
}

void post_queue_claim(api_context& ctx, request& req, responder respond) {
  if (ctx.views == nullptr)
    return respond(to_response(make_problem(problem_kind::overloaded, "the queue projection is not running")));
  auto parsed = parse_queue_claim(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  projections::queue_query q;
  q.team = parsed->team;
  q.levels = parsed->levels;
  q.country = parsed->country;
  q.creator_tier = parsed->creator_tier;
  auto answer = view_answer(ctx, respond);
  const actors::claim_desk desk{*ctx.leads, *ctx.views, ctx.claims,
                                ctx.projections ? ctx.projections->position() : global_position{0}};
  actors::claim_next(desk, std::move(q), person_of(req), req.correlation_id, [answer, respond](work_outcome o) {
    if (o.result.code == errc::success && !o.state) return respond(empty_response(204));
    answer(std::move(o));
  });
}

void post_claim(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  auto parsed = parse_claim(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  claim c = std::move(*parsed);
  c.by = person_of(req);
  c.correlation_id = req.correlation_id;
  ctx.leads->work(lead_id, std::move(c), view_answer(ctx, respond));
}

void post_release(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  auto parsed = parse_release(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  release r = std::move(*parsed);
  r.by = person_of(req);
  r.correlation_id = req.correlation_id;
  ctx.leads->work(lead_id, std::move(r), view_answer(ctx, respond));
}

void post_contact(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  auto parsed = parse_contact(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  log_contact c = std::move(*parsed);
  c.by = person_of(req);
  c.correlation_id = req.correlation_id;
  ctx.leads->work(lead_id, std::move(c), [respond, lead_id](work_outcome o) {
    // The Decider's one validation of a contact is its time (at most 5 minutes
    // ahead of the server's clock, not before the signup): a 422 names the
    // field like the parser's.
    if (o.result.code == errc::validation)
      return respond(to_response(validation_problem("contacted_at", o.result.message)));
    if (o.result.code != errc::success) return respond(append_problem(o.result));
    respond(json_response(201, append_document(o.result, {{"lead_id", lead_id}})));
  });
}

/// POST /v1/leads/{id}/assign (scope admin): 200 with the view; the same owner
/// again answers the view as it is, nothing appended.
void post_assign(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  auto parsed = parse_assign(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  assign a = std::move(*parsed);
  a.by = person_of(req);
  a.correlation_id = req.correlation_id;
  ctx.leads->work(lead_id, std::move(a), view_answer(ctx, respond));
}

} // namespace

void add_work_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/whoami", scope::authenticated, [](request& q, responder s) { get_whoami(q, std::move(s)); });
  r.add("POST", "/v1/queue/claim", scope::work,
        [&ctx](request& q, responder s) { post_queue_claim(ctx, q, std::move(s)); });
  r.add("POST", "/v1/leads/{lead_id}/claim", scope::work,
        [&ctx](request& q, responder s) { post_claim(ctx, q, std::move(s)); });
  r.add("POST", "/v1/leads/{lead_id}/release", scope::work,
        [&ctx](request& q, responder s) { post_release(ctx, q, std::move(s)); });
  r.add("POST", "/v1/leads/{lead_id}/contacts", scope::work,
        [&ctx](request& q, responder s) { post_contact(ctx, q, std::move(s)); });
  r.add("POST", "/v1/leads/{lead_id}/assign", scope::admin,
        [&ctx](request& q, responder s) { post_assign(ctx, q, std::move(s)); });
}

} // namespace leadbase::http
