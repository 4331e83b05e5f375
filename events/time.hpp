#pragma once
// RFC 3339 times as the API writes them: UTC with milliseconds.
#include <optional>
#include <string>
#include <string_view>

#include "events/event.hpp"

namespace leadbase {

/// "2026-11-28T12:00:00.000Z". Always UTC, always three fraction digits.
std::string format_time(millis t);

/// Accepts RFC 3339 with any fraction (truncated to ms) and a Z or ±HH:MM
/// offset; also the Graph API's "+0000" form. nullopt when malformed.
std::optional<millis> parse_time(std::string_view s);

/// The wall clock, in ms. The only place the model reads a clock; pure code
/// (evolve, decide, react) takes `now` as an argument instead.
millis now_millis();

} // namespace leadbase
