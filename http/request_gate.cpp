#include "http/request_gate.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "events/ids.hpp"

namespace leadbase::http {

std::string make_correlation_id() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(),
                      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
    return std::mt19937_64(seq);
  }();
  static const char* hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = hex[v & 0xf];
  return out;
}

bool is_probe(std::string_view method, std::string_view target) noexcept {
  if (method != "GET" && method != "HEAD") return false;
  auto path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/readyz";
}

namespace {

std::size_t count_fields(const header_list& h, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(h.begin(), h.end(), [&](const header_field& f) { return iequals(f.name, name); }));
}

/// The request as the handlers see it, from its head: target split into
/// path and query later, the correlation id taken or made.
void take_head(request_head& head, gate_verdict& v) {
  request& rq = v.rq;
  rq.method = std::move(head.method);
  rq.target = std::move(head.target);
  rq.headers = std::move(head.headers);
  rq.keep_alive = head.keep_alive;
  rq.remote_address = std::move(head.remote_address);
  rq.path = rq.target.substr(0, rq.target.find('?'));
  // A malformed id is replaced and the new one returned (docs/http-api.md "Tracing"):
  // refusing it would turn a tracing detail into an outage, probes included.
  const std::string* cid = rq.headers.find("X-Correlation-Id");
  if (cid && is_valid_id(*cid)) {
    rq.correlation_id = *cid;
  } else {
    rq.correlation_id = make_correlation_id();
    if (cid) v.correlation_note = "a malformed X-Correlation-Id was replaced by " + rq.correlation_id;
  }
}

/// The route for the request (HEAD served as GET where only GET exists), or
/// the answer that refuses it.
std::optional<response> match_route(const router& routes, gate_verdict& v) {
  request& rq = v.rq;
  auto m = routes.match(rq.method, rq.path, rq.path_params);
  if (m.kind != router::match_kind::found && rq.method == "HEAD") {
    std::map<std::string, std::string> params;
    auto as_get = routes.match("GET", rq.path, params);
    if (as_get.kind == router::match_kind::found) {
      m = as_get;
      rq.path_params = std::move(params);
      v.head = true;
    }
  }
  switch (m.kind) {
    case router::match_kind::bad_path:
      return problem_response(problem_kind::bad_request, "malformed request path");
    case router::match_kind::not_found:
      return problem_response(problem_kind::not_found, "no resource at this path");
    case router::match_kind::method_not_allowed: {
      auto res = problem_response(problem_kind::method_not_allowed,
                                  "method " + rq.method + " is not allowed here; allowed: " + m.allow);
      res.headers.set("Allow", m.allow);
      return res;
    }
    case router::match_kind::found: break;
  }
  v.matched = m.matched;
  return std::nullopt;
}

/// 415 when a body the route reads has a Content-Type it does not take.
std::optional<response> content_type_refusal(const request& rq, const route& r, bool has_body) {
  if (!(rq.method == "POST" || rq.method == "PUT" || rq.method == "PATCH") || r.options.content_types.empty())
    return std::nullopt;
  auto ct = rq.content_type();
  if (ct.empty() && !has_body) return std::nullopt;
  const auto& ok_types = r.options.content_types;
  if (std::find(ok_types.begin(), ok_types.end(), media_type(ct)) != ok_types.end()) return std::nullopt;
  std::string expected;
  for (const auto& t : ok_types) expected += (expected.empty() ? "" : " or ") + t;
  return problem_response(problem_kind::unsupported_media_type, "Content-Type must be " + expected);
}

} // namespace

gate_verdict check_request_head(request_head head, const router& routes, const token_table& tokens,
                                std::size_t body_limit) {
  gate_verdict v;
  take_head(head, v);
  request& rq = v.rq;
  auto refuse = [&](response res) {
    v.refusal = std::move(res);
    return std::move(v);
  };

  // Two credentials: which one counts would be a guess (and a proxy may have
  // checked the other).
  if (count_fields(rq.headers, "Authorization") > 1)
    return refuse(problem_response(problem_kind::bad_request, "more than one Authorization header"));

  if (auto q = rq.target.find('?'); q != std::string::npos) {
    std::string dup;
    if (!parse_query(std::string_view{rq.target}.substr(q + 1), rq.query, &dup))
      return refuse(problem_response(problem_kind::bad_request,
                                     dup.empty() ? "malformed query string"
                                                 : "query parameter '" + dup + "' is given more than once"));
  }

  if (auto refusal = match_route(routes, v)) return refuse(std::move(*refusal));
  const route& r = *v.matched;

  auto a = authorize(tokens, rq.authorization(), r.required_scope);
  if (a.outcome != auth_outcome::ok) return refuse(to_response(auth_problem(a, r.required_scope)));
  if (a.who) {
    rq.principal = a.who->name;
    for (auto s : {scope::ingest, scope::read, scope::audit, scope::admin, scope::metrics, scope::work})
      if (a.who->scopes.contains(s)) rq.scopes.emplace_back(to_string(s));
  }

  if (head.content_length && *head.content_length > body_limit)
    return refuse(to_response(make_problem(problem_kind::payload_too_large,
                                           "the request body exceeds " + std::to_string(body_limit) + " bytes")));

  if (auto refusal = content_type_refusal(rq, r, head.has_body)) return refuse(std::move(*refusal));
  return v;
}

}  // namespace leadbase::http
