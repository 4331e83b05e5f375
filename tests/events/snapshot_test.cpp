// Snapshots: a folded state survives encode/decode exactly, and a fold that
// starts from a snapshot ends where the full fold ends.
#include <catch2/catch.hpp>

#include "events/snapshot.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

void check_same(const lead_state& a, const lead_state& b) {
  CHECK(a.lead_id == b.lead_id);
  CHECK(a.version == b.version);
  CHECK(a.position == b.position);
  CHECK(a.status == b.status);
  CHECK(a.signed_up_at == b.signed_up_at);
  CHECK(a.signup_recorded_at == b.signup_recorded_at);
  CHECK(a.updated_at == b.updated_at);
  CHECK(a.contact.email == b.contact.email);
  CHECK(a.contact.name == b.contact.name);
  CHECK(a.contact.phone == b.contact.phone);
  CHECK(a.contact.document == b.contact.document);
  CHECK(a.contact.social.instagram == b.contact.social.instagram);
  CHECK(a.contact.social.tiktok == b.contact.social.tiktok);
  CHECK(a.contact.country == b.contact.country);
  CHECK(a.contact.locale == b.contact.locale);
  CHECK(a.contact.source.utm_campaign == b.contact.source.utm_campaign);
  CHECK(a.personal_erased == b.personal_erased);
  CHECK(a.correlation_id == b.correlation_id);
  REQUIRE(a.qualification.has_value() == b.qualification.has_value());
  if (a.qualification) {
    CHECK(a.qualification->result == b.qualification->result);
    CHECK(a.qualification->reasons == b.qualification->reasons);
    CHECK(a.qualification->rules_version == b.qualification->rules_version);
    CHECK(a.qualification->decided_by == b.qualification->decided_by);
    CHECK(a.qualification->at == b.qualification->at);
  }
  REQUIRE(a.social.size() == b.social.size());
  for (const auto& [network, p] : a.social) {
    const auto& q = b.social.at(network);
    CHECK(p.handle == q.handle);
    CHECK(p.followers == q.followers);
    CHECK(p.engagement_rate == q.engagement_rate);
    CHECK(p.posts_per_week == q.posts_per_week);
    CHECK(p.mix.reels == q.mix.reels);
    CHECK(p.creator_tier == q.creator_tier);
    CHECK(p.fetched_at == q.fetched_at);
    CHECK(p.views == q.views);
  }
  REQUIRE(a.enrichment.size() == b.enrichment.size());
  for (const auto& [network, p] : a.enrichment) {
    const auto& q = b.enrichment.at(network);
    CHECK(p.state == q.state);
    CHECK(p.attempts == q.attempts);
    CHECK(p.cycle_attempts == q.cycle_attempts);
    CHECK(p.last_error == q.last_error);
    CHECK(p.next_attempt_at == q.next_attempt_at);
    CHECK(p.last_success_at == q.last_success_at);
  }
  REQUIRE(a.instagram_followers.size() == b.instagram_followers.size());
  CHECK(a.final_at == b.final_at);
  CHECK(a.work.owner == b.work.owner);
  CHECK(a.work.claimed_at == b.work.claimed_at);
  CHECK(a.work.claim_expires_at == b.work.claim_expires_at);
  CHECK(a.work.contacts == b.work.contacts);
  CHECK(a.work.first_contact_at == b.work.first_contact_at);
  CHECK(a.work.meeting_booked == b.work.meeting_booked);
  CHECK(a.work.closed == b.work.closed);
  CHECK(a.work.stage() == b.work.stage());
  REQUIRE(a.work.last_contact.has_value() == b.work.last_contact.has_value());
  if (a.work.last_contact) {
    CHECK(a.work.last_contact->at == b.work.last_contact->at);
    CHECK(a.work.last_contact->by == b.work.last_contact->by);
    CHECK(a.work.last_contact->channel == b.work.last_contact->channel);
    CHECK(a.work.last_contact->result == b.work.last_contact->result);
  }
  REQUIRE(a.seen.size() == b.seen.size());
  for (size_t i = 0; i < a.seen.size(); ++i) {
    CHECK(a.seen[i].event_id == b.seen[i].event_id);
    CHECK(a.seen[i].digest == b.seen[i].digest);
    CHECK(a.seen[i].version == b.seen[i].version);
    CHECK(a.seen[i].position == b.seen[i].position);
  }
}

