// decide(ingest) of a signup and decide(run_owed): what a lead sets in motion
// on its own (its qualification, its Creator Discovery calls, the final answer
// when no provider is configured, its wake-ups), and the ids of its own events.
#include <set>

#include "tests/events/decide_fixture.hpp"

using namespace leadbase;
using namespace leadbase::test;

namespace {

ingest signup_command(signed_up s = sample_signup()) {
  ingest c;
  c.ev = make_event("u-1", "sg-1", std::move(s));
  c.ev.meta.correlation_id = "corr-1";
  c.ev.meta.digest.fill(7);
  return c;
}

std::vector<event_type> types(const decision& d) {
  std::vector<event_type> out;
  for (const event& e : d.to_append) out.push_back(e.type());
  return out;
}

} // namespace

TEST_CASE("decide(ingest): a signup's immediate consequences join its append", "[decide][follow_ups]") {
  using T = event_type;
  struct row {
    const char* what;
    bool follow_ups;
    bool has_provider;
    signed_up signup;
    std::vector<event_type> appended;
  };
  signed_up disposable = sample_signup();
  disposable.email = "ana@mailinator.com";
  const row table[] = {
      {"with a provider: qualified, the call comes after", true, true, sample_signup(), {T::signed_up, T::qualified}},
      {"no provider: the final answer at once", true, false, sample_signup(),
       {T::signed_up, T::qualified, T::enrichment_failed}},
      {"no handle to enrich: only qualified", true, false, sample_signup(false), {T::signed_up, T::qualified}},
      {"disqualified: nothing to enrich", true, false, disposable, {T::signed_up, T::qualified}},
      {"follow-ups off: ingest only", false, false, sample_signup(), {T::signed_up}},
  };
  for (const row& r : table) {
    INFO(r.what);
    decide_options o = rules(r.has_provider);
    o.follow_ups = r.follow_ups;
    auto d = decide(initial("u-1"), signup_command(r.signup), context_at(o));
    REQUIRE(d);
    CHECK(types(*d) == r.appended);
    CHECK(d->version == 1);  // the answer is about the signup
    CHECK(d->calls.empty());
    for (size_t i = 0; i < d->to_append.size(); ++i) {
      const event& e = d->to_append[i];
      CHECK(e.meta.version == i + 1);
      CHECK(e.meta.lead_id == "u-1");
      if (i == 0) continue;
      CHECK(e.meta.correlation_id == "corr-1");
      CHECK(e.meta.causation_id == d->to_append[i - 1].meta.event_id);
      CHECK(e.meta.occurred_at == t_now);
      CHECK(e.meta.digest == content_digest{});  // keyed: the actor adds it
    }
    if (r.appended.size() == 3) {
      const auto& f = std::get<enrichment_failed>(d->to_append[2].data);
      CHECK(f.error_class == failure_class::provider_disabled);
      CHECK(f.network == network::instagram);
      CHECK(f.attempt == 1);
    }
  }
}

TEST_CASE("decide(ingest): a repeated signup is a duplicate with nothing added", "[decide][follow_ups]") {
  const decide_options o = rules(false);
  auto first = decide(initial("u-1"), signup_command(), context_at(o));
  REQUIRE(first);
  lead_state s = initial("u-1");
  for (event e : first->to_append) {
    e.meta.position = e.meta.version + 10;
    evolve(s, e);
  }
  auto again = decide(s, signup_command(), context_at(o));
  REQUIRE(again);
  CHECK(again->duplicate);
  CHECK(again->version == 1);
  CHECK(again->position == 11);
  CHECK(again->to_append.empty());
}

TEST_CASE("decide(run_owed): what the lead owes now, and when to wake it", "[decide][follow_ups]") {
  struct row {
    const char* what;
    lead_state state;
    bool has_provider;
    std::vector<event_type> appended;
    size_t calls;
    std::optional<millis> wake_at;
  };
  enrichment_failed later = sample_failure(true, 1, failure_class::timeout);
  later.next_attempt_at = t_now + 5000;
  enriched fresh = sample_enriched(1000, t_now - 1000);
  const millis month = 30LL * 24 * 60 * 60 * 1000;
  const row table[] = {
      {"signed up: its qualification", lead_after({sample_signup()}), true, {event_type::qualified}, 0, std::nullopt},
      {"qualified: the first call", awaiting_first_call(), true, {}, 1, std::nullopt},
      {"qualified, no provider: the final answer", awaiting_first_call(), false, {event_type::enrichment_failed}, 0,
       std::nullopt},
      {"retry due later: a wake-up then", lead_after({sample_signup(), sample_qualified(), later}), true, {}, 0,
       t_now + 5000},
      {"retry due now: the call", lead_after({sample_signup(), sample_qualified(), sample_failure(true, 1)}), true, {},
       1, std::nullopt},
      {"enriched: the refresh after refresh_days", lead_after({sample_signup(), sample_qualified(), fresh}), true, {},
       0, t_now - 1000 + month},
      {"enriched, refresh due, no provider: nothing (no provider_disabled after every append)",
       lead_after({sample_signup(), sample_qualified(), sample_enriched(1000, t_now - 2 * month)}), false, {}, 0,
       std::nullopt},
      {"failed for good: nothing", lead_after({sample_signup(), sample_qualified(), sample_failure(false, 6)}), true,
       {}, 0, std::nullopt},
      {"disqualified: nothing", lead_after({sample_signup(), sample_qualified(outcome::disqualified)}), true, {}, 0,
       std::nullopt},
      {"erased: nothing", lead_after({sample_signup(), sample_qualified(), erased{"lgpd", "dpo"}}), true, {}, 0,
       std::nullopt},
      {"never signed up: nothing", initial("u-1"), true, {}, 0, std::nullopt},
  };
  for (const row& r : table) {
    INFO(r.what);
    const decide_options o = rules(r.has_provider);
    auto d = decide(r.state, run_owed{}, context_at(o));
    REQUIRE(d);
    CHECK(types(*d) == r.appended);
    REQUIRE(d->calls.size() == r.calls);
    if (r.calls) {
      CHECK(d->calls[0].network == network::instagram);
      CHECK(d->calls[0].handle == "anasouza");
      CHECK(d->calls[0].attempt == r.state.enrichment.at(network::instagram).cycle_attempts + 1);
      CHECK_FALSE(d->calls[0].manual);
    }
    CHECK(d->wake_at == r.wake_at);
  }
  SECTION("follow-ups off: nothing, whatever is owed") {
    decide_options o = rules();
    o.follow_ups = false;
    auto d = decide(lead_after({sample_signup()}), run_owed{}, context_at(o));
    REQUIRE(d);
    CHECK(d->to_append.empty());
    CHECK(d->calls.empty());
    CHECK_FALSE(d->wake_at);
  }
}

TEST_CASE("own_event_id: the prefix and 16 hex digits, distinct per index and per draw", "[decide][ids]") {
  std::set<std::string> ids;
  for (uint64_t bits : {0ULL, 1ULL, 42ULL, ~0ULL})
    for (uint32_t i = 0; i < 4; ++i) {
      const std::string id = own_event_id("qual:", bits, i);
      CHECK(id.size() == 5 + 16);
      CHECK(id.rfind("qual:", 0) == 0);
      CHECK(id.find_first_not_of("0123456789abcdef", 5) == std::string::npos);
      ids.insert(id);
    }
  CHECK(ids.size() == 16);
  CHECK(own_event_id("x:", 7, 1) == own_event_id("x:", 7, 1));  // a pure function of its inputs
}
