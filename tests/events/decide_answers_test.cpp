// decide on Creator Discovery's answers (record_fetch, circuit_open,
// provider_busy, provider_disabled): what each becomes, its retry delay, and
// which answers are stale. Formerly observed through the lead actor with real
// sleeps; here a fixed clock and a fixed random draw.
#include "tests/events/decide_fixture.hpp"

using namespace leadbase;
using namespace leadbase::test;

namespace {

/// Qualified, then `n` retryable failures whose retry is due before t_now:
/// owes call number n + 1.
lead_state after_failures(uint32_t n) {
  lead_state s = awaiting_first_call();
  for (uint32_t a = 1; a <= n; ++a) {
    event e = make_event("u-1", "f" + std::to_string(a), sample_failure(true, a, failure_class::timeout), s.version + 1);
    evolve(s, e);
  }
  return s;
}

record_fetch failed(uint32_t attempt, failure_class c, std::optional<millis> retry_after = std::nullopt) {
  return record_fetch{enrich_call{network::instagram, "anasouza", attempt, false}, fetch_failure{c, "code", retry_after}};
}

} // namespace

TEST_CASE("decide(record_fetch): a failure and its retry delay", "[decide][answers]") {
  struct row {
    const char* what;
    uint32_t attempt;
    failure_class c;
    std::optional<millis> retry_after;
    double uniform;
    std::optional<millis> delay;  // nullopt: final
  };
  const row table[] = {
      {"first timeout: half of 2 s", 1, failure_class::timeout, std::nullopt, 0.5, 1000},
      {"third provider error: half of 8 s", 3, failure_class::provider_error, std::nullopt, 0.5, 4000},
      {"jitter draw 0", 2, failure_class::rate_limited, std::nullopt, 0.0, 0},
      {"Retry-After wins over the schedule", 2, failure_class::rate_limited, millis{900'000}, 0.5, 900'000},
      {"Retry-After capped at one hour", 1, failure_class::rate_limited, millis{86'400'000}, 0.5, 3'600'000},
      {"the sixth call is the last", 6, failure_class::provider_error, std::nullopt, 0.5, std::nullopt},
      {"not_found is final", 1, failure_class::not_found, std::nullopt, 0.5, std::nullopt},
      {"auth_error is final", 1, failure_class::auth_error, std::nullopt, 0.5, std::nullopt},
      {"invalid_response is final", 1, failure_class::invalid_response, std::nullopt, 0.5, std::nullopt},
  };
  const decide_options o = rules();
  for (const row& r : table) {
    INFO(r.what);
    auto d = decide(after_failures(r.attempt - 1), failed(r.attempt, r.c, r.retry_after), context_at(o, t_now, r.uniform));
    REQUIRE(d);
    const auto& f = only_event<enrichment_failed>(*d);
    CHECK(f.error_class == r.c);
    CHECK(f.attempt == r.attempt);
    CHECK(f.provider_code == "code");
    CHECK(f.retryable == r.delay.has_value());
    CHECK(f.next_attempt_at == (r.delay ? std::optional<millis>(t_now + *r.delay) : std::nullopt));
    CHECK(d->to_append.front().meta.event_id.rfind("enf:", 0) == 0);
    CHECK(d->calls.empty());
    CHECK_FALSE(d->wake_at);
  }
}

TEST_CASE("decide(record_fetch): the data becomes enriched, for the call's network and handle", "[decide][answers]") {
  const decide_options o = rules();
  enriched data = sample_enriched();
  data.network = network::unknown;
  data.handle = "someone else";
  data.fetched_at = 0;
  auto d = decide(awaiting_first_call(), record_fetch{first_call(), data}, context_at(o));
  REQUIRE(d);
  const auto& e = only_event<enriched>(*d);
  CHECK(e.network == network::instagram);
  CHECK(e.handle == "anasouza");
  CHECK(e.fetched_at == t_now);  // the provider gave no time: now
  CHECK(e.followers == data.followers);
  const event& ev = d->to_append.front();
  CHECK(ev.meta.event_id.rfind("enr:", 0) == 0);
  CHECK(ev.meta.version == 3);
  CHECK(ev.meta.causation_id == "e2");
  CHECK(ev.meta.correlation_id == "corr-1");
  CHECK(ev.meta.occurred_at == t_now);

  data.fetched_at = 1'764'331'300'000;
  d = decide(awaiting_first_call(), record_fetch{first_call(), data}, context_at(o));
  REQUIRE(d);
  CHECK(only_event<enriched>(*d).fetched_at == 1'764'331'300'000);
}

TEST_CASE("decide: the breaker's fail-fast, a busy provider, a disabled one", "[decide][answers]") {
  const decide_options o = rules();
  const lead_state s = awaiting_first_call();
  SECTION("circuit open: recorded, not counted, rescheduled past the open period with jitter") {
    for (double u : {0.0, 0.5, 0.999}) {
      INFO(u);
      auto d = decide(s, circuit_open{first_call(), 30'000}, context_at(o, t_now, u));
      REQUIRE(d);
      const auto& f = only_event<enrichment_failed>(*d);
      CHECK(f.error_class == failure_class::provider_unavailable);
      CHECK(f.provider_code == "circuit_open");
      CHECK(f.retryable);
      CHECK(f.next_attempt_at == t_now + 30'000 + static_cast<millis>(u * 1000.0));
      lead_state after = s;
      evolve(after, d->to_append.front());
      CHECK(after.enrichment[network::instagram].attempts == 0);
      CHECK(after.enrichment[network::instagram].cycle_attempts == 0);
      CHECK(after.enrichment[network::instagram].state == enrichment_state::retry_scheduled);
    }
  }
  SECTION("busy: nothing recorded, asked again in a second") {
    auto d = decide(s, provider_busy{first_call()}, context_at(o));
    REQUIRE(d);
    CHECK(d->to_append.empty());
    CHECK(d->calls.empty());
    CHECK(d->wake_at == t_now + 1000);
  }
  SECTION("disabled: a final provider_disabled, no call") {
    auto d = decide(s, provider_disabled{first_call()}, context_at(o));
    REQUIRE(d);
    const auto& f = only_event<enrichment_failed>(*d);
    CHECK(f.error_class == failure_class::provider_disabled);
    CHECK_FALSE(f.retryable);
    CHECK_FALSE(f.next_attempt_at);
    lead_state after = s;
    evolve(after, d->to_append.front());
    CHECK(after.enrichment[network::instagram].attempts == 0);
    CHECK(after.enrichment[network::instagram].state == enrichment_state::failed);
  }
}

TEST_CASE("decide: an answer the lead no longer waits for is not recorded", "[decide][answers][stale]") {
  const decide_options o = rules();
  const lead_state s = awaiting_first_call();  // owes call 1 now
  enrich_call second = first_call();
  second.attempt = 2;
  const command answers[] = {failed(2, failure_class::timeout), circuit_open{second, 1000}, provider_busy{second},
                             provider_disabled{second}, record_fetch{second, sample_enriched()}};
  for (const command& c : answers) {
    INFO("command " << c.index());
    auto d = decide(s, c, context_at(o));
    REQUIRE(d);
    CHECK(d->to_append.empty());
    // What is owed now instead: call 1 (the actor skips it while it is on its way).
    REQUIRE(d->calls.size() == 1);
    CHECK(d->calls[0].attempt == 1);
  }
  SECTION("a retry not yet due is not awaited either") {
    lead_state later = awaiting_first_call();
    enrichment_failed f = sample_failure(true, 1, failure_class::timeout);
    f.next_attempt_at = t_now + 60'000;
    evolve(later, make_event("u-1", "f1", f, 3));
    auto d = decide(later, failed(2, failure_class::timeout), context_at(o));
    REQUIRE(d);
    CHECK(d->to_append.empty());
    CHECK(d->calls.empty());
    CHECK(d->wake_at == t_now + 60'000);
  }
  SECTION("an answer to a person's retry is always recorded") {
    second.manual = true;
    auto d = decide(s, record_fetch{second, fetch_failure{failure_class::not_found, "110", std::nullopt}},
                    context_at(o));
    REQUIRE(d);
    CHECK(only_event<enrichment_failed>(*d).attempt == 2);
  }
  SECTION("nothing at all for an erased lead or one that never was") {
    const lead_state erased_lead = lead_after({sample_signup(), sample_qualified(), erased{"lgpd", "dpo"}});
    for (const lead_state* gone : {&erased_lead, static_cast<const lead_state*>(nullptr)}) {
      const lead_state none = initial("u-1");
      auto d = decide(gone ? *gone : none, record_fetch{first_call(), sample_enriched()}, context_at(o));
      REQUIRE(d);
      CHECK(d->to_append.empty());
      CHECK(d->calls.empty());
      CHECK_FALSE(d->wake_at);
    }
  }
}
