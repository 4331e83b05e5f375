#pragma once
// GET /v1/alerts: the conditions of the shipped Prometheus alerting rules
// (deploy/prometheus/leadbase-alerts.yml), with the same thresholds, windows
// and `for` durations, evaluated by the server on its own figures, for teams
// without Prometheus. The rules are one table (alert_rules.cpp, `rule_table()`);
// tests/http/alert_rules_test.cpp checks it against the YAML file, rule by rule.
//
// Operation: evaluate() is pure but for the memory it is handed: the figures
// of one moment (routes_alerts.cpp gathers them) go into the memory's short
// history (the windows of the rate-like rules are computed over it, as
// Prometheus computes them over its samples), each rule measures its value
// per instance (one per provider or projection where the rule has that label),
// and a condition that holds is `pending` from the moment it began to hold
// (`since`, kept while it holds) and `firing` once it has held for the rule's
// `for`. A condition that stops holding, or an instance that is gone, is
// forgotten: when it holds again, `since` starts anew. No value (nothing in
// the window, the stats not caught up yet) is not a condition, as in Prometheus.
//
// Limitations: the server cannot see its own absence; the rules it has no
// counterpart for are listed by `rules_without_counterpart()` with the reason.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events/event.hpp"

namespace leadbase::http::alerts {

/// The server's own figures at one moment.
struct figures {
  millis now = 0;
  /// The stats projection runs and has caught up with the log; without it the
  /// rules that read it have no value.
  bool stats_ready = false;
  /// Stats figures over the window of each rule that reads them (key: window, ms).
  struct windowed {
    std::optional<double> enrichment_success_rate;  ///< null: no enrichment ended in the window
    std::optional<double> processing_p95_s;         ///< null: no lead became final in the window
    uint64_t signups = 0;
  };
  std::map<millis, windowed> stats;
  uint64_t enrichment_retrying = 0;  ///< leads waiting for an enrichment retry now
  bool log_writable = true;
  bool write_actors_up = true;
  /// Ingest requests (POST /v1/signups, /v1/events) answered since the start, and the 5xx among them.
  uint64_t ingest_requests = 0, ingest_5xx = 0;
  /// Circuit breaker state by provider: closed, open, half_open.
  std::vector<std::pair<std::string, std::string>> breakers;
  struct projection {
    std::string name;
    double lag_seconds = 0;
    uint64_t damaged_events = 0;
  };
  std::vector<projection> projections;
  /// Unix time (s) of the newest verified backup; 0: none yet.
  double backup_last_success_s = 0;
};

enum class comparison : uint8_t { less, greater, equal };

/// One sample of the figures the windowed rules need (memory::history).
struct sample {
  millis at = 0;
  uint64_t ingest_requests = 0, ingest_5xx = 0;
  std::optional<uint64_t> enrichment_retrying;  ///< null while the stats are not ready
};

/// One instance of a rule's expression: its label value ("" without label) and value.
struct reading {
  std::string label_value;
  double value = 0;
};

using measure_fn = std::vector<reading> (*)(const figures& f, const std::deque<sample>& history, millis window);

/// One alerting rule, as deploy/prometheus/leadbase-alerts.yml has it.
struct rule {
  const char* name;
  const char* severity;
  comparison op;
  double threshold;
  millis window;  ///< the range of its expression ([15m]); 0: an instant value
  millis hold;    ///< its `for`
  const char* label;    ///< the label that tells its instances apart; nullptr: one instance
  const char* summary;  ///< "{label}" stands for the label's value
  measure_fn measure;
};

/// Every rule the server evaluates, in the YAML file's order.
const std::vector<rule>& rule_table();

/// The YAML file's rules the server does not evaluate, each with the reason.
const std::vector<std::pair<std::string, std::string>>& rules_without_counterpart();

/// Whether `value op threshold` holds.
bool holds(comparison op, double value, double threshold) noexcept;

/// What evaluate() keeps between calls.
struct memory {
  std::deque<sample> history;             ///< oldest first, a little over the longest window
  std::map<std::string, millis> since;    ///< rule name + label value -> when its condition began to hold
};

struct active_alert {
  std::string name;
  std::string severity;
  bool firing = false;  ///< held for the rule's `for`; else pending
  millis since = 0;     ///< when the condition began to hold (continuously)
  std::string summary;
  std::string label, label_value;  ///< empty for a rule without label
  double value = 0;
  double threshold = 0;
  millis hold = 0;
};

/// Adds `f` to the memory's history, evaluates every rule of `rules` and
/// returns the conditions that hold now (pending or firing), in table order.
std::vector<active_alert> evaluate(const figures& f, memory& m, const std::vector<rule>& rules = rule_table());

} // namespace leadbase::http::alerts
