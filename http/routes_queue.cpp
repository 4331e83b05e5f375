// The read side served from the current-view projection (projections/lead_views):
// GET /v1/leads, the SDR/LDR work queue and search, and GET /v1/leads/{id}.
// Both accept min_position (read-your-writes) and wait_ms (default 2000, at
// most 10000): the answer waits, without holding an I/O thread, until the
// projection has applied that position (the runner calls back), else 503 with
// Retry-After.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "events/json.hpp"
#include "events/logging.hpp"
#include "events/text.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "http/query_params.hpp"
#include "http/view_response.hpp"
#include "projections/lead_views.hpp"
#include "projections/view_json.hpp"
#include "projections/runner.hpp"

namespace leadbase::http {
namespace {

using projections::queue_query;

constexpr size_t max_limit = 500;
constexpr size_t max_q = 254;
constexpr size_t max_cursor = 1024;

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("projections");
  return logger;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Runs `then` now, or once the projection reached the wanted position; else 503.
void after_position(api_context& ctx, const read_wait& w, const responder& respond, std::function<void()> then) {
  if (!w.min_position || ctx.projections == nullptr) return then();
  const global_position n = *w.min_position;
  ctx.projections->when_reached(n, w.wait, [n, respond, then = std::move(then)](bool reached) {
    if (reached) return then();
    respond(to_response(make_problem(problem_kind::overloaded,
                                     "the projection has not reached position " + std::to_string(n) + " yet")));
  });
}

void respond_error(const responder& respond, const error& err, const char* what) {
  if (err.code == errc::storage_failure || err.code == errc::corrupt_data || err.code == errc::internal)
    log()->error("{}: {}", what, err.message);
  respond(problem_response(err));
}

// -- GET /v1/leads ---------------------------------------------------------------------

/// `owner` (a name, `me` = the token's name, `none` = unassigned) and `stage`
/// (a comma list of work stages; absent: all but meeting_booked and closed).
std::optional<problem> parse_work_filters(const request& req, queue_query& q) {
  if (const auto* v = req.query_param("owner")) {
    if (*v == "none") q.owner = std::string();
    else if (*v == "me") q.owner = req.principal;
    // A name as an assignment takes it: 1 to 200 characters (not bytes).
    else if (v->empty() || code_point_count(*v) > json_limits::name)
      return validation_problem("owner", "must be a name, me or none");
    else q.owner = *v;
  }
  if (const auto* v = req.query_param("stage")) {
    for (size_t at = 0; at <= v->size();) {
      const size_t comma = std::min(v->find(',', at), v->size());
      auto stage = work_stage_from_string(lower(v->substr(at, comma - at)));
      if (!stage)
        return validation_problem("stage", "must be a comma list of unassigned, assigned, contacted, "
                                           "meeting_booked, closed");
      if (std::find(q.stages.begin(), q.stages.end(), *stage) == q.stages.end()) q.stages.push_back(*stage);
      at = comma + 1;
    }
  }
  return std::nullopt;
}

/// `team`, `level` (a comma list of A, B, C), `status`, `creator_tier` and
/// `country`: what the lead is, as the views index it.
std::optional<problem> parse_lead_filters(const request& req, queue_query& q) {
  if (const auto* v = req.query_param("team")) {
    std::string t = lower(*v);
    if (t != "sdr" && t != "ldr") return validation_problem("team", "must be sdr or ldr");
    q.team = t;
  }
  if (const auto* v = req.query_param("level")) {
    size_t at = 0;
    do {
      size_t comma = v->find(',', at);
      std::string item = v->substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (item.size() != 1) return validation_problem("level", "must be a comma list of A, B, C");
      char l = static_cast<char>(std::toupper(static_cast<unsigned char>(item[0])));
      if (l != 'A' && l != 'B' && l != 'C') return validation_problem("level", "must be a comma list of A, B, C");
      if (std::find(q.levels.begin(), q.levels.end(), l) == q.levels.end()) q.levels.push_back(l);
      at = comma == std::string::npos ? std::string::npos : comma + 1;
    } while (at != std::string::npos);
  }
  if (const auto* v = req.query_param("status")) {
    std::string s = lower(*v);
    bool found = false;
    for (auto st : {lead_status::signed_up, lead_status::qualified, lead_status::disqualified, lead_status::enriching,
                    lead_status::enriched, lead_status::enrichment_failed, lead_status::erased}) {
      if (s == to_string(st)) {
        q.status = st;
        found = true;
      }
    }
    if (!found)
      return validation_problem("status", "must be one of signed_up, qualified, disqualified, enriching, enriched, "
                                          "enrichment_failed, erased");
  }
  if (const auto* v = req.query_param("creator_tier")) {
    std::string t = lower(*v);
    static const char* tiers[] = {"none", "nano", "micro", "mid", "macro", "mega"};
    if (std::none_of(std::begin(tiers), std::end(tiers), [&](const char* x) { return t == x; }))
      return validation_problem("creator_tier", "must be one of none, nano, micro, mid, macro, mega");
    q.creator_tier = t;
  }
  if (const auto* v = req.query_param("country")) {
    if (v->empty() || v->size() > 8 ||
        !std::all_of(v->begin(), v->end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
      return validation_problem("country", "must be a country code such as BR");
    q.country = *v;
  }
  return std::nullopt;
}

/// The ranges: `min_followers`/`max_followers` and `signed_up_after`/`signed_up_before`.
std::optional<problem> parse_range_filters(const request& req, queue_query& q) {
  for (const char* name : {"min_followers", "max_followers"}) {
    if (const auto* v = req.query_param(name)) {
      // Follower counts are int64 in the views: a larger bound is no count at all.
      auto n = parse_uint(*v, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
      if (!n) return validation_problem(name, "must be a non-negative integer");
      (std::string(name) == "min_followers" ? q.min_followers : q.max_followers) = static_cast<int64_t>(*n);
    }
  }
  if (q.min_followers && q.max_followers && *q.min_followers > *q.max_followers)
    return validation_problem("max_followers", "must not be below min_followers");
  for (const char* name : {"signed_up_after", "signed_up_before"}) {
    if (const auto* v = req.query_param(name)) {
      auto t = parse_time(*v);
      if (!t) return validation_problem(name, "must be an RFC 3339 time");
      (std::string(name) == "signed_up_after" ? q.signed_up_after : q.signed_up_before) = *t;
    }
  }
  return std::nullopt;
}

/// Every filter of GET /v1/leads (docs/http-api.md, "Queries"); the first bad
/// one is named in a 422. The helpers run in the order the parameters were
/// always checked, so a request with two bad parameters still names the same one.
std::optional<problem> parse_queue(const request& req, queue_query& q) {
  if (auto p = parse_lead_filters(req, q)) return p;
  if (auto p = parse_range_filters(req, q)) return p;
  if (const auto* v = req.query_param("q")) {
    if (v->size() > max_q) return validation_problem("q", "must be at most 254 characters");
    if (projections::view_keys::normalise_search(*v).empty())
      return validation_problem("q", "must not be empty");
    q.q = *v;
  }
  if (const auto* v = req.query_param("sort")) {
    auto s = projections::queue_sort_from_string(*v);
    if (!s) return validation_problem("sort", "must be one of -score, score, -signed_up_at, signed_up_at, -followers");
    q.sort = *s;
  }
  if (auto p = parse_work_filters(req, q)) return p;
  uint64_t limit = q.limit;
  if (auto p = uint_param(req, "limit", limit, 1, max_limit)) return p;
  q.limit = static_cast<size_t>(limit);
  if (const auto* v = req.query_param("cursor")) {
    if (v->empty() || v->size() > max_cursor) return validation_problem("cursor", "not a cursor of this API");
    q.cursor = *v;
  }
  return std::nullopt;
}

void get_queue(api_context& ctx, request& req, responder respond) {
  if (ctx.views == nullptr)
    return respond(to_response(make_problem(problem_kind::overloaded, "the queue projection is not running")));
  queue_query q;
  read_wait wait;
  if (auto p = parse_queue(req, q)) return respond(to_response(*p));
  if (auto p = parse_read_wait(req, wait)) return respond(to_response(*p));
  after_position(ctx, wait, respond, [&ctx, q = std::move(q), respond] {
    auto page = ctx.views->query(q);
    if (!page) {
      if (page.err().code == errc::validation)
        return respond(to_response(validation_problem("cursor", page.err().message)));
      return respond_error(respond, page.err(), "queue page");
    }
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& s : page->items)
      projections::render_view(w, s, ctx.view);
    w.EndArray();
    w.Key("next_cursor");
    if (page->next_cursor)
      w.String(page->next_cursor->c_str(), static_cast<rapidjson::SizeType>(page->next_cursor->size()));
    else
      w.Null();
    w.EndObject();
    respond(json_response(200, buf.GetString()));
  });
}

// -- GET /v1/leads/{id} -------------------------------------------------------------------

void get_lead_view(api_context& ctx, request& req, responder respond) {
  std::string lead_id = req.path_param("lead_id");
  std::string if_none_match(req.if_none_match());
  read_wait w;
  if (auto p = parse_read_wait(req, w)) return respond(to_response(*p));
  after_position(ctx, w, respond, [&ctx, lead_id, if_none_match, respond] {
    auto row = ctx.views->get(lead_id);
    if (!row) return respond_error(respond, row.err(), "lead view");
    if (!*row) return respond(problem_response(problem_kind::not_found, "no lead " + lead_id));
    respond(view_response(**row, ctx.view, if_none_match));
  });
}

} // namespace

void add_queue_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/leads", scope::read, [&ctx](request& q, responder s) { get_queue(ctx, q, std::move(s)); });
  if (ctx.views != nullptr)
    r.add("GET", "/v1/leads/{lead_id}", scope::read,
          [&ctx](request& q, responder s) { get_lead_view(ctx, q, std::move(s)); });
}

} // namespace leadbase::http
