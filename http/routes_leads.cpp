// Reads: the current view (read), and for auditors the history with its hash
// chain, the state as of a time, the step-by-step replay, and the global feed.
// Every one of them folds the stored events with the one pure fold. The audit
// reads check the whole chain against the lead's head (storage/chain_check.hpp)
// and answer 200 with "integrity":"broken" and the first bad version when it
// fails; an event that cannot be read is shown as a damaged entry in its place
// and left out of the fold (http/integrity_json.hpp), never a 500 for the lead.
// The feed marks such an event the same way, so one bad record hides no other.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/integrity_json.hpp"
#include "http/problem.hpp"
#include "projections/view_json.hpp"
#include "storage/chain_check.hpp"

namespace leadbase::http {
namespace {

constexpr size_t max_feed_page = 1000;

/// Parses an optional non-negative integer query parameter.
std::optional<uint64_t> uint_param(const request& req, const char* name, uint64_t fallback, bool& bad) {
  const std::string* v = req.query_param(name);
  if (!v) return fallback;
  if (v->empty() || v->size() > 19 || v->find_first_not_of("0123456789") != std::string::npos) {
    bad = true;
    return std::nullopt;
  }
  return std::stoull(*v);
}

response view_response(api_context& ctx, const lead_state& s) {
  std::string body = projections::view_json(s, ctx.view);
  response res = json_response(200, std::move(body));
  res.set_header("ETag", "\"" + std::to_string(s.version) + "\"");
  return res;
}

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
  std::string etag = "\"" + std::to_string(s.version) + "\"";
  if (req.if_none_match() == etag) {
    response res = empty_response(304);
    res.set_header("ETag", etag);
    return respond(std::move(res));
  }
  respond(view_response(ctx, s));
}

/// The lead's chain; nullopt after answering (404 for no lead, or an error).
std::optional<storage::chain_read> read_lead_chain(api_context& ctx, const std::string& lead_id,
                                                   const responder& respond) {
  auto chain = ctx.log->read_chain(lead_id);
  if (!chain) {
    respond(problem_response(chain.err()));
    return std::nullopt;
  }
  if (chain->events.empty() && !chain->last && chain->head_damage.empty()) {
    respond(problem_response(problem_kind::not_found, "no lead " + lead_id));
    return std::nullopt;
  }
  return std::move(*chain);
}

void get_history(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  auto chain = read_lead_chain(ctx, lead_id, respond);
  if (!chain) return;
  respond(json_response(200, history_document(lead_id, *chain, storage::check_chain(*chain))));
}

void get_state_as_of(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  const std::string* as_of_text = req.query_param("as_of");
  if (!as_of_text)
    return respond(to_response(validation_problem("as_of", "required: an RFC 3339 time")));
  auto as_of = parse_time(*as_of_text);
  if (!as_of) return respond(to_response(validation_problem("as_of", "not an RFC 3339 time")));
  auto chain = ctx.log->read_chain(lead_id);
  if (!chain) return respond(problem_response(chain.err()));
  lead_state s = initial(lead_id);
  for (const auto& e : chain->events) {
    if (e.damaged()) continue;  // unreadable: not folded; the verdict names it
    if (e.ev.meta.recorded_at > *as_of) break;  // recorded_at grows with the version
    evolve(s, e.ev);
  }
  if (s.version == 0)
    return respond(problem_response(problem_kind::not_found, "the lead had no event at or before " + *as_of_text));
  response res = view_response(ctx, s);
  // A sound lead's answer is exactly the view document (API.md); a broken
  // chain adds the verdict, so no auditor takes a quarantined state for a sound one.
  if (auto verdict = storage::check_chain(*chain); !verdict.intact)
    res.body = with_integrity(std::move(res.body), verdict);
  respond(std::move(res));
}

void get_replay(api_context& ctx, request& req, responder respond) {
  const std::string& lead_id = req.path_param("lead_id");
  auto chain = read_lead_chain(ctx, lead_id, respond);
  if (!chain) return;
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("lead_id");
  w.String(lead_id.c_str(), static_cast<rapidjson::SizeType>(lead_id.size()));
  w.Key("steps");
  w.StartArray();
  lead_state s = initial(lead_id);
  for (const auto& e : chain->events) {
    if (!e.damaged()) evolve(s, e.ev);  // a damaged step leaves the state as it was
    w.StartObject();
    w.Key("event");
    if (e.damaged()) render_damaged_event(w, e, false);
    else render_history_event(w, e.ev, e.hash);
    w.Key("state");
    projections::render_view(w, s, ctx.view);
    w.EndObject();
  }
  w.EndArray();
  write_integrity(w, storage::check_chain(*chain));
  w.EndObject();
  respond(json_response(200, buf.GetString()));
}

void get_feed(api_context& ctx, request& req, responder respond) {
  bool bad_after = false, bad_limit = false;
  auto after = uint_param(req, "after", 0, bad_after);
  auto limit = uint_param(req, "limit", 100, bad_limit);
  if (bad_after) return respond(to_response(validation_problem("after", "must be a non-negative integer")));
  if (bad_limit || *limit < 1 || *limit > max_feed_page)
    return respond(to_response(validation_problem("limit", "must be an integer from 1 to 1000")));
  auto events = ctx.log->read_global(*after, *limit, storage::event_log::hashes::compute, storage::on_damage::mark);
  if (!events) return respond(problem_response(events.err()));
  global_position next = events->empty() ? *after : events->back().ev.meta.position;
  respond(json_response(200, feed_document(*events, next)));
}

} // namespace

void add_lead_routes(router& r, api_context& ctx) {
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
