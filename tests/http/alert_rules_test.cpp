// http/alert_rules.hpp: every rule of the server's table, firing and not
// firing, `since` kept while the condition holds and started anew after a
// break, and the table checked against deploy/prometheus/leadbase-alerts.yml
// (names, thresholds, comparisons, windows, `for`, severities).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "http/alert_rules.hpp"

using namespace leadbase;
using namespace leadbase::http::alerts;

namespace {

constexpr millis minute = 60'000;
constexpr millis t0 = 1'800'000'000'000;  // 2027-01-15

/// Figures of a healthy server at `now`: nothing holds.
figures healthy(millis now) {
  figures f;
  f.now = now;
  f.stats_ready = true;
  for (millis w : {5 * minute, 10 * minute, 15 * minute, 30 * minute}) f.stats[w] = {0.95, 2.0, 10};
  f.enrichment_retrying = 3;
  f.breakers = {{"instagram", "closed"}, {"youtube", "closed"}};
  f.projections = {{"stats", 0.0, 0}, {"lead_views", 0.2, 0}};
  f.backup_last_success_s = static_cast<double>(now) / 1000.0 - 3600;
  return f;
}

std::vector<active_alert> named(const std::vector<active_alert>& all, const std::string& name) {
  std::vector<active_alert> out;
  for (const auto& a : all)
    if (a.name == name) out.push_back(a);
  return out;
}

/// Evaluates `change`d healthy figures at t0 and at t0 + `later`; returns the
/// alerts of `name` at both times.
std::pair<std::vector<active_alert>, std::vector<active_alert>> twice(const std::string& name,
                                                                        void (*change)(figures&), millis later) {
  memory m;
  figures a = healthy(t0);
  change(a);
  auto first = named(evaluate(a, m), name);
  figures b = healthy(t0 + later);
  change(b);
  return {first, named(evaluate(b, m), name)};
}

/// The rule holds: pending at first, firing once it held for `hold`, since = t0.
void check_fires(const std::string& name, void (*change)(figures&), millis hold) {
  INFO(name);
  auto [first, later] = twice(name, change, hold);
  REQUIRE(first.size() == 1);
  CHECK(first[0].since == t0);
  CHECK(first[0].firing == (hold == 0));
  REQUIRE(later.size() == 1);
  CHECK(later[0].firing);
  CHECK(later[0].since == t0);
}

void check_quiet(const std::string& name, void (*change)(figures&)) {
  INFO(name);
  auto [first, later] = twice(name, change, 60 * minute);
  CHECK(first.empty());
  CHECK(later.empty());
}

} // namespace

TEST_CASE("alerts: a healthy server has none", "[http][alerts]") {
  memory m;
  for (millis t = t0; t <= t0 + 40 * minute; t += minute) CHECK(evaluate(healthy(t), m).empty());
}

TEST_CASE("alerts: enrichment success rate below 0.80 over 15 m", "[http][alerts]") {
  check_fires("LeadbaseEnrichmentSuccessRateLow", [](figures& f) { f.stats[15 * minute].enrichment_success_rate = 0.79; },
              15 * minute);
  check_quiet("LeadbaseEnrichmentSuccessRateLow", [](figures& f) { f.stats[15 * minute].enrichment_success_rate = 0.80; });
  check_quiet("LeadbaseEnrichmentSuccessRateLow",
              [](figures& f) { f.stats[15 * minute].enrichment_success_rate = std::nullopt; });  // no outcome: no value
  check_quiet("LeadbaseEnrichmentSuccessRateLow", [](figures& f) {
    f.stats[15 * minute].enrichment_success_rate = 0.1;
    f.stats_ready = false;  // figures from part of the log are no figures
  });
}

TEST_CASE("alerts: a provider circuit not closed for 5 m, one alert per provider", "[http][alerts]") {
  check_fires("LeadbaseProviderCircuitOpen", [](figures& f) { f.breakers[0].second = "open"; }, 5 * minute);
  check_fires("LeadbaseProviderCircuitOpen", [](figures& f) { f.breakers[0].second = "half_open"; }, 5 * minute);
  check_quiet("LeadbaseProviderCircuitOpen", [](figures&) {});
  memory m;
  figures f = healthy(t0);
  f.breakers = {{"instagram", "open"}, {"youtube", "open"}};
  auto both = named(evaluate(f, m), "LeadbaseProviderCircuitOpen");
  REQUIRE(both.size() == 2);
  CHECK(both[0].label == "provider");
  CHECK(both[0].label_value == "instagram");
  CHECK(both[1].summary == "Circuit breaker of provider youtube open for more than 5 minutes");
  CHECK(both[0].severity == "critical");
}

