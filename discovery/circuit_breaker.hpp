#pragma once
// A circuit breaker per Creator Discovery provider (docs/domain.md "Failures,
// backoff and the circuit breaker"): after too many failures it stops calling
// a provider that is down, so leads fail fast as `provider_unavailable` and are
// rescheduled instead of piling up timeouts against it.
//
// Operation:
//   closed    every call goes out; outcomes fill a sliding window of the last
//             `window` calls. When it holds at least `min_calls` outcomes and
//             at least `failure_ratio` of them are failures -> open.
//   open      no call goes out (allow() is false) for `open_ms`; then the next
//             allow()/current() moves to half_open.
//   half_open `half_open_calls` trial calls go out; all of them succeeding ->
//             closed (with an empty window), any failing -> open again.
//
// Concurrency: none. One breaker has one owner (the provider's enrichment
// actor), which serialises every call; there are no locks and no atomics.
//
// Time: injected. Every method that may depend on time takes `now` (ms, from
// the owner's clock; a monotonic one is best), so tests step time by hand and
// nothing here reads a clock or sleeps.
//
// Limitations: outcomes are not tied to the allow() that let their call out. A
// result arriving while the breaker is open is ignored; one arriving in
// half_open counts as a trial result. With a call timeout (5 s) far below
// open_ms (30 s) a call from before the opening cannot land in half_open.
#include <cstdint>
#include <functional>
#include <vector>

#include "discovery/options.hpp"
#include "discovery/provider.hpp"
#include "events/event.hpp"

namespace leadbase::discovery {

enum class breaker_state : uint8_t { closed, open, half_open };

/// "closed", "open", "half_open": for logs and metric label values.
const char* to_string(breaker_state s) noexcept;

/// One change of state, as the transition hook sees it.
struct breaker_transition {
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  millis at = 0;
};

/// Whether a failed call of class `c` counts against the provider's health
/// (on_failure) or not (on_success): not_found is a healthy provider answering
/// "no such account"; everything else counts. A fail-fast of this breaker
/// (provider_unavailable) was no call and is reported neither way.
bool is_breaker_failure(error_class c) noexcept;

class circuit_breaker {
 public:
  /// Called after every state change, on the owner's thread, from inside the
  /// method that caused it: the place to log and update metrics.
  using transition_hook = std::function<void(const breaker_transition&)>;

  /// A window or half_open_calls of 0 is treated as 1 (config validation
  /// should refuse both; the breaker must not get stuck either way).
  explicit circuit_breaker(breaker_options opts, transition_hook hook = {});

  // -- the call protocol --------------------------------------------------------

  /// May a call go out now? Closed: yes. Open: no, until open_ms have passed,
  /// then the breaker turns half_open. Half_open: yes for the first
  /// half_open_calls asks (each takes a trial slot), then no. Every "no" is
  /// counted in rejected().
  bool allow(millis now);

  /// The call let out by allow() succeeded.
  void on_success(millis now);

  /// The call let out by allow() failed (in a way is_breaker_failure counts).
  void on_failure(millis now);

  /// Opens at once, whatever the window says: for failures that make every
  /// further call pointless (auth_error: the token is bad for all leads).
  void trip(millis now);

  // -- observers ----------------------------------------------------------------

  /// The state at `now`; moves an expired open breaker to half_open (and fires
  /// the hook), so a metrics scrape sees the same state the next call would.
  breaker_state current(millis now);

  /// How long until an open breaker lets trial calls through; 0 unless open.
  /// A natural lower bound for rescheduling provider_unavailable attempts.
  millis open_remaining(millis now) const noexcept;

  /// Outcomes in the window, and how many of them are failures (closed state).
  uint32_t window_calls() const noexcept { return count_; }
  uint32_t window_failures() const noexcept { return failures_; }

  /// State changes since construction (for a counter metric).
  uint64_t transitions() const noexcept { return transitions_; }
  /// Times the breaker went to open (from closed, half_open or trip()).
  uint64_t times_opened() const noexcept { return opened_; }
  /// Calls refused by allow() since construction.
  uint64_t rejected() const noexcept { return rejected_; }

  const breaker_options& options() const noexcept { return opts_; }

 private:
  void record(bool failure, millis now);
  void transition(breaker_state to, millis now);
  void clear_window() noexcept;
  /// open -> half_open once open_ms have passed.
  void expire(millis now);

  breaker_options opts_;
  transition_hook hook_;
  breaker_state state_ = breaker_state::closed;

  // closed: ring buffer of the last `window` outcomes (true = failure)
  std::vector<bool> ring_;
  uint32_t next_ = 0;
  uint32_t count_ = 0;
  uint32_t failures_ = 0;

  // open
  millis opened_at_ = 0;

  // half_open
  uint32_t trials_started_ = 0;
  uint32_t trials_succeeded_ = 0;

  uint64_t transitions_ = 0;
  uint64_t opened_ = 0;
  uint64_t rejected_ = 0;
};

} // namespace leadbase::discovery
