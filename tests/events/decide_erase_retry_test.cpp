// decide(erase) and decide(retry_now): the two commands a person gives a lead
// besides ingest. Erasure is idempotent; a retry is refused unless the lead is
// one Creator Discovery works for and a provider is configured.
#include "tests/events/decide_fixture.hpp"

using namespace leadbase;
using namespace leadbase::test;

TEST_CASE("decide(erase)", "[decide][erase]") {
  const decide_options o = rules();
  const erase cmd{"lgpd art. 18", "dpo@x", "corr-e"};
  SECTION("a lead that never was: not found") {
    auto d = decide(initial("u-1"), cmd, context_at(o));
    REQUIRE_FALSE(d);
    CHECK(d.err().code == errc::not_found);
  }
  SECTION("a live lead: one erased event, next version") {
    auto d = decide(awaiting_first_call(), cmd, context_at(o));
    REQUIRE(d);
    CHECK_FALSE(d->duplicate);
    CHECK(d->version == 3);
    const auto& e = only_event<erased>(*d);
    CHECK(e.reason == "lgpd art. 18");
    CHECK(e.requested_by == "dpo@x");
    const event& ev = d->to_append.front();
    CHECK(ev.meta.event_id.rfind("erase:", 0) == 0);
    CHECK(ev.meta.correlation_id == "corr-e");
    CHECK(ev.meta.occurred_at == t_now);
    CHECK(ev.meta.lead_id == "u-1");
  }
  SECTION("an erased lead: idempotent, answered with its version and position") {
    lead_state s = lead_after({sample_signup(), erased{"lgpd", "dpo"}});
    auto d = decide(s, cmd, context_at(o));
    REQUIRE(d);
    CHECK(d->duplicate);
    CHECK(d->version == 2);
    CHECK(d->position == 2);
    CHECK(d->to_append.empty());
  }
}

TEST_CASE("decide(retry_now)", "[decide][retry]") {
  struct row {
    const char* what;
    lead_state state;
    bool has_provider;
    std::optional<errc> refused;
  };
  const row table[] = {
      {"never signed up", initial("u-1"), true, errc::not_found},
      {"not yet qualified", lead_after({sample_signup()}), true, errc::conflict},
      {"disqualified", lead_after({sample_signup(), sample_qualified(outcome::disqualified)}), true, errc::conflict},
      {"erased", lead_after({sample_signup(), sample_qualified(), erased{"lgpd", "dpo"}}), true, errc::conflict},
      {"no handle to enrich", lead_after({sample_signup(false), sample_qualified()}), true, errc::conflict},
      {"no provider configured", awaiting_first_call(), false, errc::conflict},
      {"failed for good: called again", lead_after({sample_signup(), sample_qualified(), sample_failure(false, 6)}),
       true, std::nullopt},
      {"still pending: called now too", awaiting_first_call(), true, std::nullopt},
  };
  for (const row& r : table) {
    INFO(r.what);
    const decide_options o = rules(r.has_provider);
    auto d = decide(r.state, retry_now{}, context_at(o));
    if (r.refused) {
      REQUIRE_FALSE(d);
      CHECK(d.err().code == *r.refused);
      continue;
    }
    REQUIRE(d);
    CHECK(d->to_append.empty());
    CHECK(d->version == r.state.version);
    CHECK(d->position == r.state.position);
    REQUIRE(d->calls.size() == 1);
    const enrich_call& c = d->calls[0];
    CHECK(c.network == network::instagram);
    CHECK(c.handle == "anasouza");
    CHECK(c.manual);
    CHECK(c.attempt == r.state.enrichment.at(network::instagram).cycle_attempts + 1);
  }
}
