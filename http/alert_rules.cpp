#include "http/alert_rules.hpp"

#include <algorithm>
#include <set>

namespace leadbase::http::alerts {
namespace {

constexpr millis minute = 60'000;

std::optional<figures::windowed> stats_over(const figures& f, millis window) {
  if (!f.stats_ready) return std::nullopt;
  auto it = f.stats.find(window);
  if (it == f.stats.end()) return std::nullopt;
  return it->second;
}

std::vector<reading> one(std::optional<double> v) {
  if (!v) return {};
  return {reading{"", *v}};
}

// -- the measures of the rules, one per expression ---------------------------------

std::vector<reading> enrichment_success_rate(const figures& f, const std::deque<sample>&, millis window) {
  auto s = stats_over(f, window);
  return one(s ? s->enrichment_success_rate : std::nullopt);
}

std::vector<reading> circuit_not_closed(const figures& f, const std::deque<sample>&, millis) {
  std::vector<reading> out;
  for (const auto& [provider, state] : f.breakers)
    out.push_back({provider, state == "open" || state == "half_open" ? 1.0 : 0.0});
  return out;
}

std::vector<reading> processing_p95(const figures& f, const std::deque<sample>&, millis window) {
  auto s = stats_over(f, window);
  return one(s ? s->processing_p95_s : std::nullopt);
}

/// The oldest sample within the window (the newest is the current one).
const sample* window_start(const std::deque<sample>& h, millis now, millis window) {
  for (const auto& s : h)
    if (s.at >= now - window) return &s;
  return nullptr;
}

std::vector<reading> ingest_5xx_ratio(const figures& f, const std::deque<sample>& h, millis window) {
  const sample* first = window_start(h, f.now, window);
  if (first == nullptr || h.empty() || first == &h.back()) return {};
  const uint64_t requests = h.back().ingest_requests - first->ingest_requests;
  if (requests == 0) return {};  // 0/0: no value
  return {reading{"", static_cast<double>(h.back().ingest_5xx - first->ingest_5xx) / static_cast<double>(requests)}};
}

std::vector<reading> log_writable(const figures& f, const std::deque<sample>&, millis) {
  return {reading{"", f.log_writable ? 1.0 : 0.0}};
}

std::vector<reading> write_actors_up(const figures& f, const std::deque<sample>&, millis) {
  return {reading{"", f.write_actors_up ? 1.0 : 0.0}};
}

std::vector<reading> damaged_events(const figures& f, const std::deque<sample>&, millis) {
  std::vector<reading> out;
  for (const auto& p : f.projections) out.push_back({p.name, static_cast<double>(p.damaged_events)});
  return out;
}

std::vector<reading> projection_lag(const figures& f, const std::deque<sample>&, millis) {
  std::vector<reading> out;
  for (const auto& p : f.projections) out.push_back({p.name, p.lag_seconds});
  return out;
}

std::vector<reading> signups_in_window(const figures& f, const std::deque<sample>&, millis window) {
  auto s = stats_over(f, window);
  if (!s) return {};
  return {reading{"", static_cast<double>(s->signups)}};
}

/// deriv (least-squares slope per second) and delta over the window; the
/// rule's `deriv > 0 and delta > 0` as one value: the slope when delta > 0,
/// else at most 0.
std::vector<reading> retry_backlog_growth(const figures& f, const std::deque<sample>& h, millis window) {
  std::vector<std::pair<double, double>> points;
  for (const auto& s : h)
    if (s.at >= f.now - window && s.enrichment_retrying)
      points.emplace_back(static_cast<double>(s.at - f.now) / 1000.0, static_cast<double>(*s.enrichment_retrying));
  if (points.size() < 2) return {};
  double mx = 0, my = 0;
  for (const auto& [x, y] : points) mx += x, my += y;
  mx /= static_cast<double>(points.size());
  my /= static_cast<double>(points.size());
  double sxy = 0, sxx = 0;
  for (const auto& [x, y] : points) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx);
  if (sxx == 0) return {};
  const double slope = sxy / sxx;
  const double delta = points.back().second - points.front().second;
  return {reading{"", delta > 0 ? slope : std::min(slope, 0.0)}};
}

std::vector<reading> since_last_backup(const figures& f, const std::deque<sample>&, millis) {
  return {reading{"", static_cast<double>(f.now) / 1000.0 - f.backup_last_success_s}};
}

std::string summary_of(const rule& r, const std::string& label_value) {
  std::string s = r.summary;
  const std::string mark = "{label}";
  for (auto at = s.find(mark); at != std::string::npos; at = s.find(mark, at + label_value.size()))
    s.replace(at, mark.size(), label_value);
  return s;
}

void remember(memory& m, const figures& f, millis longest_window) {
  sample s{f.now, f.ingest_requests, f.ingest_5xx, std::nullopt};
  if (f.stats_ready) s.enrichment_retrying = f.enrichment_retrying;
  // At most one sample a second: a burst of requests does not grow the history.
  if (m.history.size() >= 2 && m.history.back().at - m.history[m.history.size() - 2].at < 1000)
    m.history.back() = s;
  else
    m.history.push_back(s);
  while (!m.history.empty() && m.history.front().at < f.now - longest_window - minute) m.history.pop_front();
}

} // namespace

