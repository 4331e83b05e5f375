// Prioritisation (docs/domain.md): coverage, every score component at its edges,
// levels at the thresholds, teams, and the leads that are in no queue. Leads are
// built by folding real events, so the tests also pin the contract with the fold.
#include "projections/priority.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace leadbase;

namespace {

const std::string rules = "2026-11-01";

/// Appends events to one lead's stream and folds them.
struct lead {
  std::vector<event> events;

  lead& add(payload p) {
    event e;
    e.meta.lead_id = "u-1";
    e.meta.version = events.size() + 1;
    e.meta.position = events.size() + 1;
    e.meta.event_id = "ev-" + std::to_string(e.meta.version);
    e.meta.occurred_at = 1'700'000'000'000;
    e.meta.recorded_at = 1'700'000'000'000 + static_cast<millis>(e.meta.version);
    e.data = std::move(p);
    events.push_back(std::move(e));
    return *this;
  }
  lead& signup(signed_up s) { return add(std::move(s)); }
  lead& qualify(outcome o = outcome::qualified, std::string by = "rules") {
    qualified q;
    q.result = o;
    q.rules_version = rules;
    q.decided_by = std::move(by);
    if (o == outcome::disqualified) q.reasons = {"disposable_email"};
    return add(q);
  }
  lead& enrich(enriched e) { return add(std::move(e)); }
  lead& fail(network net, bool retryable) {
    enrichment_failed f;
    f.network = net;
    f.handle = "anasouza";
    f.attempt = 1;
    f.error_class = retryable ? failure_class::timeout : failure_class::not_found;
    f.retryable = retryable;
    if (retryable) f.next_attempt_at = 1'700'000'100'000;
    return add(f);
  }
  lead& erase() { return add(erased{"lgpd request", "admin"}); }

  lead_state state() const { return fold(std::string("u-1"), events); }
};

/// Every contact field and an Instagram handle.
signed_up full_contact() {
  signed_up s;
  s.email = "ana@exemplo.com.br";
  s.name = "Ana Souza";
  s.phone = "+5511912345678";
  s.country = "BR";
  s.social.instagram = "anasouza";
  return s;
}

/// An Instagram result with every metric at full marks.
enriched instagram(int64_t followers = 1'000'000, std::optional<double> rate = 0.06,
                   std::optional<double> ppw = 5.0) {
  enriched e;
  e.network = network::instagram;
  e.handle = "anasouza";
  e.followers = followers;
  e.engagement_rate = rate;
  e.posts_per_week = ppw;
  e.mix.reels = 0.5;
  e.mix.image = 0.25;
  e.mix.carousel = 0.25;
  e.creator_tier = "mega";
  e.provider = "instagram_graph";
  e.fetched_at = 1'700'000'000'500;
  return e;
}

/// Options that isolate one component: its weight 100, the others 0.
priority_options only(double priority_options::*weight) {
  priority_options o;
  o.weight_reach = o.weight_engagement = o.weight_activity = o.weight_completeness = 0;
  o.*weight = 100;
  return o;
}

double score_of(const lead_state& s, const priority_options& o = {}) {
  auto v = prioritise(s, o, rules);
  REQUIRE(v);
  return v->score;
}

lead enriched_lead(enriched e) {
  lead l;
  l.signup(full_contact()).qualify().enrich(std::move(e));
  return l;
}

} // namespace

// -- coverage -------------------------------------------------------------------------

TEST_CASE("coverage counts the nine fields", "[priority][coverage]") {
  CHECK(coverage(initial("u-1")) == 0.0);

  lead l;
  l.signup(full_contact()).qualify();
  CHECK(coverage(l.state()) == Approx(5.0 / 9));  // email, name, phone, country, handle

  l.enrich(instagram());
  CHECK(coverage(l.state()) == Approx(1.0));
}

