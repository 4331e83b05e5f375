#include "http/query_params.hpp"

#include <charconv>
#include <string>

namespace leadbase::http {

std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;  // too big
  return value;
}

std::optional<problem> uint_param(const request& req, const char* name, uint64_t& out, uint64_t min, uint64_t max) {
  const std::string* text = req.query_param(name);
  if (!text) return std::nullopt;
  auto value = parse_uint(*text, max);
  if (value && *value >= min) {
    out = *value;
    return std::nullopt;
  }
  if (min == 0 && max == no_upper_bound) return validation_problem(name, "must be a non-negative integer");
  return validation_problem(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

std::optional<problem> parse_read_wait(const request& req, read_wait& out) {
  uint64_t position = 0;
  if (req.query_param("min_position")) {
    if (auto p = uint_param(req, "min_position", position)) return p;
    out.min_position = position;
  }
  uint64_t wait_ms = static_cast<uint64_t>(out.wait.count());
  if (auto p = uint_param(req, "wait_ms", wait_ms, 0, static_cast<uint64_t>(read_wait::max_wait.count()))) return p;
  out.wait = std::chrono::milliseconds(wait_ms);
  return std::nullopt;
}

} // namespace leadbase::http