TEST_CASE("alerts: processing time p95 above 60 s over 10 m", "[http][alerts]") {
  check_fires("LeadbaseProcessingTimeP95High", [](figures& f) { f.stats[10 * minute].processing_p95_s = 61; },
              10 * minute);
  check_quiet("LeadbaseProcessingTimeP95High", [](figures& f) { f.stats[10 * minute].processing_p95_s = 60; });
}

TEST_CASE("alerts: ingest 5xx ratio above 1 % over 5 m, from the counters' history", "[http][alerts]") {
  for (uint64_t failed : {11u, 10u}) {
    memory m;
    figures a = healthy(t0);
    a.ingest_requests = 5000;
    a.ingest_5xx = 7;
    CHECK(named(evaluate(a, m), "LeadbaseIngest5xxRatioHigh").empty());  // one sample: no rate yet
    figures b = healthy(t0 + minute);
    b.ingest_requests = 6000;
    b.ingest_5xx = 7 + failed;  // of the 1000 in the window
    auto now = named(evaluate(b, m), "LeadbaseIngest5xxRatioHigh");
    CHECK(now.size() == (failed > 10 ? 1u : 0u));
    // Five minutes later the old errors left the window; no new request: no value.
    figures c = healthy(t0 + 7 * minute);
    c.ingest_requests = 6000;
    c.ingest_5xx = 7 + failed;
    CHECK(named(evaluate(c, m), "LeadbaseIngest5xxRatioHigh").empty());
  }
}

TEST_CASE("alerts: the event log cannot write, a write-side actor stopped (1 m)", "[http][alerts]") {
  check_fires("LeadbaseEventLogCannotWrite", [](figures& f) { f.log_writable = false; }, minute);
  check_quiet("LeadbaseEventLogCannotWrite", [](figures&) {});
  check_fires("LeadbaseWriteActorsDown", [](figures& f) { f.write_actors_up = false; }, minute);
  check_quiet("LeadbaseWriteActorsDown", [](figures&) {});
}

TEST_CASE("alerts: damaged events fire at once, per projection", "[http][alerts]") {
  check_fires("LeadbaseDamagedEvents", [](figures& f) { f.projections[1].damaged_events = 1; }, 0);
  memory m;
  figures f = healthy(t0);
  f.projections[1].damaged_events = 2;
  auto a = named(evaluate(f, m), "LeadbaseDamagedEvents");
  REQUIRE(a.size() == 1);
  CHECK(a[0].label_value == "lead_views");
  CHECK(a[0].value == 2);
}

TEST_CASE("alerts: projection lag above 10 s for 5 m", "[http][alerts]") {
  check_fires("LeadbaseProjectionLagHigh", [](figures& f) { f.projections[0].lag_seconds = 10.5; }, 5 * minute);
  check_quiet("LeadbaseProjectionLagHigh", [](figures& f) { f.projections[0].lag_seconds = 10; });
}

TEST_CASE("alerts: no signup in 30 m", "[http][alerts]") {
  check_fires("LeadbaseNoSignups", [](figures& f) { f.stats[30 * minute].signups = 0; }, 5 * minute);
  check_quiet("LeadbaseNoSignups", [](figures& f) { f.stats[30 * minute].signups = 1; });
  check_quiet("LeadbaseNoSignups", [](figures& f) {
    f.stats[30 * minute].signups = 0;
    f.stats_ready = false;
  });
}

TEST_CASE("alerts: the enrichment retry backlog growing for 30 m", "[http][alerts]") {
  auto run = [](int per_minute) {
    memory m;
    std::vector<active_alert> last;
    for (int i = 0; i <= 60; ++i) {
      figures f = healthy(t0 + i * minute);
      f.enrichment_retrying = static_cast<uint64_t>(100 + per_minute * i);
      last = named(evaluate(f, m), "LeadbaseEnrichmentRetryBacklogGrowing");
      if (i == 1 && per_minute > 0) {
        REQUIRE(last.size() == 1);
        CHECK_FALSE(last[0].firing);
      }
    }
    return last;
  };
  auto growing = run(2);
  REQUIRE(growing.size() == 1);
  CHECK(growing[0].firing);
  CHECK(growing[0].since == t0 + minute);  // the first moment with two samples
  CHECK(run(0).empty());
  CHECK(run(-1).empty());
}

TEST_CASE("alerts: no verified backup for a day (none yet counts as none)", "[http][alerts]") {
  check_fires("LeadbaseBackupMissing",
              [](figures& f) { f.backup_last_success_s = static_cast<double>(f.now) / 1000.0 - 86401; }, 15 * minute);
  check_fires("LeadbaseBackupMissing", [](figures& f) { f.backup_last_success_s = 0; }, 15 * minute);
  check_quiet("LeadbaseBackupMissing",
              [](figures& f) { f.backup_last_success_s = static_cast<double>(f.now) / 1000.0 - 86399; });
}