TEST_CASE("coverage: each contact field counts one ninth", "[priority][coverage]") {
  const std::vector<void (*)(signed_up&)> drops = {
      [](signed_up& s) { s.email.clear(); },   [](signed_up& s) { s.name.clear(); },
      [](signed_up& s) { s.phone.clear(); },   [](signed_up& s) { s.country.clear(); },
      [](signed_up& s) { s.social.instagram.clear(); },
  };
  for (size_t i = 0; i < drops.size(); ++i) {
    INFO("dropped field " << i);
    signed_up s = full_contact();
    drops[i](s);
    lead l;
    l.signup(s).qualify();
    CHECK(coverage(l.state()) == Approx(4.0 / 9));
  }
}

TEST_CASE("coverage: each metric counts one ninth", "[priority][coverage]") {
  SECTION("no engagement rate") {
    CHECK(coverage(enriched_lead(instagram(1000, std::nullopt, 2.0)).state()) == Approx(8.0 / 9));
  }
  SECTION("no posts per week") {
    CHECK(coverage(enriched_lead(instagram(1000, 0.01, std::nullopt)).state()) == Approx(8.0 / 9));
  }
  SECTION("no content mix (no posts)") {
    enriched e = instagram(1000, std::nullopt, std::nullopt);
    e.mix = {};
    CHECK(coverage(enriched_lead(e).state()) == Approx(6.0 / 9));
  }
  SECTION("content mix reported missing") {
    enriched e = instagram();
    e.missing_fields = {"content_mix"};
    CHECK(coverage(enriched_lead(e).state()) == Approx(8.0 / 9));
  }
  SECTION("followers reported missing") {
    enriched e = instagram();
    e.missing_fields = {"followers"};
    CHECK(coverage(enriched_lead(e).state()) == Approx(8.0 / 9));
  }
  SECTION("zero followers are a known count") {
    CHECK(coverage(enriched_lead(instagram(0, std::nullopt, std::nullopt)).state()) == Approx(7.0 / 9));
  }
}

TEST_CASE("coverage: YouTube subscribers count as followers, nothing else", "[priority][coverage]") {
  signed_up s = full_contact();
  s.social.instagram.clear();
  s.social.youtube = "@anasouza";
  enriched yt;
  yt.network = network::youtube;
  yt.handle = "@anasouza";
  yt.followers = 5000;
  yt.engagement_rate = 0.05;  // not an Instagram metric: must not count
  yt.posts_per_week = 3;
  lead l;
  l.signup(s).qualify().enrich(yt);
  CHECK(coverage(l.state()) == Approx(5.0 / 9));  // email, name, phone, country, followers
}

// -- score components -------------------------------------------------------------------

TEST_CASE("a lead with every metric at full marks scores 100", "[priority][score]") {
  auto v = prioritise(enriched_lead(instagram()).state(), {}, rules);
  REQUIRE(v);
  CHECK(v->score == Approx(100.0));
  CHECK(v->level == 'A');
  CHECK(v->team == "sdr");
  CHECK(v->rules_version == rules);
}

