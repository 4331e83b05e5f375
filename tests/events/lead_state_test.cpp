// The pure fold: every event type, odd orders, totality.
#include <catch2/catch.hpp>

#include "events/lead_state.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

lead_state fold_all(const std::vector<event>& events) { return fold("u-1", events); }

} // namespace

TEST_CASE("initial state is empty", "[fold]") {
  lead_state s = initial("u-1");
  CHECK(s.lead_id == "u-1");
  CHECK(s.version == 0);
  CHECK(s.status == lead_status::none);
  CHECK(s.overall_enrichment() == enrichment_state::not_needed);
  CHECK_FALSE(s.processing_ms());
}

TEST_CASE("signed_up sets contact and times", "[fold]") {
  auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1, 5000)});
  CHECK(s.version == 1);
  CHECK(s.status == lead_status::signed_up);
  CHECK(s.contact.email == "ana@exemplo.com.br");
  CHECK(s.signup_recorded_at == 5000);
  CHECK(s.updated_at == 5000);
  REQUIRE(s.seen.size() == 1);
  CHECK(s.seen[0].event_id == "e1");
  CHECK_FALSE(s.final_at);
}

TEST_CASE("qualified with a handle starts enrichment; without one it is final", "[fold]") {
  SECTION("with instagram") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(true), 1),
                       make_event("u-1", "e2", test::sample_qualified(), 2)});
    CHECK(s.status == lead_status::enriching);
    CHECK(s.overall_enrichment() == enrichment_state::pending);
    CHECK(s.enrichment.count(network::instagram) == 1);
    CHECK(s.enrichment.count(network::tiktok) == 0);  // TikTok is never enriched
    CHECK_FALSE(s.final_at);
  }
  SECTION("without enrichable handles") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(false), 1, 1000),
                       make_event("u-1", "e2", test::sample_qualified(), 2, 1400)});
    CHECK(s.status == lead_status::qualified);
    CHECK(s.overall_enrichment() == enrichment_state::not_needed);
    REQUIRE(s.processing_ms());
    CHECK(*s.processing_ms() == 400);
  }
  SECTION("disqualified is final and in no enrichment") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(true), 1, 1000),
                       make_event("u-1", "e2", test::sample_qualified(outcome::disqualified), 2, 1250)});
    CHECK(s.status == lead_status::disqualified);
    CHECK(s.enrichment.empty());
    CHECK(*s.processing_ms() == 250);
    REQUIRE(s.qualification);
    CHECK(s.qualification->reasons == std::vector<std::string>{"disposable_email"});
  }
}

TEST_CASE("enrichment: retries, success, final failure, refresh", "[fold]") {
  std::vector<event> es = {make_event("u-1", "e1", test::sample_signup(), 1, 1000),
                           make_event("u-1", "e2", test::sample_qualified(), 2, 1100)};
  SECTION("retry then success") {
    es.push_back(make_event("u-1", "e3", test::sample_failure(true, 1), 3, 1200));
    auto mid = fold_all(es);
    CHECK(mid.status == lead_status::enriching);
    CHECK(mid.overall_enrichment() == enrichment_state::retry_scheduled);
    CHECK(mid.enrichment[network::instagram].next_attempt_at == 1764331400000);
    CHECK(mid.enrichment[network::instagram].last_error == failure_class::provider_error);
    es.push_back(make_event("u-1", "e4", test::sample_enriched(), 4, 1500));
    auto s = fold_all(es);
    CHECK(s.status == lead_status::enriched);
    CHECK(s.overall_enrichment() == enrichment_state::succeeded);
    CHECK(s.enrichment[network::instagram].attempts == 2);
    CHECK_FALSE(s.enrichment[network::instagram].next_attempt_at);
    CHECK(s.social[network::instagram].followers == 48210);
    CHECK(*s.processing_ms() == 500);
  }
  SECTION("final failure falls back") {
    es.push_back(make_event("u-1", "e3", test::sample_failure(false, 1, "not_found"), 3, 1300));
    auto s = fold_all(es);
    CHECK(s.status == lead_status::enrichment_failed);
    CHECK(s.overall_enrichment() == enrichment_state::failed);
    CHECK(*s.processing_ms() == 300);
  }
  SECTION("fail-fast of an open circuit is no call") {
    auto f = test::sample_failure(true, 1, "provider_unavailable");
    es.push_back(make_event("u-1", "e3", f, 3));
    auto s = fold_all(es);
    CHECK(s.enrichment[network::instagram].attempts == 0);
    CHECK(s.enrichment[network::instagram].last_error == failure_class::provider_unavailable);
    CHECK(s.overall_enrichment() == enrichment_state::retry_scheduled);
  }
  SECTION("refresh keeps follower history; a failed refresh does not demote") {
    es.push_back(make_event("u-1", "e3", test::sample_enriched(1000, 10), 3, 1500));
    es.push_back(make_event("u-1", "e4", test::sample_enriched(2000, 20), 4, 2500));
    es.push_back(make_event("u-1", "e5", test::sample_failure(false, 1), 5, 3500));
    auto s = fold_all(es);
    REQUIRE(s.instagram_followers.size() == 2);
    CHECK(s.instagram_followers[1].followers == 2000);
    CHECK(s.social[network::instagram].followers == 2000);
    CHECK(s.status == lead_status::enriched);
    CHECK(*s.final_at == 1500);  // the first final state counts, not later ones
  }
}

