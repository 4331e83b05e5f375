#pragma once
// Decoded lead events: what the fold, the rules and the JSON layer work with.
// The stored form is the FlatBuffers schema in lead_events.fbs (events/codec.hpp
// converts); personal fields here are plaintext, the log keeps them sealed.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/strong_count.hpp"

namespace leadbase {

/// Milliseconds since the Unix epoch, UTC. Every time in the model is one.
using millis = int64_t;
/// SHA-256 of a stored event (hash chain link).
using hash256 = std::array<uint8_t, 32>;
/// Keyed digest of a command's content, for idempotency by event id.
using content_digest = std::array<uint8_t, 32>;

/// A social network a lead gives a handle on (docs/domain.md "Events",
/// `social`). Instagram and YouTube are enriched (enrichable_networks in
/// events/lead_state.hpp); TikTok is only a contact handle, though the API
/// still takes `enriched` and `enrichment_failed` events pushed for it.
/// Stored and shown by name (to_string); `unknown` stands for a stored name
/// this version does not know. Declared in the names' alphabetical order, so
/// a map keyed by network lists them as the names sorted did.
enum class network : uint8_t { instagram, tiktok, youtube, unknown };

/// Every network, for tables and tests.
inline constexpr network all_networks[] = {network::instagram, network::tiktok, network::youtube, network::unknown};

/// The stored name ("instagram", "tiktok", "youtube", "unknown").
const char* to_string(network n) noexcept;
/// The network of a stored name; nullopt for a name no network has.
std::optional<network> network_from_string(std::string_view name) noexcept;

struct social_handles {
  std::string instagram; // empty = absent
  std::string youtube;
  std::string tiktok;
  bool any() const { return !instagram.empty() || !youtube.empty() || !tiktok.empty(); }
};

struct utm_source {
  std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content;
};

// -- payloads ----------------------------------------------------------------

struct signed_up {
  // personal (sealed in the log)
  std::string email;
  std::string name;
  std::string phone;     // empty = absent
  std::string document;  // CPF or CNPJ digits; empty = absent
  social_handles social;
  // not personal
  std::string country;   // ISO 3166-1 alpha-2; empty = absent
  std::string locale;
  utm_source source;
  // Which optional personal fields the signup had. Stored in the clear (they
  // say nothing about the values), so that after erasure every field that had
  // a value shows as erased rather than as absent.
  bool had_phone = false, had_document = false, had_instagram = false, had_youtube = false, had_tiktok = false;