TEST_CASE("reach: 40 * min(1, log10(followers) / 6)", "[priority][score][reach]") {
  const auto o = only(&priority_options::weight_reach);
  struct row { int64_t followers; double expected; };
  for (auto r : std::vector<row>{{0, 0.0},
                                 {1, 0.0},
                                 {10, 16.7},       // 100 * 1/6
                                 {1'000, 50.0},    // 100 * 3/6
                                 {10'000, 66.7},
                                 {48'210, 78.1},   // 100 * log10(48210)/6 = 78.05
                                 {999'999, 100.0},  // 99.99999 rounds to 100.0
                                 {1'000'000, 100.0},
                                 {50'000'000, 100.0}}) {
    INFO("followers " << r.followers);
    CHECK(score_of(enriched_lead(instagram(r.followers)).state(), o) == Approx(r.expected));
  }
}

TEST_CASE("reach with default weights", "[priority][score][reach]") {
  // 1M followers, no other metric, full contact: 40 + 0 + 0 + 10 * 7/9
  CHECK(score_of(enriched_lead(instagram(1'000'000, std::nullopt, std::nullopt)).state()) == Approx(47.8));
  // 0 followers, same: 0 + 10 * 7/9
  CHECK(score_of(enriched_lead(instagram(0, std::nullopt, std::nullopt)).state()) == Approx(7.8));
  // 1,000 followers: 20 + 10 * 7/9 = 27.78
  CHECK(score_of(enriched_lead(instagram(1'000, std::nullopt, std::nullopt)).state()) == Approx(27.8));
}

TEST_CASE("reach: followers reported missing score nothing", "[priority][score][reach]") {
  enriched e = instagram(1'000'000);
  e.missing_fields = {"followers_count"};
  CHECK(score_of(enriched_lead(e).state(), only(&priority_options::weight_reach)) == 0.0);
}

TEST_CASE("engagement: 30 * min(1, engagement_rate / 0.06)", "[priority][score][engagement]") {
  const auto o = only(&priority_options::weight_engagement);
  struct row { std::optional<double> rate; double expected; };
  for (auto r : std::vector<row>{{std::nullopt, 0.0},
                                 {0.0, 0.0},
                                 {-0.01, 0.0},  // nonsense input scores nothing, never negative
                                 {0.0234, 39.0},
                                 {0.03, 50.0},
                                 {0.0599, 99.8},
                                 {0.06, 100.0},
                                 {0.12, 100.0},
                                 {3.5, 100.0}}) {
    INFO("engagement " << (r.rate ? std::to_string(*r.rate) : "null"));
    CHECK(score_of(enriched_lead(instagram(1000, r.rate, 1.0)).state(), o) == Approx(r.expected));
  }
  // default weight
  CHECK(score_of(enriched_lead(instagram(1, 0.03, std::nullopt)).state()) == Approx(15.0 + 10.0 * 8 / 9).margin(0.05));
}

TEST_CASE("activity: 20 * min(1, posts_per_week / 5)", "[priority][score][activity]") {
  const auto o = only(&priority_options::weight_activity);
  struct row { std::optional<double> ppw; double expected; };
  for (auto r : std::vector<row>{{std::nullopt, 0.0},
                                 {0.0, 0.0},
                                 {-1.0, 0.0},
                                 {0.5, 10.0},
                                 {2.5, 50.0},
                                 {3.5, 70.0},
                                 {5.0, 100.0},
                                 {21.0, 100.0}}) {
    INFO("posts per week " << (r.ppw ? std::to_string(*r.ppw) : "null"));
    CHECK(score_of(enriched_lead(instagram(1000, 0.01, r.ppw)).state(), o) == Approx(r.expected));
  }
  CHECK(score_of(enriched_lead(instagram(1, std::nullopt, 2.5)).state()) == Approx(10.0 + 10.0 * 8 / 9).margin(0.05));
}

TEST_CASE("completeness: 10 * coverage", "[priority][score][completeness]") {
  const auto o = only(&priority_options::weight_completeness);
  lead l;
  l.signup(full_contact()).qualify();
  CHECK(score_of(l.state(), o) == Approx(55.6));  // 100 * 5/9
  CHECK(score_of(enriched_lead(instagram()).state(), o) == Approx(100.0));
  CHECK(score_of(l.state()) == Approx(5.6));  // default weight 10
}

TEST_CASE("the score is rounded to one decimal", "[priority][score]") {
  for (int64_t followers : {7, 123, 4567, 89'012, 345'678}) {
    for (double rate : {0.0011, 0.0237, 0.0419}) {
      const double s = score_of(enriched_lead(instagram(followers, rate, 1.37)).state());
      INFO(followers << " " << rate << " -> " << s);
      CHECK(std::fabs(s * 10 - std::round(s * 10)) < 1e-9);
      CHECK(s >= 0.0);
      CHECK(s <= 100.0);
    }
  }
}

TEST_CASE("missing metrics score zero, not a guess", "[priority][score]") {
  lead l;
  signed_up s;
  s.email = "ana@exemplo.com.br";
  s.social.tiktok = "ana";  // a contact channel, nothing to enrich
  l.signup(s).qualify();
  CHECK(score_of(l.state()) == Approx(1.1));  // only the email: 10 * 1/9
}

// -- levels -------------------------------------------------------------------------------

TEST_CASE("levels at the thresholds", "[priority][level]") {
  // Activity alone at weight 100: score = 20 * posts_per_week, exactly computable.
  const auto o = only(&priority_options::weight_activity);
  struct row { double ppw; double score; char level; };
  for (auto r : std::vector<row>{{5.0, 100.0, 'A'},
                                 {3.5, 70.0, 'A'},    // exactly threshold_a
                                 {3.498, 70.0, 'A'},  // 69.96 shows as 70.0: an A, as shown
                                 {3.495, 69.9, 'B'},
                                 {2.0, 40.0, 'B'},    // exactly threshold_b
                                 {1.995, 39.9, 'C'},
                                 {0.0, 0.0, 'C'}}) {
    INFO("posts per week " << r.ppw);
    auto v = prioritise(enriched_lead(instagram(1000, 0.01, r.ppw)).state(), o, rules);
    REQUIRE(v);
    CHECK(v->score == Approx(r.score));
    CHECK(v->level == r.level);
  }
}

TEST_CASE("thresholds come from the options", "[priority][level]") {
  auto o = only(&priority_options::weight_activity);
  o.threshold_a = 50;
  o.threshold_b = 20;
  const auto level_at = [&](double ppw) {
    auto v = prioritise(enriched_lead(instagram(1000, 0.01, ppw)).state(), o, rules);
    REQUIRE(v);
    return v->level;
  };
  CHECK(level_at(2.5) == 'A');   // 50
  CHECK(level_at(2.45) == 'B');  // 49
  CHECK(level_at(1.0) == 'B');   // 20
  CHECK(level_at(0.95) == 'C');  // 19
}

TEST_CASE("weights come from the options", "[priority][score]") {
  priority_options o;
  o.weight_reach = 10;
  o.weight_engagement = 10;
  o.weight_activity = 10;
  o.weight_completeness = 70;
  CHECK(score_of(enriched_lead(instagram()).state(), o) == Approx(100.0));
  CHECK(score_of(enriched_lead(instagram(1'000, 0.03, 2.5)).state(), o) == Approx(5 + 5 + 5 + 70));
}

// -- teams --------------------------------------------------------------------------------

TEST_CASE("A and B go to the SDRs, C to the LDRs", "[priority][team]") {
  const auto o = only(&priority_options::weight_activity);
  auto a = prioritise(enriched_lead(instagram(1000, 0.01, 4.0)).state(), o, rules);
  auto b = prioritise(enriched_lead(instagram(1000, 0.01, 2.5)).state(), o, rules);
  auto c = prioritise(enriched_lead(instagram(1000, 0.01, 1.0)).state(), o, rules);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->level == 'A');
  CHECK(a->team == "sdr");
  CHECK(b->level == 'B');
  CHECK(b->team == "sdr");
  CHECK(c->level == 'C');
  CHECK(c->team == "ldr");
}

TEST_CASE("leads without enrichment go to the LDRs, whatever their level", "[priority][team]") {
  // Completeness alone at weight 100: a full contact scores 55.6, level B.
  const auto o = only(&priority_options::weight_completeness);

  SECTION("qualified with nothing to enrich") {
    signed_up s = full_contact();
    s.social.instagram.clear();
    s.social.tiktok = "ana";  // TikTok is not enriched
    lead l;
    l.signup(s).qualify();
    const lead_state st = l.state();
    REQUIRE(st.status == lead_status::qualified);
    auto v = prioritise(st, o, rules);
    REQUIRE(v);
    CHECK(v->level == 'B');
    CHECK(v->team == "ldr");
  }
  SECTION("enrichment pending") {
    lead l;
    l.signup(full_contact()).qualify();
    const lead_state st = l.state();
    REQUIRE(st.status == lead_status::enriching);
    auto v = prioritise(st, o, rules);
    REQUIRE(v);
    CHECK(v->level == 'B');
    CHECK(v->team == "ldr");
  }
  SECTION("retry scheduled") {
    lead l;
    l.signup(full_contact()).qualify().fail(network::instagram, true);
    const lead_state st = l.state();
    REQUIRE(st.overall_enrichment() == enrichment_state::retry_scheduled);
    auto v = prioritise(st, o, rules);
    REQUIRE(v);
    CHECK(v->team == "ldr");
  }
  SECTION("enrichment failed finally") {
    lead l;
    l.signup(full_contact()).qualify().fail(network::instagram, false);
    const lead_state st = l.state();
    REQUIRE(st.status == lead_status::enrichment_failed);
    auto v = prioritise(st, o, rules);
    REQUIRE(v);
    CHECK(v->level == 'B');
    CHECK(v->team == "ldr");
    auto d = prioritise(st, {}, rules);  // default weights: still prioritised, C
    REQUIRE(d);
    CHECK(d->level == 'C');
    CHECK(d->team == "ldr");
  }
}

TEST_CASE("a failed refresh keeps the earlier data and the team", "[priority][team]") {
  lead l = enriched_lead(instagram());
  l.fail(network::instagram, false);
  auto v = prioritise(l.state(), {}, rules);
  REQUIRE(v);
  CHECK(v->score == Approx(100.0));
  CHECK(v->team == "sdr");
}

// -- networks -------------------------------------------------------------------------------

TEST_CASE("YouTube-only leads: subscribers feed reach, nothing else", "[priority][youtube]") {
  signed_up s = full_contact();
  s.social.instagram.clear();
  s.social.youtube = "@anasouza";
  enriched yt;
  yt.network = network::youtube;
  yt.handle = "@anasouza";
  yt.followers = 1'000'000;
  yt.engagement_rate = 0.06;
  yt.posts_per_week = 5;
  yt.mix.video = 1.0;
  lead l;
  l.signup(s).qualify().enrich(yt);
  auto v = prioritise(l.state(), {}, rules);
  REQUIRE(v);
  CHECK(v->score == Approx(45.6));  // 40 + 10 * 5/9
  CHECK(v->level == 'B');
  CHECK(v->team == "sdr");
}

TEST_CASE("Instagram wins over YouTube when both are present", "[priority][youtube]") {
  signed_up s = full_contact();
  s.social.youtube = "@anasouza";
  enriched yt;
  yt.network = network::youtube;
  yt.handle = "@anasouza";
  yt.followers = 1'000'000;
  lead l;
  l.signup(s).qualify().enrich(yt).enrich(instagram(1'000, std::nullopt, std::nullopt));
  CHECK(score_of(l.state(), only(&priority_options::weight_reach)) == Approx(50.0));  // log10(1000)/6
}

TEST_CASE("the newest enrichment is the one scored", "[priority][score]") {
  lead l = enriched_lead(instagram(1'000'000));
  l.enrich(instagram(1'000));
  CHECK(score_of(l.state(), only(&priority_options::weight_reach)) == Approx(50.0));
}

// -- leads in no queue ------------------------------------------------------------------------

TEST_CASE("leads in no queue get no priority", "[priority][queue]") {
  SECTION("no events") { CHECK_FALSE(prioritise(initial("u-1"), {}, rules)); }
  SECTION("signed up, not yet qualified") {
    lead l;
    l.signup(full_contact());
    CHECK_FALSE(prioritise(l.state(), {}, rules));
  }
  SECTION("disqualified") {
    lead l;
    l.signup(full_contact()).qualify(outcome::disqualified);
    CHECK_FALSE(prioritise(l.state(), {}, rules));
  }
  SECTION("disqualified by a person after enrichment") {
    lead l = enriched_lead(instagram());
    l.qualify(outcome::disqualified, "maria@hotmart.com");
    CHECK_FALSE(prioritise(l.state(), {}, rules));
  }
  SECTION("erased") {
    lead l = enriched_lead(instagram());
    l.erase();
    const lead_state st = l.state();
    REQUIRE(st.status == lead_status::erased);
    CHECK_FALSE(prioritise(st, {}, rules));
  }
}

TEST_CASE("a person's override back to qualified puts the lead in a queue again", "[priority][queue]") {
  lead l;
  l.signup(full_contact()).qualify(outcome::disqualified);
  REQUIRE_FALSE(prioritise(l.state(), {}, rules));
  l.qualify(outcome::qualified, "maria@hotmart.com");
  CHECK(prioritise(l.state(), {}, rules));
}

TEST_CASE("the rules version is the one passed in", "[priority]") {
  auto v = prioritise(enriched_lead(instagram()).state(), {}, "2027-02-02");
  REQUIRE(v);
  CHECK(v->rules_version == "2027-02-02");
}
