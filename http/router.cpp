#include "http/router.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "events/ids.hpp"
#include "http/problem.hpp"

namespace leadbase::http {

// -- responder ------------------------------------------------------------------

void responder::send(response res) const {
  if (ch_) ch_->send(std::move(res));
}

std::shared_ptr<event_stream> responder::start_stream(response head) const {
  return ch_ ? ch_->start_stream(std::move(head)) : nullptr;
}

bool responder::connected() const { return ch_ && ch_->connected(); }

std::string sse_message(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + id.size() + event.size() + 32);
  auto no_newlines = [](std::string_view s) {
    std::string r;
    for (char c : s)
      if (c != '\n' && c != '\r') r.push_back(c);
    return r;
  };
  if (!id.empty()) out.append("id: ").append(no_newlines(id)).append("\n");
  if (!event.empty()) out.append("event: ").append(no_newlines(event)).append("\n");
  std::size_t start = 0;
  while (true) {
    auto nl = data.find('\n', start);
    auto line = data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.append("data: ").append(line).append("\n");
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out.append("\n");
  return out;
}

// -- stats ------------------------------------------------------------------------

void route_stats::record(int status, std::chrono::microseconds latency) noexcept {
  int cls = status / 100 - 1;
  if (cls < 0) cls = 0;
  if (cls > 4) cls = 4;
  by_class[static_cast<std::size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
  auto us = static_cast<uint64_t>(std::max<int64_t>(0, latency.count()));
  latency_sum_us.fetch_add(us, std::memory_order_relaxed);
  double s = static_cast<double>(us) / 1e6;
  std::size_t i = 0;
  while (i < latency_buckets_s.size() && s > latency_buckets_s[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
}

namespace {

route_stats_snapshot snapshot(const std::string& method, const std::string& pattern, const route_stats& st) {
  route_stats_snapshot s;
  s.method = method;
  s.pattern = pattern;
  for (std::size_t i = 0; i < s.by_class.size(); ++i) {
    s.by_class[i] = st.by_class[i].load(std::memory_order_relaxed);
  }
  s.latency_sum_s = static_cast<double>(st.latency_sum_us.load(std::memory_order_relaxed)) / 1e6;
  uint64_t acc = 0;
  for (std::size_t i = 0; i < st.buckets.size(); ++i) {
    acc += st.buckets[i].load(std::memory_order_relaxed);
    s.cumulative_buckets[i] = acc;
  }
  s.count = acc;
  return s;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(const std::string& seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

// -- router -------------------------------------------------------------------------

/// A handler that first checks the route's {lead_id} against the ingest rule.
/// Done here, for every route that has one, so no read path can forget it: a
/// NUL-padded id once read another lead's events (storage/keys.hpp). It runs
/// after authentication, like any validation of the request.
handler checking_lead_id(handler fn) {
  return [fn = std::move(fn)](request& req, responder respond) {
    if (!is_valid_id(req.path_param("lead_id")))
      return respond(to_response(validation_problem("lead_id", id_rule_text)));
    fn(req, std::move(respond));
  };
}

}  // namespace

status router::add(std::string method, std::string pattern, std::optional<scope> required_scope, handler fn,
                   route_options options) {
  if (has(method, pattern)) {
    refused_.push_back(method + " " + pattern + ": registered twice");
    return error{errc::conflict, "route " + refused_.back()};
  }
  route r;
  r.segments = split_path(pattern);
  if (std::find(r.segments.begin(), r.segments.end(), "{lead_id}") != r.segments.end())
    fn = checking_lead_id(std::move(fn));
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.required_scope = required_scope;
  r.fn = std::move(fn);
  for (auto& ct : options.content_types) ct = media_type(ct);
  r.options = std::move(options);
  routes_.push_back(std::move(r));
  return ok();
}

bool router::has(std::string_view method, std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const route& r) { return r.method == method && r.pattern == pattern; });
}

router::match_result router::match(std::string_view method, std::string_view path,
                                   std::map<std::string, std::string>& params) const {
  match_result out;
  if (path.empty() || path.front() != '/') return out;
  auto raw = split_path(path);
  std::vector<std::string> segs;
  segs.reserve(raw.size());
  for (auto& s : raw) {
    auto d = percent_decode(s, false);
    if (!d) {
      out.kind = match_kind::bad_path;
      return out;
    }
    segs.push_back(std::move(*d));
  }
  // Specificity: a literal segment beats a parameter, compared left to right.
  auto matches = [&](const route& r, std::vector<bool>& literal) {
    if (r.segments.size() != segs.size()) return false;
    literal.assign(segs.size(), false);
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (is_param(r.segments[i])) {
        if (segs[i].empty()) return false;
      } else if (r.segments[i] != segs[i]) {
        return false;
      } else {
        literal[i] = true;
      }
    }
    return true;
  };
  const route* best = nullptr;
  std::vector<bool> best_lit, lit;
  std::set<std::string> allowed;
  for (const auto& r : routes_) {
    if (!matches(r, lit)) continue;
    if (r.method != method) {
      allowed.insert(r.method);
      continue;
    }
    if (!best || lit > best_lit) {
      best = &r;
      best_lit = lit;
    }
  }
  if (best) {
    for (std::size_t i = 0; i < segs.size(); ++i)
      if (is_param(best->segments[i]))
        params[best->segments[i].substr(1, best->segments[i].size() - 2)] = std::move(segs[i]);
    out.kind = match_kind::found;
    out.matched = best;
    return out;
  }
  if (!allowed.empty()) {
    out.kind = match_kind::method_not_allowed;
    for (const auto& m : allowed) {
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += m;
    }
  }
  return out;
}

std::vector<route_stats_snapshot> router::stats() const {
  std::vector<route_stats_snapshot> out;
  out.reserve(routes_.size() + 1);
  for (const auto& r : routes_) out.push_back(snapshot(r.method, r.pattern, *r.stats));
  out.push_back(snapshot("", "unmatched", *unmatched_));
  return out;
}

}  // namespace leadbase::http