TEST_CASE("erased clears personal data and pending work", "[fold]") {
  auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1),
                     make_event("u-1", "e2", test::sample_qualified(), 2),
                     make_event("u-1", "e3", erased{"lgpd", "dpo"}, 3)});
  CHECK(s.status == lead_status::erased);
  CHECK(s.personal_erased);
  CHECK(s.contact.email.empty());
  CHECK(s.contact.social.instagram.empty());
  CHECK(s.contact.country == "BR");  // not personal
  CHECK(s.overall_enrichment() == enrichment_state::failed);
}

TEST_CASE("odd orders do not break the fold", "[fold]") {
  SECTION("enriched before qualified (external job)") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1),
                       make_event("u-1", "e2", test::sample_enriched(), 2),
                       make_event("u-1", "e3", test::sample_qualified(), 3)});
    CHECK(s.status == lead_status::enriched);
    CHECK(s.enrichment[network::instagram].state == enrichment_state::succeeded);
  }
  SECTION("override to disqualified after enrichment, then back") {
    auto q2 = test::sample_qualified(outcome::disqualified);
    q2.decided_by = "maria@sdr";
    auto q3 = test::sample_qualified();
    q3.decided_by = "joao@sdr";
    std::vector<event> es = {make_event("u-1", "e1", test::sample_signup(), 1),
                             make_event("u-1", "e2", test::sample_qualified(), 2),
                             make_event("u-1", "e3", test::sample_enriched(), 3),
                             make_event("u-1", "e4", q2, 4)};
    auto s = fold_all(es);
    CHECK(s.status == lead_status::disqualified);
    CHECK(s.qualification->decided_by == "maria@sdr");
    es.push_back(make_event("u-1", "e5", q3, 5));
    s = fold_all(es);
    CHECK(s.status == lead_status::enriched);
  }
  SECTION("a second signed_up is ignored") {
    auto other = test::sample_signup();
    other.email = "other@x.com";
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1, 1000),
                       make_event("u-1", "e2", other, 2, 2000)});
    CHECK(s.contact.email == "ana@exemplo.com.br");
    CHECK(s.signup_recorded_at == 1000);
    CHECK(s.version == 2);
  }
  SECTION("events before any signup") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_failure(false), 1)});
    CHECK(s.status == lead_status::signed_up);  // no qualification yet
    CHECK(s.version == 1);
  }
  SECTION("anything after erasure stays erased") {
    auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1),
                       make_event("u-1", "e2", erased{"lgpd", "dpo"}, 2),
                       make_event("u-1", "e3", test::sample_qualified(), 3)});
    CHECK(s.status == lead_status::erased);
    CHECK(s.enrichment.empty());
  }
}

TEST_CASE("unknown event types are skipped, not fatal", "[fold]") {
  auto s = fold_all({make_event("u-1", "e1", test::sample_signup(), 1),
                     make_event("u-1", "e2", unknown_event{42}, 2)});
  CHECK(s.version == 2);
  CHECK(s.status == lead_status::signed_up);
  CHECK(s.find_seen("e2") != nullptr);
}

TEST_CASE("the fold is deterministic: same events, same state", "[fold]") {
  std::vector<event> es = {make_event("u-1", "e1", test::sample_signup(), 1),
                           make_event("u-1", "e2", test::sample_qualified(), 2),
                           make_event("u-1", "e3", test::sample_failure(true), 3),
                           make_event("u-1", "e4", test::sample_enriched(), 4)};
  auto a = fold_all(es), b = fold_all(es);
  CHECK(a.version == b.version);
  CHECK(a.status == b.status);
  CHECK(a.enrichment[network::instagram].attempts == b.enrichment[network::instagram].attempts);
  CHECK(a.final_at == b.final_at);
}
