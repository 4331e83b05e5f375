#include "events/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace leadbase {

bool may_retry(uint32_t attempt, failure_class c, const retry_options& opts) noexcept {
  if (!is_retryable(c)) return false;
  if (!counts_as_call(c)) return true;
  return attempt < opts.max_attempts;
}

uniform_source seeded_uniform(uint64_t seed) {
  // shared_ptr: std::function needs a copyable callable, and a copy of the
  // source should continue the sequence rather than replay it.
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

millis backoff_ceiling_ms(uint32_t attempt, const retry_options& opts) noexcept {
  const uint64_t base = opts.base_ms;
  const uint64_t cap = opts.cap_ms;
  // base << attempt stays <= cap exactly when base <= cap >> attempt; checking
  // it that way round cannot overflow however large the attempt.
  if (attempt >= 63 || base > (cap >> attempt)) return static_cast<millis>(cap);
  return static_cast<millis>(base << attempt);
}

millis backoff_delay_ms(uint32_t attempt, const retry_options& opts, const uniform_source& rng) {
  const millis ceiling = backoff_ceiling_ms(attempt, opts);
  const double u = rng ? rng() : 0.0;
  if (!(u > 0.0)) return 0;  // also NaN
  if (u >= 1.0) return ceiling;
  const auto d = static_cast<millis>(std::floor(u * static_cast<double>(ceiling)));
  return std::clamp<millis>(d, 0, ceiling);
}

millis retry_delay_ms(uint32_t attempt, const retry_options& opts, const uniform_source& rng,
                      std::optional<millis> server_wait_ms) {
  if (server_wait_ms) return std::clamp<millis>(*server_wait_ms, 0, max_server_wait_ms);
  return backoff_delay_ms(attempt, opts, rng);
}

std::optional<millis> next_retry_delay_ms(uint32_t attempt, failure_class c, const retry_options& opts,
                                          const uniform_source& rng, std::optional<millis> server_wait_ms) {
  if (!may_retry(attempt, c, opts)) return std::nullopt;
  return retry_delay_ms(attempt, opts, rng, server_wait_ms);
}

} // namespace leadbase
