#pragma once
// Retry policy of Creator Discovery (DOMAIN.md "Failures and resilience"):
// which failures are retried, how many attempts a cycle gets, and how long to
// wait before the next one (exponential backoff with full jitter).
//
// Pure functions: randomness is injected (`uniform_source`), so the enrichment
// service draws from a real engine and the tests from fixed values. No clock:
// the caller adds the returned delay to its own `now` for `next_attempt_at`.
//
// The provider error classes are discovery/provider.hpp's `error_class`. The
// seventh class, `provider_unavailable`, is no provider's answer but the
// breaker's fail-fast; it exists only as the stored name, and the string
// overloads below (which read `enrichment_failed.error_class` and
// `network_enrichment::last_error`) know all seven.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "discovery/options.hpp"
#include "discovery/provider.hpp"

namespace leadbase::discovery {

// -- which failures are retried ---------------------------------------------------

/// The stored error class of an attempt that an open circuit failed fast.
inline constexpr std::string_view provider_unavailable = "provider_unavailable";

/// By stored name: timeout, rate_limited, provider_error and
/// provider_unavailable are retried; not_found, auth_error, invalid_response
/// and any unknown name are final (an unknown class must not loop forever).
bool is_retryable(std::string_view error_class_name) noexcept;

/// False only for provider_unavailable: a fail-fast of an open circuit made no
/// call, so it must not use up the lead's attempts (it is rescheduled, not lost).
bool counts_towards_limit(std::string_view error_class_name) noexcept;

/// Whether the enrichment may be tried again after a provider failure of class
/// `c`. `attempt` is the number of real calls made in this cycle so far,
/// including the one that just failed (enrichment_failed.attempt,
/// network_enrichment::cycle_attempts). Final classes never retry; the others
/// while attempt < max_attempts, so max_attempts = 6 allows attempts 1..6.
bool may_retry(uint32_t attempt, error_class c, const retry_options& opts) noexcept;

/// The same by stored name; provider_unavailable is retried whatever `attempt` is.
bool may_retry(uint32_t attempt, std::string_view error_class_name, const retry_options& opts) noexcept;

// -- how long to wait -------------------------------------------------------------

/// A source of uniform doubles in [0, 1). Values outside are clamped, NaN is 0.
using uniform_source = std::function<double()>;

/// A uniform_source drawing from a std::mt19937_64 seeded with `seed`: the
/// production source (seed it from std::random_device) and a reproducible one
/// for tests and the simulator. Copies of the function share one engine.
uniform_source seeded_uniform(uint64_t seed);

/// The longest server-requested wait honoured (1 h): a hostile or broken
/// `Retry-After` must not park a lead for days.
inline constexpr millis max_server_wait_ms = 3'600'000;

/// The upper bound of the jittered sleep after attempt `attempt`:
/// min(cap, base * 2^attempt), DOMAIN.md's formula with `attempt` counted as in
/// may_retry (1 after the first failed call, so the first ceiling is 2 * base).
/// Never overflows: a large attempt gives the cap.
millis backoff_ceiling_ms(uint32_t attempt, const retry_options& opts) noexcept;

/// Full jitter: floor(u * ceiling) for one u from `rng`, so in
/// [0, backoff_ceiling_ms(attempt)]. Spreading retries over the whole interval
/// keeps leads that failed together from retrying together. An empty `rng` gives 0.
millis backoff_delay_ms(uint32_t attempt, const retry_options& opts, const uniform_source& rng);

/// The wait before the next attempt. A server-given wait (`Retry-After`,
/// Graph's `estimated_time_to_regain_access`: provider.hpp's
/// failure::retry_after) wins over the schedule, even above the cap, but is
/// itself capped at max_server_wait_ms (negative counts as 0); without one,
/// backoff_delay_ms. `rng` is called only when the schedule is used.
millis retry_delay_ms(uint32_t attempt, const retry_options& opts, const uniform_source& rng,
                      std::optional<millis> server_wait_ms = std::nullopt);

/// The whole decision after a provider failure: nullopt when it is final (the
/// event gets no next_attempt_at), else the delay before the next attempt.
std::optional<millis> next_retry_delay_ms(uint32_t attempt, error_class c, const retry_options& opts,
                                          const uniform_source& rng,
                                          std::optional<millis> server_wait_ms = std::nullopt);

} // namespace leadbase::discovery
