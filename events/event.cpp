#include "events/event.hpp"

namespace leadbase {

const char* to_string(event_type t) noexcept {
  switch (t) {
    case event_type::signed_up: return "signed_up";
    case event_type::qualified: return "qualified";
    case event_type::enriched: return "enriched";
    case event_type::enrichment_failed: return "enrichment_failed";
    case event_type::erased: return "erased";
    case event_type::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<event_type> event_type_from_string(const std::string& s) noexcept {
  if (s == "signed_up") return event_type::signed_up;
  if (s == "qualified") return event_type::qualified;
  if (s == "enriched") return event_type::enriched;
  if (s == "enrichment_failed") return event_type::enrichment_failed;
  if (s == "erased") return event_type::erased;
  return std::nullopt;
}

const char* to_string(failure_class c) noexcept {
  switch (c) {
    case failure_class::timeout: return "timeout";
    case failure_class::rate_limited: return "rate_limited";
    case failure_class::provider_error: return "provider_error";
    case failure_class::not_found: return "not_found";
    case failure_class::auth_error: return "auth_error";
    case failure_class::invalid_response: return "invalid_response";
    case failure_class::provider_unavailable: return "provider_unavailable";
    case failure_class::provider_disabled: return "provider_disabled";
    case failure_class::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<failure_class> failure_class_from_string(std::string_view name) noexcept {
  for (failure_class c : all_failure_classes)
    if (name == to_string(c)) return c;
  return std::nullopt;
}

event_type type_of(const payload& p) noexcept {
  switch (p.index()) {
    case 0: return event_type::signed_up;
    case 1: return event_type::qualified;
    case 2: return event_type::enriched;
    case 3: return event_type::enrichment_failed;
    case 4: return event_type::erased;
    default: return event_type::unknown;
  }
}

} // namespace leadbase
