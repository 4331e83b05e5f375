#pragma once
// The classification rules both providers share: transport failures, and the
// wait hints a provider gives in headers. Network-specific error bodies are
// classified next to their parsers (instagram.cpp, youtube.cpp).
#include <optional>
#include <string_view>

#include "discovery/http_client.hpp"
#include "discovery/provider.hpp"

namespace leadbase::discovery {

/// The longest wait a provider may impose (docs/domain.md: "at most 1 h").
inline constexpr millis max_retry_after_ms = 3600 * 1000;

/// No complete HTTP answer: timeout -> timeout; refused, unreachable, TLS and
/// broken connections -> provider_error; a body over the limit or bytes that
/// are not HTTP -> invalid_response.
failure classify_transport(const http_failure& f);

/// Retry-After in delta-seconds ("2") -> ms, capped at 1 h. An HTTP-date or
/// junk gives nullopt (the backoff schedule then decides).
std::optional<millis> parse_retry_after(std::string_view value);

/// A wait in minutes (Graph's estimated_time_to_regain_access) -> ms, capped.
std::optional<millis> minutes_to_wait(double minutes);

/// "http_503" and friends.
std::string http_code(unsigned status);

/// The class of a bare HTTP status without a recognisable error body:
/// 429 -> rate_limited, 5xx -> provider_error, 401/403 -> auth_error,
/// 404 -> not_found, anything else -> provider_error.
error_class classify_status(unsigned status) noexcept;

} // namespace leadbase::discovery
