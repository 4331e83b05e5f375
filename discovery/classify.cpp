#include "discovery/classify.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace leadbase::discovery {

failure classify_transport(const http_failure& f) {
  switch (f.kind) {
    case transport_error::timeout:
      return make_failure(error_class::timeout, "timeout", f.detail);
    case transport_error::body_too_large:
      return make_failure(error_class::invalid_response, "body_too_large", f.detail);
    case transport_error::bad_response:
      return make_failure(error_class::invalid_response, "bad_http", f.detail);
    case transport_error::connect_refused:
    case transport_error::connect_failed:
    case transport_error::tls_failed:
    case transport_error::io:
    case transport_error::shutdown:
      break;
  }
  return make_failure(error_class::provider_error, to_string(f.kind), f.detail);
}

std::optional<millis> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 12) return std::nullopt;
  millis seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::min<millis>(seconds * 1000, max_retry_after_ms);
}

std::optional<millis> minutes_to_wait(double minutes) {
  if (!std::isfinite(minutes) || minutes <= 0) return std::nullopt;
  const double ms = minutes * 60'000.0;
  if (ms >= static_cast<double>(max_retry_after_ms)) return max_retry_after_ms;
  return static_cast<millis>(std::llround(ms));
}

std::string http_code(unsigned status) { return "http_" + std::to_string(status); }

error_class classify_status(unsigned status) noexcept {
  if (status == 429) return error_class::rate_limited;
  if (status >= 500) return error_class::provider_error;
  if (status == 401 || status == 403) return error_class::auth_error;
  if (status == 404) return error_class::not_found;
  return error_class::provider_error;
}

} // namespace leadbase::discovery