TEST_CASE("alerts: since is kept while the condition holds and starts anew after a break", "[http][alerts]") {
  memory m;
  auto at = [&](millis t, bool open) {
    figures f = healthy(t);
    if (open) f.breakers[0].second = "open";
    return named(evaluate(f, m), "LeadbaseProviderCircuitOpen");
  };
  CHECK(at(t0, true)[0].since == t0);
  CHECK(at(t0 + minute, true)[0].since == t0);
  auto firing = at(t0 + 6 * minute, true);
  CHECK(firing[0].since == t0);
  CHECK(firing[0].firing);
  CHECK(at(t0 + 7 * minute, false).empty());
  auto again = at(t0 + 8 * minute, true);
  CHECK(again[0].since == t0 + 8 * minute);
  CHECK_FALSE(again[0].firing);
  CHECK(m.since.size() == 1);
}

// -- the table against deploy/prometheus/leadbase-alerts.yml ---------------------------

namespace {

struct yaml_rule {
  std::string name, expr, severity;
  millis hold = -1;
};

millis duration_ms(const std::string& text) {
  std::smatch m;
  REQUIRE(std::regex_match(text, m, std::regex(R"((\d+)([smhd]))")));
  const millis unit = m[2] == "s" ? 1000 : m[2] == "m" ? 60'000 : m[2] == "h" ? 3'600'000 : 86'400'000;
  return std::stoll(m[1]) * unit;
}

/// The alerting rules of the file: name, the expression (every line of a block
/// scalar joined), `for` and the severity label. Enough YAML for this file.
std::vector<yaml_rule> read_rules(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<yaml_rule> out;
  std::string line;
  bool in_expr = false;
  size_t expr_indent = 0;
  const std::regex key(R"(^(\s*)-?\s*(alert|expr|for|severity):\s*(.*)$)");
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    if (in_expr && indent > expr_indent) {
      out.back().expr += " " + line.substr(indent);
      continue;
    }
    in_expr = false;
    std::smatch m;
    if (!std::regex_match(line, m, key)) continue;
    const std::string k = m[2], v = m[3];
    if (k == "alert") out.push_back({v, "", "", -1});
    if (out.empty()) continue;
    if (k == "expr") {
      in_expr = true;
      expr_indent = indent;
      if (v != "|") out.back().expr = v;
    }
    if (k == "for") out.back().hold = duration_ms(v);
    if (k == "severity") out.back().severity = v;
  }
  return out;
}

std::string op_text(comparison c) { return c == comparison::less ? "<" : c == comparison::greater ? ">" : "=="; }

} // namespace

TEST_CASE("alerts: the server's table agrees with deploy/prometheus/leadbase-alerts.yml", "[http][alerts]") {
  const auto yaml = read_rules(std::string(LEADBASE_SOURCE_DIR) + "/deploy/prometheus/leadbase-alerts.yml");
  REQUIRE(yaml.size() >= 10);
  std::map<std::string, const rule*> table;
  for (const auto& r : rule_table()) table[r.name] = &r;
  std::map<std::string, std::string> exempt(rules_without_counterpart().begin(), rules_without_counterpart().end());
  std::set<std::string> in_yaml;
  for (const auto& y : yaml) {
    INFO("rule " << y.name << ": " << y.expr);
    in_yaml.insert(y.name);
    auto it = table.find(y.name);
    if (it == table.end()) {
      CHECK(exempt.count(y.name) == 1);  // a rule without a server counterpart needs its reason
      continue;
    }
    const rule& r = *it->second;
    CHECK(y.severity == r.severity);
    CHECK(y.hold == r.hold);
    // Every comparison with a number in the expression is the table's.
    const std::regex cmp(R"((==|<|>)\s*([0-9][0-9.]*))");
    int comparisons = 0;
    for (std::sregex_iterator m(y.expr.begin(), y.expr.end(), cmp), end; m != end; ++m, ++comparisons) {
      CHECK((*m)[1] == op_text(r.op));
      CHECK(std::stod((*m)[2]) == r.threshold);
    }
    CHECK(comparisons >= 1);
    // Every range in the expression is the table's window; none: an instant value.
    const std::regex range(R"(\[(\d+[smhd])\])");
    int ranges = 0;
    for (std::sregex_iterator m(y.expr.begin(), y.expr.end(), range), end; m != end; ++m, ++ranges)
      CHECK(duration_ms((*m)[1]) == r.window);
    if (ranges == 0) CHECK(r.window == 0);
  }
  for (const auto& r : rule_table()) {
    INFO("server rule " << r.name);
    CHECK(in_yaml.count(r.name) == 1);  // the server invents no rule
  }
  for (const auto& [name, reason] : exempt) {
    INFO("exemption " << name);
    CHECK(in_yaml.count(name) == 1);  // no stale exemption
    CHECK(table.count(name) == 0);
    CHECK_FALSE(reason.empty());
  }
}
