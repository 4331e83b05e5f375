#include "events/event.hpp"

namespace leadbase {

const char* to_string(event_type t) noexcept {
  switch (t) {
    case event_type::signed_up: return "signed_up";
    case event_type::qualified: return "qualified";
    case event_type::enriched: return "enriched";
    case event_type::enrichment_failed: return "enrichment_failed";
    case event_type::erased: return "erased";
    case event_type::assigned: return "assigned";
    case event_type::released: return "released";
    case event_type::contact_logged: return "contact_logged";
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
  if (s == "assigned") return event_type::assigned;
  if (s == "released") return event_type::released;
  if (s == "contact_logged") return event_type::contact_logged;
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

const char* to_string(network n) noexcept {
  switch (n) {
    case network::instagram: return "instagram";
    case network::tiktok: return "tiktok";
    case network::youtube: return "youtube";
    case network::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<network> network_from_string(std::string_view name) noexcept {
  for (network n : all_networks)
    if (name == to_string(n)) return n;
  return std::nullopt;
}

event_type type_of(const payload& p) noexcept {
  switch (p.index()) {
    case 0: return event_type::signed_up;
    case 1: return event_type::qualified;
    case 2: return event_type::enriched;
    case 3: return event_type::enrichment_failed;
    case 4: return event_type::erased;
    case 5: return event_type::assigned;
    case 6: return event_type::released;
    case 7: return event_type::contact_logged;
    default: return event_type::unknown;
  }
}

namespace {

template <class E, size_t N>
std::optional<E> by_name(std::string_view name, const E (&all)[N]) noexcept {
  for (E v : all)
    if (name == to_string(v)) return v;
  return std::nullopt;
}

constexpr assign_how all_how[] = {assign_how::claim, assign_how::manual};
constexpr release_reason all_reasons[] = {release_reason::by_owner, release_reason::by_admin, release_reason::expired};
constexpr contact_channel all_channels[] = {contact_channel::phone, contact_channel::whatsapp, contact_channel::email,
                                            contact_channel::instagram_dm, contact_channel::other};
constexpr contact_outcome all_outcomes[] = {contact_outcome::no_answer,      contact_outcome::connected,
                                            contact_outcome::meeting_booked, contact_outcome::not_interested,
                                            contact_outcome::wrong_contact,  contact_outcome::do_not_contact};

} // namespace

const char* to_string(assign_how h) noexcept { return h == assign_how::manual ? "manual" : "claim"; }

const char* to_string(release_reason r) noexcept {
  switch (r) {
    case release_reason::by_owner: return "by_owner";
    case release_reason::by_admin: return "by_admin";
    case release_reason::expired: return "expired";
  }
  return "by_owner";
}

const char* to_string(contact_channel c) noexcept {
  switch (c) {
    case contact_channel::phone: return "phone";
    case contact_channel::whatsapp: return "whatsapp";
    case contact_channel::email: return "email";
    case contact_channel::instagram_dm: return "instagram_dm";
    case contact_channel::other: return "other";
  }
  return "other";
}

const char* to_string(contact_outcome o) noexcept {
  switch (o) {
    case contact_outcome::no_answer: return "no_answer";
    case contact_outcome::connected: return "connected";
    case contact_outcome::meeting_booked: return "meeting_booked";
    case contact_outcome::not_interested: return "not_interested";
    case contact_outcome::wrong_contact: return "wrong_contact";
    case contact_outcome::do_not_contact: return "do_not_contact";
  }
  return "no_answer";
}

std::optional<assign_how> assign_how_from_string(std::string_view name) noexcept { return by_name(name, all_how); }
std::optional<release_reason> release_reason_from_string(std::string_view name) noexcept {
  return by_name(name, all_reasons);
}
std::optional<contact_channel> contact_channel_from_string(std::string_view name) noexcept {
  return by_name(name, all_channels);
}
std::optional<contact_outcome> contact_outcome_from_string(std::string_view name) noexcept {
  return by_name(name, all_outcomes);
}

} // namespace leadbase
