#include "discovery/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace leadbase::discovery {

const char* to_string(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

bool is_breaker_failure(error_class c) noexcept { return c != error_class::not_found; }

circuit_breaker::circuit_breaker(breaker_options opts, transition_hook hook)
    : opts_(opts), hook_(std::move(hook)) {
  opts_.window = std::max<uint32_t>(1, opts_.window);
  opts_.half_open_calls = std::max<uint32_t>(1, opts_.half_open_calls);
  ring_.assign(opts_.window, false);
}

bool circuit_breaker::allow(millis now) {
  expire(now);
  switch (state_) {
    case breaker_state::closed: return true;
    case breaker_state::half_open:
      if (trials_started_ < opts_.half_open_calls) {
        ++trials_started_;
        return true;
      }
      break;
    case breaker_state::open: break;
  }
  ++rejected_;
  return false;
}

void circuit_breaker::on_success(millis now) { record(false, now); }

void circuit_breaker::on_failure(millis now) { record(true, now); }

void circuit_breaker::trip(millis now) {
  if (state_ == breaker_state::open) {
    opened_at_ = now;  // a fresh proof the provider is down: the full wait again
    return;
  }
  transition(breaker_state::open, now);
}

breaker_state circuit_breaker::current(millis now) {
  expire(now);
  return state_;
}

millis circuit_breaker::open_remaining(millis now) const noexcept {
  if (state_ != breaker_state::open) return 0;
  const millis until = opened_at_ + static_cast<millis>(opts_.open_ms);
  return now >= until ? 0 : until - now;
}

void circuit_breaker::record(bool failure, millis now) {
  expire(now);
  switch (state_) {
    case breaker_state::open:
      return;  // a late answer; the breaker already decided (see Limitations)
    case breaker_state::half_open:
      if (failure) {
        transition(breaker_state::open, now);
      } else if (++trials_succeeded_ >= opts_.half_open_calls) {
        transition(breaker_state::closed, now);
      }
      return;
    case breaker_state::closed: break;
  }
  // Slide the window: the oldest outcome leaves once it is full.
  if (count_ == opts_.window) {
    if (ring_[next_]) --failures_;
  } else {
    ++count_;
  }
  ring_[next_] = failure;
  if (failure) ++failures_;
  next_ = (next_ + 1) % opts_.window;
  // Checked after every outcome, not only failures: the rule is about the
  // window's ratio, which can reach the threshold when min_calls is reached.
  if (count_ >= opts_.min_calls &&
      static_cast<double>(failures_) >= opts_.failure_ratio * static_cast<double>(count_))
    transition(breaker_state::open, now);
}

void circuit_breaker::expire(millis now) {
  if (state_ == breaker_state::open && now - opened_at_ >= static_cast<millis>(opts_.open_ms))
    transition(breaker_state::half_open, now);
}

void circuit_breaker::clear_window() noexcept {
  std::fill(ring_.begin(), ring_.end(), false);
  next_ = count_ = failures_ = 0;
}

void circuit_breaker::transition(breaker_state to, millis now) {
  const breaker_state from = state_;
  state_ = to;
  switch (to) {
    case breaker_state::open:
      opened_at_ = now;
      ++opened_;
      clear_window();  // nothing is recorded while open or half_open
      break;
    case breaker_state::half_open:
      trials_started_ = trials_succeeded_ = 0;
      break;
    case breaker_state::closed:
      // A recovered provider starts with a clean slate, not with the failures
      // that opened the breaker.
      clear_window();
      break;
  }
  ++transitions_;
  if (hook_) hook_(breaker_transition{from, to, now});
}

} // namespace leadbase::discovery