std::vector<event> history() {
  std::vector<event> es = {make_event("u-1", "e1", test::sample_signup(), 1),
                           make_event("u-1", "e2", test::sample_qualified(), 2),
                           make_event("u-1", "e3", test::sample_failure(true, 1), 3),
                           make_event("u-1", "e4", test::sample_enriched(1000, 10), 4),
                           make_event("u-1", "e5", test::sample_enriched(2000, 20), 5),
                           make_event("u-1", "e6", test::sample_failure(true, 1, "rate_limited"), 6)};
  for (auto& e : es) e.meta.digest.fill(static_cast<uint8_t>(e.meta.version));
  es[0].meta.correlation_id = "corr-signup";
  return es;
}

} // namespace

TEST_CASE("a snapshot decodes to the state it was made from", "[snapshot]") {
  const auto es = history();
  for (size_t n = 0; n <= es.size(); ++n) {
    lead_state s = fold("u-1", std::vector<event>(es.begin(), es.begin() + static_cast<std::ptrdiff_t>(n)));
    auto back = decode_snapshot(encode_snapshot(s));
    REQUIRE(back);
    check_same(s, *back);
    // From an unaligned address too (a RocksDB value at an odd offset).
    const std::string shifted = "x" + encode_snapshot(s);
    auto odd = decode_snapshot(std::string_view(shifted).substr(1));
    REQUIRE(odd);
    check_same(s, *odd);
  }
}

TEST_CASE("snapshot + later events == the full fold, at every split", "[snapshot]") {
  const auto es = history();
  lead_state full = fold("u-1", es);
  for (size_t split = 0; split <= es.size(); ++split) {
    lead_state head = fold("u-1", std::vector<event>(es.begin(), es.begin() + static_cast<std::ptrdiff_t>(split)));
    auto s = decode_snapshot(encode_snapshot(head));
    REQUIRE(s);
    for (size_t i = split; i < es.size(); ++i) evolve(*s, es[i]);
    check_same(full, *s);
  }
}

TEST_CASE("an erased and a disqualified state snapshot too", "[snapshot]") {
  auto es = history();
  es.push_back(make_event("u-1", "e7", erased{"lgpd", "dpo"}, 7));
  lead_state s = fold("u-1", es);
  check_same(s, *decode_snapshot(encode_snapshot(s)));
  lead_state d = fold("u-1", std::vector<event>{make_event("u-1", "e1", test::sample_signup(), 1),
                                               make_event("u-1", "e2", test::sample_qualified(outcome::disqualified), 2)});
  check_same(d, *decode_snapshot(encode_snapshot(d)));
}

TEST_CASE("the work part snapshots too, at every split", "[snapshot][work]") {
  auto es = history();
  contact_logged c;
  c.by = "ana";
  c.channel = contact_channel::instagram_dm;
  c.result = contact_outcome::connected;
  c.note = "likes reels";
  c.contacted_at = 1764331300000;
  c.claim_expires_at = 1764431300000;
  es.push_back(make_event("u-1", "e7", assigned{"ana", "ana", assign_how::claim, 1764400000000}, 7));
  es.push_back(make_event("u-1", "e8", c, 8));
  c.result = contact_outcome::meeting_booked;
  c.claim_expires_at.reset();
  es.push_back(make_event("u-1", "e9", c, 9));
  es.push_back(make_event("u-1", "e10", released{"ana", "boss", release_reason::by_admin}, 10));
  const lead_state full = fold("u-1", es);
  CHECK(full.work.stage() == work_stage::meeting_booked);
  for (size_t split = 6; split <= es.size(); ++split) {
    lead_state head = fold("u-1", std::vector<event>(es.begin(), es.begin() + static_cast<std::ptrdiff_t>(split)));
    auto s = decode_snapshot(encode_snapshot(head));
    REQUIRE(s);
    check_same(head, *s);
    for (size_t i = split; i < es.size(); ++i) evolve(*s, es[i]);
    check_same(full, *s);
  }
}

TEST_CASE("corrupt snapshots are refused", "[snapshot]") {
  CHECK_FALSE(decode_snapshot("nonsense"));
  CHECK_FALSE(decode_snapshot(""));
  std::string bytes = encode_snapshot(fold("u-1", history()));
  CHECK_FALSE(decode_snapshot(bytes.substr(0, bytes.size() / 3)));
}
