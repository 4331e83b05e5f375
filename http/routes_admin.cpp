// Admin: erasure (LGPD art. 18) and a manual enrichment retry.
#include "events/ids.hpp"
#include "events/json.hpp"
#include "http/api.hpp"
#include "http/append_answer.hpp"
#include "http/problem.hpp"

namespace leadbase::http {
namespace {

void post_erase(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  auto parsed = parse_erase(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  // An erasure flushes and compacts: on a disk that cannot hold that, refuse
  // before the `erased` event is appended, so nothing is half done.
  if (ctx.log != nullptr) {
    if (auto room = ctx.log->room_for_erase(); !room) {
      auto p = make_problem(problem_kind::overloaded, room.err().message + "; free disk space and retry");
      p.headers.set("Retry-After", "60");
      return respond(to_response(p));
    }
  }
  // Answered only once the views dropped the personal data and no file keeps
  // it (the whole protocol: actors/erasure.hpp).
  ctx.leads->erase(lead_id, parsed->reason, req.principal, req.correlation_id, [respond, lead_id](append_outcome o) {
    if (o.code != errc::success) return respond(append_problem(o));
    respond(json_response(200, append_document(o, {{"lead_id", lead_id}, {"status", "erased"}})));
  });
}

void post_retry(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  if (!is_valid_id(lead_id)) return respond(to_response(validation_problem("lead_id", "not a valid id")));
  ctx.leads->retry_enrichment(lead_id, [respond, lead_id](append_outcome o) {
    if (o.code != errc::success) return respond(append_problem(o));
    respond(json_response(202, "{\"lead_id\":\"" + lead_id + "\",\"status\":\"retry_requested\"}"));
  });
}

} // namespace

void add_admin_routes(router& r, api_context& ctx) {
  r.add("POST", "/v1/leads/{lead_id}/erase", scope::admin,
        [&ctx](request& q, responder s) { post_erase(ctx, q, s); });
  r.add("POST", "/v1/leads/{lead_id}/enrichment/retry", scope::admin,
        [&ctx](request& q, responder s) { post_retry(ctx, q, s); });
}

} // namespace leadbase::http
