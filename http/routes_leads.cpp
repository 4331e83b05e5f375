// Reads: the current view (read), and for auditors the history with its hash
// chain, the state as of a time, the step-by-step replay, and the global feed.
// Every one of them folds the stored events with the one pure fold. The audit
// reads are audit/'s (the same as `leadbase replay`): they check the whole
// chain against the lead's head and answer 200 with "integrity":"broken" and
// the first bad version when it fails; an event that cannot be read is shown
// as a damaged entry in its place and left out of the fold, never a 500 for
// the lead.
// The feed marks such an event the same way, so one bad record hides no other.
#include "audit/documents.hpp"
#include "audit/lead_audit.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "http/query_params.hpp"
#include "http/view_response.hpp"

namespace leadbase::http {
namespace {

constexpr size_t max_feed_page = 1000;

void get_lead(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  auto events = ctx.log->read_stream(lead_id);
  if (!events) return respond(problem_response(events.err()));
  if (events->empty()) return respond(problem_response(problem_kind::not_found, "no lead " + lead_id));
  lead_state s = fold(lead_id, [&] {
    std::vector<event> evs;
    evs.reserve(events->size());
    for (auto& e : *events) evs.push_back(std::move(e.ev));
    return evs;
  }());
  respond(view_response(s, ctx.view, req.if_none_match()));
}

void get_history(api_context& ctx, request& req, responder respond) {
  // include=stored: each event's stored bytes and the head (audit/documents.hpp).
  const std::string* include = req.query_param("include");
  if (include && *include != "stored")
    return respond(to_response(validation_problem("include", "the only value is \"stored\"")));
  const bool stored = include != nullptr;
  auto lead = audit::read_lead(*ctx.log, req.path_param("lead_id"), stored);
  if (!lead) return respond(problem_response(lead.err()));
  respond(json_response(200, audit::history_document(*lead, stored)));
}

void get_state_as_of(api_context& ctx, request& req, responder respond) {
  const std::string* as_of_text = req.query_param("as_of");
  if (!as_of_text)
    return respond(to_response(validation_problem("as_of", "required: an RFC 3339 time")));
  auto as_of = parse_time(*as_of_text);
  if (!as_of) return respond(to_response(validation_problem("as_of", "not an RFC 3339 time")));
  auto lead = audit::read_lead(*ctx.log, req.path_param("lead_id"));
  if (!lead && lead.err().code != errc::not_found) return respond(problem_response(lead.err()));
  const lead_state s = lead ? audit::state_as_of(*lead, *as_of) : lead_state{};
  if (s.version == 0)
    return respond(problem_response(problem_kind::not_found, "the lead had no event at or before " + *as_of_text));
  respond(view_response(s, audit::state_document(*lead, s, ctx.view)));
}

void get_replay(api_context& ctx, request& req, responder respond) {
  auto lead = audit::read_lead(*ctx.log, req.path_param("lead_id"));
  if (!lead) return respond(problem_response(lead.err()));
  respond(json_response(200, audit::replay_document(*lead, ctx.view)));
}

void get_feed(api_context& ctx, request& req, responder respond) {
  uint64_t after = 0, limit = 100;
  if (auto p = uint_param(req, "after", after)) return respond(to_response(*p));
  if (auto p = uint_param(req, "limit", limit, 1, max_feed_page)) return respond(to_response(*p));
  auto events = ctx.log->read_global(after, limit, storage::event_log::hashes::compute, storage::on_damage::mark);
  if (!events) return respond(problem_response(events.err()));
  global_position next = events->empty() ? global_position{after} : events->back().ev.meta.position;
  respond(json_response(200, audit::feed_document(*events, next)));
}

} // namespace

void add_lead_routes(router& r, api_context& ctx) {
  // With a projection, add_queue_routes serves GET /v1/leads/{id} from it.
  if (ctx.views == nullptr)
    r.add("GET", "/v1/leads/{lead_id}", scope::read, [&ctx](request& q, responder s) { get_lead(ctx, q, s); });
  r.add("GET", "/v1/leads/{lead_id}/history", scope::audit,
        [&ctx](request& q, responder s) { get_history(ctx, q, s); });
  r.add("GET", "/v1/leads/{lead_id}/state", scope::audit,
        [&ctx](request& q, responder s) { get_state_as_of(ctx, q, s); });
  r.add("GET", "/v1/leads/{lead_id}/replay", scope::audit,
        [&ctx](request& q, responder s) { get_replay(ctx, q, s); });
  r.add("GET", "/v1/feed", scope::audit, [&ctx](request& q, responder s) { get_feed(ctx, q, s); });
}

} // namespace leadbase::http
