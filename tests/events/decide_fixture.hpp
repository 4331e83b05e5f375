#pragma once
// What the decide_*_test.cpp tables share: settings, a context with a fixed
// clock and random draw, and leads at the points the rules care about.
#include <catch2/catch.hpp>

#include "events/decide.hpp"
#include "tests/support/sample_events.hpp"

namespace leadbase::test {

inline constexpr millis t_now = 1'764'340'000'000;  // later than every sample event

inline decide_options rules(bool has_provider = true) {
  decide_options o;
  o.has_provider = has_provider;
  o.disposable_domains = builtin_disposable_domains();
  o.retry.base_ms = 1000;
  o.retry.cap_ms = 300000;
  o.retry.max_attempts = 6;
  return o;
}

inline decide_context context_at(const decide_options& o, millis now = t_now, double uniform = 0.5) {
  decide_context ctx;
  ctx.now = now;
  ctx.uniform = uniform;
  ctx.id_bits = 42;
  ctx.options = &o;
  return ctx;
}

/// A lead folded from `payloads`, one event each, versions 1, 2, ...
inline lead_state lead_after(std::initializer_list<payload> payloads) {
  lead_state s = initial("u-1");
  lead_version v = 0;
  for (const payload& p : payloads) {
    ++v;
    event e = make_event("u-1", "e" + std::to_string(v), p, v);
    e.meta.correlation_id = "corr-1";
    evolve(s, e);
  }
  return s;
}

/// Signed up with an Instagram handle and qualified: owes its first call.
inline lead_state awaiting_first_call() { return lead_after({sample_signup(), sample_qualified()}); }

inline enrich_call first_call() { return enrich_call{network::instagram, "anasouza", 1, false}; }

/// The one event a decision appends, of payload type T.
template <class T>
const T& only_event(const decision& d) {
  REQUIRE(d.to_append.size() == 1);
  const T* p = std::get_if<T>(&d.to_append.front().data);
  REQUIRE(p);
  return *p;
}

} // namespace leadbase::test
