#include "discovery/provider.hpp"

namespace leadbase::discovery {

const char* to_string(error_class c) noexcept {
  switch (c) {
    case error_class::timeout: return "timeout";
    case error_class::rate_limited: return "rate_limited";
    case error_class::provider_error: return "provider_error";
    case error_class::not_found: return "not_found";
    case error_class::auth_error: return "auth_error";
    case error_class::invalid_response: return "invalid_response";
  }
  return "provider_error";
}

} // namespace leadbase::discovery
