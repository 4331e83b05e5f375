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