  bool has_phone() const { return had_phone || !phone.empty(); }
  bool has_document() const { return had_document || !document.empty(); }
  bool has_instagram() const { return had_instagram || !social.instagram.empty(); }
  bool has_youtube() const { return had_youtube || !social.youtube.empty(); }
  bool has_tiktok() const { return had_tiktok || !social.tiktok.empty(); }
};

enum class outcome : uint8_t { qualified = 0, disqualified = 1 };

struct qualified {
  outcome result = outcome::qualified;
  std::vector<std::string> reasons;  // docs/domain.md "Qualification" reason codes
  std::string rules_version;
  std::string decided_by = "rules";  // "rules" or a person
};

struct content_mix {
  double image = 0, video = 0, carousel = 0, reels = 0;
};

/// One network's data as a provider answered it: an `enriched` event but for
/// its network, and what the lead's state keeps of each network's newest one.
struct network_profile {
  std::string handle;   // personal
  int64_t followers = 0;
  int64_t follows = 0;
  int64_t media_count = 0;
  std::optional<double> engagement_rate;
  std::optional<double> posts_per_week;
  content_mix mix;
  std::string creator_tier;  // none, nano, micro, mid, macro, mega
  bool likes_hidden = false;
  std::string provider;
  millis fetched_at = 0;
  std::vector<std::string> missing_fields;
  std::optional<int64_t> views;
};

/// A network's profile, and which network it is: the fold keeps the profile
/// part as it is (lead_state::social).
struct enriched : network_profile {
  leadbase::network network = leadbase::network::unknown;
};

/// Why an enrichment attempt failed (docs/domain.md "Failures, backoff and the circuit breaker"). The
/// first six are a provider's classified answers; provider_unavailable is the
/// circuit breaker's fail-fast and provider_disabled the answer for a network
/// no provider serves. Stored and shown by name (to_string); `unknown` stands
/// for a stored name this version does not know.
enum class failure_class : uint8_t {
  timeout,               ///< no full answer within the call timeout
  rate_limited,          ///< HTTP 429 or a Graph throttling code
  provider_error,        ///< 5xx, Graph codes 1/2, is_transient, connection refused
  not_found,             ///< no such account (or a personal Instagram account)
  auth_error,            ///< bad token/key or missing permission: every call would fail
  invalid_response,      ///< unparseable or shape-violating answer
  provider_unavailable,  ///< failed fast: the provider's circuit is open (no call made)
  provider_disabled,     ///< no provider serves the network (no call made)
  unknown,               ///< a stored name this version does not know
};

/// Every failure_class, for tables and tests.
inline constexpr failure_class all_failure_classes[] = {
    failure_class::timeout,          failure_class::rate_limited,         failure_class::provider_error,
    failure_class::not_found,        failure_class::auth_error,           failure_class::invalid_response,
    failure_class::provider_unavailable, failure_class::provider_disabled, failure_class::unknown};

/// The stored name ("timeout", ..., "provider_disabled", "unknown").
const char* to_string(failure_class c) noexcept;
/// The class of a stored name; nullopt for a name no class has.
std::optional<failure_class> failure_class_from_string(std::string_view name) noexcept;

/// Whether a failure of class `c` was a real call to the provider: the one
/// rule behind the fold's attempt counts and the retry policy's attempt limit.
/// False for the breaker's fail-fast and for a disabled provider: neither made
/// a call, so neither uses up the lead's attempts.
constexpr bool counts_as_call(failure_class c) noexcept {
  return c != failure_class::provider_unavailable && c != failure_class::provider_disabled;
}

struct enrichment_failed {
  leadbase::network network = leadbase::network::unknown;
  std::string handle;  // personal
  uint32_t attempt = 0;      // the call's number in its cycle (for a fail-fast: the call it stood for)
  failure_class error_class = failure_class::provider_error;
  std::string provider_code;
  bool retryable = false;
  std::optional<millis> next_attempt_at;  // absent when final
};

struct erased {
  std::string reason;
  std::string requested_by;
};

// -- working the lead (docs/domain.md "Working the leads") --------------------

/// How a lead got its owner: the owner claimed it, or an admin gave it.
enum class assign_how : uint8_t { claim, manual };
/// Why a lead lost its owner.
enum class release_reason : uint8_t { by_owner, by_admin, expired };
enum class contact_channel : uint8_t { phone, whatsapp, email, instagram_dm, other };
enum class contact_outcome : uint8_t {
  no_answer, connected, meeting_booked, not_interested, wrong_contact, do_not_contact,
};

/// The stored and shown names ("claim", "by_owner", "instagram_dm", ...).
const char* to_string(assign_how h) noexcept;
const char* to_string(release_reason r) noexcept;
const char* to_string(contact_channel c) noexcept;
const char* to_string(contact_outcome o) noexcept;
/// The value of a name; nullopt for a name no value has.
std::optional<assign_how> assign_how_from_string(std::string_view name) noexcept;
std::optional<release_reason> release_reason_from_string(std::string_view name) noexcept;
std::optional<contact_channel> contact_channel_from_string(std::string_view name) noexcept;
std::optional<contact_outcome> contact_outcome_from_string(std::string_view name) noexcept;

/// Whether a contact with this outcome closes the lead's work (not_interested,
/// wrong_contact, do_not_contact). meeting_booked ends it too, but is no closing.
constexpr bool closes(contact_outcome o) noexcept {
  return o == contact_outcome::not_interested || o == contact_outcome::wrong_contact ||
         o == contact_outcome::do_not_contact;
}

/// The lead has an owner now.
struct assigned {
  std::string owner;
  std::string by;  // the owner for a claim, the admin for a manual assignment
  assign_how how = assign_how::claim;
  std::optional<millis> expires_at;  // when the claim lapses without a contact (decide: claim TTL)
};

/// The lead has no owner any more.
struct released {
  std::string owner;  // who owned it
  std::string by;     // who released it ("system" for an expired claim)
  release_reason reason = release_reason::by_owner;
};

/// Someone worked the lead: a call, a message, an e-mail.
struct contact_logged {
  std::string by;
  contact_channel channel = contact_channel::phone;
  contact_outcome result = contact_outcome::no_answer;
  std::string note;  // personal (sealed in the log); empty = none
  bool had_note = false;  // stored in the clear, like signed_up's presence flags
  millis contacted_at = 0;
  /// The claim's new lapse time when this contact (by the owner, lead still
  /// open) extended it; absent otherwise.
  std::optional<millis> claim_expires_at;
  bool has_note() const { return had_note || !note.empty(); }
};

/// An event type written by a newer version: kept in the log, skipped by the fold.
struct unknown_event {
  uint8_t type_tag = 0;
};

using payload = std::variant<signed_up, qualified, enriched, enrichment_failed, erased, assigned, released,
                             contact_logged, unknown_event>;

enum class event_type : uint8_t {
  signed_up = 1, qualified = 2, enriched = 3, enrichment_failed = 4, erased = 5,
  assigned = 6, released = 7, contact_logged = 8, unknown = 0,
};

/// The types only the work commands append (never accepted from ingest).
constexpr bool is_work_event(event_type t) noexcept {
  return t == event_type::assigned || t == event_type::released || t == event_type::contact_logged;
}

const char* to_string(event_type t) noexcept;
/// Parses the API's type names; nullopt for anything else.
std::optional<event_type> event_type_from_string(const std::string& s) noexcept;
event_type type_of(const payload& p) noexcept;

// -- the envelope --------------------------------------------------------------

struct envelope {
  std::string event_id;
  std::string lead_id;
  lead_version version = 0;
  global_position position = 0;
  uint16_t schema_version = 1;
  millis occurred_at = 0;
  millis recorded_at = 0;
  std::string correlation_id;
  std::string causation_id;
  hash256 prev_hash{};
  content_digest digest{};
};

struct event {
  envelope meta;
  payload data;
  /// The lead's data key was destroyed: the personal fields above are empty and
  /// must be shown as erased.
  bool personal_erased = false;

  event_type type() const noexcept { return type_of(data); }
};

} // namespace leadbase
