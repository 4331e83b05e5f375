#include "http/metrics_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace leadbase::http {
namespace {

bool ident_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

void escape_into(std::string& out, std::string_view v, bool quote) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

} // namespace

bool metrics_writer::valid_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!ident_char(name[i], i == 0, true)) return false;
  return true;
}

bool metrics_writer::valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!ident_char(name[i], i == 0, false)) return false;
  return true;
}

std::string metrics_writer::format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    // The shortest form that reads back as the same double (0.0005, not 0.00050000000000000001).
    for (int precision = 6; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
  }
  return buf;
}

metrics_writer::family* metrics_writer::declare(std::string_view name, std::string_view type, std::string_view help) {
  if (!valid_name(name)) return nullptr;
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), family{std::string(type), std::string(help), {}}).first;
    order_.emplace_back(name);
  }
  if (it->second.type != type) return nullptr;
  return &it->second;
}

bool metrics_writer::write_labels(std::string& out, const metric_labels& labels, const char* le) {
  if (labels.empty() && le == nullptr) return true;
  std::string text = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!valid_label_name(k) || k == "le") return false;
    if (!first) text += ',';
    first = false;
    text += k;
    text += "=\"";
    escape_into(text, v, true);
    text += '"';
  }
  if (le != nullptr) {
    if (!first) text += ',';
    text += "le=\"";
    text += le;
    text += '"';
  }
  text += '}';
  out += text;
  return true;
}

void metrics_writer::counter(std::string_view name, std::string_view help, double value, const metric_labels& labels) {
  family* f = declare(name, "counter", help);
  std::string line(name);
  if (f == nullptr || !write_labels(line, labels)) {
    ++dropped_;
    return;
  }
  f->samples += line + ' ' + format_value(value) + '\n';
}

void metrics_writer::gauge(std::string_view name, std::string_view help, double value, const metric_labels& labels) {
  family* f = declare(name, "gauge", help);
  std::string line(name);
  if (f == nullptr || !write_labels(line, labels)) {
    ++dropped_;
    return;
  }
  f->samples += line + ' ' + format_value(value) + '\n';
}

void metrics_writer::histogram(std::string_view name, std::string_view help, const std::vector<double>& upper_bounds,
                               const std::vector<uint64_t>& cumulative, double sum, const metric_labels& labels) {
  family* f = declare(name, "histogram", help);
  if (f == nullptr || cumulative.size() != upper_bounds.size() + 1) {
    ++dropped_;
    return;
  }
  std::string out;
  const std::string base(name);
  for (size_t i = 0; i <= upper_bounds.size(); ++i) {
    std::string le = i < upper_bounds.size() ? format_value(upper_bounds[i]) : "+Inf";
    std::string line = base + "_bucket";
    if (!write_labels(line, labels, le.c_str())) {
      ++dropped_;
      return;
    }
    out += line + ' ' + format_value(static_cast<double>(cumulative[i])) + '\n';
  }
  std::string sum_line = base + "_sum", count_line = base + "_count";
  write_labels(sum_line, labels);
  write_labels(count_line, labels);
  out += sum_line + ' ' + format_value(sum) + '\n';
  out += count_line + ' ' + format_value(static_cast<double>(cumulative.back())) + '\n';
  f->samples += out;
}

std::string metrics_writer::str() const {
  std::string out;
  for (const auto& name : order_) {
    const family& f = families_.find(name)->second;
    if (f.samples.empty()) continue;
    out += "# HELP " + name + ' ';
    escape_into(out, f.help, false);
    out += "\n# TYPE " + name + ' ' + f.type + '\n';
    out += f.samples;
  }
  return out;
}

} // namespace leadbase::http
