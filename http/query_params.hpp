#pragma once
// The query parameters several routes share, parsed once, with one rule each
// and one wording of its 422 problem (docs/http-api.md, "Conventions"):
//   integers    decimal digits only (no sign, no space), within the route's
//               bounds: "must be a non-negative integer", or "must be an
//               integer from MIN to MAX" when the route bounds it;
//   read wait   min_position (a log position: answer once the projection has
//               applied it) and wait_ms (how long to wait for that: default
//               2000, at most 10000), on GET /v1/leads, /v1/leads/{id}, /v1/stats.
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "events/event.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"

namespace leadbase::http {

inline constexpr uint64_t no_upper_bound = std::numeric_limits<uint64_t>::max();

/// A decimal integer in [0, max]; nullopt when not only digits or out of range.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max = no_upper_bound);

/// The integer query parameter `name` into `out` (left as it is when absent);
/// a 422 problem naming it when it is not an integer in [min, max].
std::optional<problem> uint_param(const request& req, const char* name, uint64_t& out, uint64_t min = 0,
                                  uint64_t max = no_upper_bound);

struct read_wait {
  static constexpr std::chrono::milliseconds default_wait{2000}, max_wait{10000};
  std::optional<global_position> min_position;
  std::chrono::milliseconds wait = default_wait;
};

/// min_position and wait_ms; a 422 problem naming the first malformed one.
std::optional<problem> parse_read_wait(const request& req, read_wait& out);

} // namespace leadbase::http