const std::vector<rule>& rule_table() {
  using c = comparison;
  // name, severity, comparison, threshold, window, for, label, summary, measure:
  // exactly deploy/prometheus/leadbase-alerts.yml (tests/http/alert_rules_test.cpp).
  static const std::vector<rule> rules{
      {"LeadbaseEnrichmentSuccessRateLow", "warning", c::less, 0.80, 15 * minute, 15 * minute, nullptr,
       "Enrichment success rate below 80 % for 15 minutes", enrichment_success_rate},
      {"LeadbaseProviderCircuitOpen", "critical", c::equal, 1, 0, 5 * minute, "provider",
       "Circuit breaker of provider {label} open for more than 5 minutes", circuit_not_closed},
      {"LeadbaseProcessingTimeP95High", "warning", c::greater, 60, 10 * minute, 10 * minute, nullptr,
       "Lead processing time p95 above 60 s for 10 minutes", processing_p95},
      {"LeadbaseIngest5xxRatioHigh", "critical", c::greater, 0.01, 5 * minute, 5 * minute, nullptr,
       "More than 1 % of ingest requests answer 5xx", ingest_5xx_ratio},
      {"LeadbaseEventLogCannotWrite", "critical", c::equal, 0, 0, 1 * minute, nullptr,
       "The event log cannot write", log_writable},
      {"LeadbaseWriteActorsDown", "critical", c::equal, 0, 0, 1 * minute, nullptr,
       "A write-side actor stopped", write_actors_up},
      {"LeadbaseDamagedEvents", "critical", c::greater, 0, 0, 0, "projection",
       "Projection {label} skipped damaged event(s)", damaged_events},
      {"LeadbaseProjectionLagHigh", "warning", c::greater, 10, 0, 5 * minute, "projection",
       "Projection {label} more than 10 s behind the log for 5 minutes", projection_lag},
      {"LeadbaseNoSignups", "warning", c::equal, 0, 30 * minute, 5 * minute, nullptr,
       "No signup processed for 30 minutes", signups_in_window},
      {"LeadbaseEnrichmentRetryBacklogGrowing", "warning", c::greater, 0, 30 * minute, 30 * minute, nullptr,
       "Enrichment retry backlog growing for 30 minutes", retry_backlog_growth},
      {"LeadbaseBackupMissing", "warning", c::greater, 86400, 0, 15 * minute, nullptr,
       "No verified backup for more than a day", since_last_backup},
  };
  return rules;
}

const std::vector<std::pair<std::string, std::string>>& rules_without_counterpart() {
  static const std::vector<std::pair<std::string, std::string>> none{
      {"LeadbaseSignupMetricAbsent",
       "absent(leadbase_signups_total) is about the scrape: the server is down or the metrics token is wrong. A "
       "server that answers GET /v1/alerts is up, and LeadbaseNoSignups covers a stopped flow of signups"},
  };
  return none;
}

bool holds(comparison op, double value, double threshold) noexcept {
  switch (op) {
    case comparison::less: return value < threshold;
    case comparison::greater: return value > threshold;
    case comparison::equal: return value == threshold;
  }
  return false;
}

std::vector<active_alert> evaluate(const figures& f, memory& m, const std::vector<rule>& rules) {
  millis longest = 0;
  for (const auto& r : rules) longest = std::max(longest, r.window);
  remember(m, f, longest);
  std::vector<active_alert> out;
  std::set<std::string> holding;
  for (const auto& r : rules) {
    for (const reading& x : r.measure(f, m.history, r.window)) {
      if (!holds(r.op, x.value, r.threshold)) continue;
      const std::string key = std::string(r.name) + '\x1f' + x.label_value;
      holding.insert(key);
      const millis since = m.since.emplace(key, f.now).first->second;
      out.push_back(active_alert{r.name, r.severity, f.now - since >= r.hold, since, summary_of(r, x.label_value),
                                 r.label ? r.label : "", x.label_value, x.value, r.threshold, r.hold});
    }
  }
  for (auto it = m.since.begin(); it != m.since.end();)
    it = holding.count(it->first) ? std::next(it) : m.since.erase(it);
  return out;
}

} // namespace leadbase::http::alerts
