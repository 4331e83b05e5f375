#pragma once
// The provider interface of Creator Discovery (docs/domain.md): one implementation
// per social network, each asking the real API over HTTP. A provider makes ONE
// call per fetch; retries, backoff, the circuit breaker and concurrency limits
// are layered on top by the caller, which is why every failure comes back
// classified (error class, provider code, retryable, wait hint) instead of as
// an exception or a bare status code.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "events/event.hpp"
#include "events/retry_policy.hpp"

namespace leadbase::discovery {

/// The error classes of docs/domain.md "Failures, backoff and the circuit breaker": events/event.hpp's
/// failure_class. A provider produces only the first six; provider_unavailable
/// (the breaker's fail-fast) and provider_disabled are the caller's.
using error_class = failure_class;
using leadbase::is_retryable;
using leadbase::to_string;

/// A classified failure of one call.
struct failure {
  error_class kind = error_class::provider_error;
  /// What the provider said, compactly: "http_503", "graph_4",
  /// "graph_110/2207013", "youtube_quotaExceeded", "connect_refused", "timeout".
  std::string provider_code;
  bool retryable = true;
  /// A wait the provider asked for (Retry-After, estimated_time_to_regain_access),
  /// as a duration in ms, capped at 1 h. It wins over the backoff schedule.
  std::optional<millis> retry_after;
  /// Free text for logs at debug level; may quote the provider's message.
  std::string detail;
};

/// Builds a failure whose `retryable` follows the class.
inline failure make_failure(error_class kind, std::string provider_code, std::string detail = {},
                            std::optional<millis> retry_after = std::nullopt) {
  failure f;
  f.kind = kind;
  f.provider_code = std::move(provider_code);
  f.retryable = is_retryable(kind);
  f.retry_after = retry_after;
  f.detail = std::move(detail);
  return f;
}

/// The outcome of one fetch: the `enriched` payload, or a classified failure.
class fetch_result {
 public:
  fetch_result(enriched value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  fetch_result(failure err) : v_(std::move(err)) {}       // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  enriched& value() & { return std::get<0>(v_); }
  const enriched& value() const& { return std::get<0>(v_); }
  enriched&& value() && { return std::get<0>(std::move(v_)); }
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<enriched, failure> v_;
};

/**
 * One social network's data source.
 *
 * Operation: `fetch` starts one HTTP call and returns at once; `done` gets the
 * result later.
 *
 * Concurrency: `fetch` may be called from any thread. `done` is called exactly
 * once per fetch, from the provider's own I/O thread, so it must not block;
 * hand the result to an actor and return. Every call ends within the provider's
 * timeout (then as `error_class::timeout`).
 *
 * Lifetime: the provider owns its io_context and the thread that runs it. The
 * destructor aborts calls still in flight (their `done` runs, with a
 * provider_error "shutdown") and joins the thread. Do not call `fetch` while
 * the destructor runs, and do not destroy a provider from inside `done`.
 */
class provider {
 public:
  using callback = std::function<void(fetch_result)>;

  virtual ~provider() = default;

  /// Starts fetching one handle's public profile. `handle` may carry a leading '@'.
  virtual void fetch(const std::string& handle, callback done) = 0;

  /// Instagram or YouTube: the `network` of the events this provider feeds.
  virtual leadbase::network network() const = 0;
};

} // namespace leadbase::discovery
