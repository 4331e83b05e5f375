#pragma once
// Retry policy of Creator Discovery (docs/domain.md "Failures, backoff and the circuit breaker"):
// which failures are retried, how many attempts a cycle gets, and how long to
// wait before the next one (exponential backoff with full jitter).
//
// Pure functions: randomness is injected (`uniform_source`), so the enrichment
// service draws from a real engine and the tests from fixed values. No clock:
// the caller adds the returned delay to its own `now` for `next_attempt_at`.
//
// The failure classes are events/event.hpp's `failure_class`; which of them
// was a real call is `counts_as_call`, the rule the fold counts attempts by.
#include <cstdint>
#include <functional>
#include <optional>

#include "events/event.hpp"

namespace leadbase {

/// [discovery.retry] in the config file.
struct retry_options {
  uint32_t base_ms = 1000;
  uint32_t cap_ms = 300000;
  uint32_t max_attempts = 6;
};

// -- which failures are retried ---------------------------------------------------

/// The retry column of the docs/domain.md table: timeout, rate_limited,
/// provider_error and the breaker's provider_unavailable are worth another
/// attempt; not_found, auth_error, invalid_response will fail the same way,
/// provider_disabled has no provider to ask, and an unknown class must not
/// loop forever.
constexpr bool is_retryable(failure_class c) noexcept {
  return c == failure_class::timeout || c == failure_class::rate_limited || c == failure_class::provider_error ||
         c == failure_class::provider_unavailable;
}

/// Whether the enrichment may be tried again after a failure of class `c`.
/// `attempt` is the number of real calls made in this cycle so far, including
/// the one that just failed (enrichment_failed.attempt,
/// network_enrichment::cycle_attempts). Final classes never retry; a class that
/// made no call (counts_as_call false) is not held to the limit; the others
/// retry while attempt < max_attempts, so max_attempts = 6 allows attempts 1..6.
bool may_retry(uint32_t attempt, failure_class c, const retry_options& opts) noexcept;

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
/// min(cap, base * 2^attempt), docs/domain.md's formula with `attempt` counted as in
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
std::optional<millis> next_retry_delay_ms(uint32_t attempt, failure_class c, const retry_options& opts,
                                          const uniform_source& rng,
                                          std::optional<millis> server_wait_ms = std::nullopt);

} // namespace leadbase
