#pragma once
// A tiny writer of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), for GET /metrics.
//
// Operation: each call adds one sample (or one histogram) to a *family*; the
// first call of a family fixes its TYPE and HELP. Families are written in the
// order they were first used, each with its samples together, so modules can
// contribute samples in any order without breaking the format's grouping rule.
// Names and label names that are not valid Prometheus identifiers, and samples
// whose type contradicts their family's, are dropped (counted in dropped()).
// Label values and HELP text are escaped as the format requires.
//
// House rules for names (docs/http-api.md): prefix `leadbase_`, base units (seconds,
// bytes), counters end in `_total`; never a lead's id, email or handle in a label.
//
// Concurrency: one writer per thread; not thread-safe.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadbase::http {

/// The Content-Type of the 0.0.4 text format.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_writer {
 public:
  void counter(std::string_view name, std::string_view help, double value, const metric_labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const metric_labels& labels = {});
  /// A histogram: `upper_bounds` ascending (without +Inf); `cumulative` has one
  /// more entry than `upper_bounds`, the last being +Inf (= the count).
  void histogram(std::string_view name, std::string_view help, const std::vector<double>& upper_bounds,
                 const std::vector<uint64_t>& cumulative, double sum, const metric_labels& labels = {});

  /// The exposition text, every family with HELP and TYPE lines.
  std::string str() const;
  /// Samples refused (bad name, type clash, malformed histogram).
  std::size_t dropped() const noexcept { return dropped_; }

  static bool valid_name(std::string_view name) noexcept;
  static bool valid_label_name(std::string_view name) noexcept;
  /// A value as the format writes it: integers without a fraction, NaN, +Inf, -Inf.
  static std::string format_value(double v);

 private:
  struct family {
    std::string type, help;
    std::string samples;
  };
  family* declare(std::string_view name, std::string_view type, std::string_view help);
  bool write_labels(std::string& out, const metric_labels& labels, const char* le = nullptr);

  std::vector<std::string> order_;
  std::map<std::string, family, std::less<>> families_;
  std::size_t dropped_ = 0;
};

} // namespace leadbase::http
