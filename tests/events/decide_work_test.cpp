// The work rules (docs/domain.md "Working the leads"): claim, release, log_contact
// and expire_claim as decide() sees them, and the fold's `work` part and stage.
// Pure: no actors, no clock but the context's.
#include "events/json.hpp"
#include "events/react.hpp"
#include "events/time.hpp"
#include "tests/events/decide_fixture.hpp"

using namespace leadbase;
using namespace leadbase::test;

namespace {

constexpr millis hour = 3600 * 1000;

const acting_person ana{"ana", false};
const acting_person bia{"bia", false};
const acting_person boss{"boss", true};

assigned claimed_by(const std::string& who, millis expires = t_now + 24 * hour) {
  return assigned{who, who, assign_how::claim, expires};
}

contact_logged contact(const std::string& by, contact_outcome o, std::optional<millis> expires = std::nullopt) {
  contact_logged c;
  c.by = by;
  c.channel = contact_channel::phone;
  c.result = o;
  c.contacted_at = t_now - 1000;
  c.claim_expires_at = expires;
  return c;
}

/// Signed up, qualified, claimed by ana.
lead_state owned_by_ana() { return lead_after({sample_signup(), sample_qualified(), claimed_by("ana")}); }

lead_state closed_by_ana() {
  return lead_after(
      {sample_signup(), sample_qualified(), claimed_by("ana"), contact("ana", contact_outcome::not_interested)});
}

lead_state booked_by_ana() {
  return lead_after(
      {sample_signup(), sample_qualified(), claimed_by("ana"), contact("ana", contact_outcome::meeting_booked)});
}

lead_state erased_lead() {
  return lead_after({sample_signup(), sample_qualified(), claimed_by("ana"), erased{"lgpd", "dpo"}});
}

} // namespace

TEST_CASE("decide(claim): who may claim what", "[decide][work]") {
  const decide_options o = rules();
  struct row {
    const char* what;
    lead_state state;
    acting_person by;
    std::optional<errc> refused;
    bool unchanged = false;
  };
  const row table[] = {
      {"never signed up", initial("u-1"), ana, errc::not_found},
      {"not yet qualified", lead_after({sample_signup()}), ana, errc::conflict},
      {"disqualified", lead_after({sample_signup(), sample_qualified(outcome::disqualified)}), ana, errc::conflict},
      {"disqualified, even by an admin", lead_after({sample_signup(), sample_qualified(outcome::disqualified)}), boss,
       errc::conflict},
      {"erased", erased_lead(), ana, errc::lead_erased},
      {"another owner", owned_by_ana(), bia, errc::conflict},
      {"another owner, even for an admin", owned_by_ana(), boss, errc::conflict},
      {"closed", closed_by_ana(), bia, errc::conflict},
      {"meeting booked", booked_by_ana(), bia, errc::conflict},
      {"its owner again: nothing new", owned_by_ana(), ana, std::nullopt, true},
      {"unassigned and qualified", awaiting_first_call(), ana, std::nullopt},
      {"released earlier", lead_after({sample_signup(), sample_qualified(), claimed_by("bia"),
                                       released{"bia", "bia", release_reason::by_owner}}),
       ana, std::nullopt},
  };
  for (const row& r : table) {
    INFO(r.what);
    auto d = decide(r.state, claim{r.by, std::nullopt, "corr-c"}, context_at(o));
    if (r.refused) {
      REQUIRE_FALSE(d);
      CHECK(d.err().code == *r.refused);
      continue;
    }
    REQUIRE(d);
    if (r.unchanged) {
      CHECK(d->duplicate);
      CHECK(d->to_append.empty());
      CHECK(d->version == r.state.version);
      continue;
    }
    const auto& a = only_event<assigned>(*d);
    CHECK(a.owner == r.by.name);
    CHECK(a.by == r.by.name);
    CHECK(a.how == assign_how::claim);
    CHECK(a.expires_at == t_now + o.claim_ttl_ms);
    CHECK(d->version == r.state.version + 1);
    CHECK(d->to_append.front().meta.correlation_id == "corr-c");
    CHECK(d->to_append.front().meta.event_id.rfind("claim:", 0) == 0);
  }
}

TEST_CASE("decide(claim): expected_version and the claim TTL", "[decide][work]") {
  decide_options o = rules();
  o.claim_ttl_ms = static_cast<millis>(0.25 * hour);  // fractional hours
  const lead_state s = awaiting_first_call();
  auto stale = decide(s, claim{ana, s.version - 1, ""}, context_at(o));
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == errc::conflict);
  auto d = decide(s, claim{ana, s.version, ""}, context_at(o));
  REQUIRE(d);
  CHECK(only_event<assigned>(*d).expires_at == t_now + 15 * 60 * 1000);
  CHECK(d->to_append.front().meta.correlation_id == "corr-1");  // the signup's when the request has none
}

TEST_CASE("decide(release): only the owner or an admin", "[decide][work]") {
  const decide_options o = rules();
  struct row {
    const char* what;
    lead_state state;
    acting_person by;
    std::optional<errc> refused;
    release_reason reason = release_reason::by_owner;
  };
  const row table[] = {
      {"never signed up", initial("u-1"), ana, errc::not_found},
      {"erased", erased_lead(), boss, errc::lead_erased},
      {"no owner", awaiting_first_call(), ana, errc::conflict},
      {"no owner, admin", awaiting_first_call(), boss, errc::conflict},
      {"someone else's", owned_by_ana(), bia, errc::conflict},
      {"the owner", owned_by_ana(), ana, std::nullopt, release_reason::by_owner},
      {"an admin", owned_by_ana(), boss, std::nullopt, release_reason::by_admin},
      {"the owner of a closed lead", closed_by_ana(), ana, std::nullopt, release_reason::by_owner},
  };
  for (const row& r : table) {
    INFO(r.what);
    auto d = decide(r.state, release{r.by, ""}, context_at(o));
    if (r.refused) {
      REQUIRE_FALSE(d);
      CHECK(d.err().code == *r.refused);
      continue;
    }
    REQUIRE(d);
    const auto& rel = only_event<released>(*d);
    CHECK(rel.owner == "ana");
    CHECK(rel.by == r.by.name);
    CHECK(rel.reason == r.reason);
  }
}

TEST_CASE("decide(log_contact): who may log, and what it does to the claim", "[decide][work]") {
  const decide_options o = rules();
  struct row {
    const char* what;
    lead_state state;
    acting_person by;
    contact_outcome result;
    std::optional<errc> refused;
    bool extends_claim = false;
  };
  const row table[] = {
      {"never signed up", initial("u-1"), ana, contact_outcome::connected, errc::not_found},
      {"erased", erased_lead(), boss, contact_outcome::connected, errc::lead_erased},
      {"no owner, not admin", awaiting_first_call(), ana, contact_outcome::connected, errc::conflict},
      {"someone else's", owned_by_ana(), bia, contact_outcome::connected, errc::conflict},
      {"closed, by its owner", closed_by_ana(), ana, contact_outcome::connected, errc::conflict},
      {"the owner: the claim restarts", owned_by_ana(), ana, contact_outcome::no_answer, std::nullopt, true},
      {"the owner books a meeting: nothing left to lapse", owned_by_ana(), ana, contact_outcome::meeting_booked,
       std::nullopt, false},
      {"the owner closes it", owned_by_ana(), ana, contact_outcome::do_not_contact, std::nullopt, false},
      {"an admin on someone's lead: the owner's claim is not extended", owned_by_ana(), boss,
       contact_outcome::connected, std::nullopt, false},
      {"an admin reopens a closed lead: its claim runs again", closed_by_ana(), boss, contact_outcome::connected,
       std::nullopt, true},
      {"an admin on an unassigned lead", awaiting_first_call(), boss, contact_outcome::connected, std::nullopt},
      {"the owner after a booked meeting", booked_by_ana(), ana, contact_outcome::connected, std::nullopt, false},
  };
  for (const row& r : table) {
    INFO(r.what);
    log_contact cmd{r.by, contact_channel::whatsapp, r.result, "call back at 5", std::nullopt, std::nullopt, "k"};
    auto d = decide(r.state, cmd, context_at(o));
    if (r.refused) {
      REQUIRE_FALSE(d);
      CHECK(d.err().code == *r.refused);
      continue;
    }
    REQUIRE(d);
    const auto& c = only_event<contact_logged>(*d);
    CHECK(c.by == r.by.name);
    CHECK(c.channel == contact_channel::whatsapp);
    CHECK(c.result == r.result);
    CHECK(c.note == "call back at 5");
    CHECK(c.has_note());
    CHECK(c.contacted_at == t_now);
    CHECK(c.claim_expires_at.has_value() == r.extends_claim);
    if (r.extends_claim) CHECK(*c.claim_expires_at == t_now + o.claim_ttl_ms);
  }
}

TEST_CASE("decide(log_contact): contacted_at and expected_version", "[decide][work]") {
  const decide_options o = rules();
  const lead_state s = owned_by_ana();
  log_contact cmd{ana, contact_channel::email, contact_outcome::connected, "", t_now - hour, std::nullopt, ""};
  auto d = decide(s, cmd, context_at(o));
  REQUIRE(d);
  CHECK(only_event<contact_logged>(*d).contacted_at == t_now - hour);
  CHECK_FALSE(only_event<contact_logged>(*d).has_note());
  cmd.contacted_at = t_now + 2 * hour;
  auto future = decide(s, cmd, context_at(o));
  REQUIRE_FALSE(future);
  CHECK(future.err().code == errc::validation);
  cmd.contacted_at = s.signed_up_at - 1;  // before the creator signed up
  auto before_signup = decide(s, cmd, context_at(o));
  REQUIRE_FALSE(before_signup);
  CHECK(before_signup.err().code == errc::validation);
  cmd.contacted_at = s.signed_up_at;
  CHECK(decide(s, cmd, context_at(o)));
  // A signup whose occurred_at lies ahead (the platform's clock, which ingest
  // does not bound) must not block every contact: the bound is the earlier of
  // occurred_at and when the signup was recorded.
  lead_state ahead = s;
  ahead.signed_up_at = t_now + 365 * 24 * hour;
  cmd.contacted_at.reset();
  CHECK(decide(ahead, cmd, context_at(o)));
  cmd.contacted_at = ahead.signup_recorded_at - 1;
  CHECK_FALSE(decide(ahead, cmd, context_at(o)));
  cmd.contacted_at.reset();
  cmd.expected_version = s.version + 1;
  auto stale = decide(s, cmd, context_at(o));
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == errc::conflict);
}

TEST_CASE("decide(expire_claim) and run_owed: a lapsed claim releases itself once", "[decide][work]") {
  const decide_options o = rules();
  struct row {
    const char* what;
    lead_state state;
    bool releases;
    std::optional<millis> wake_at;
  };
  const row table[] = {
      {"no owner", awaiting_first_call(), false, std::nullopt},
      {"due in the future: wake then", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now + 5)}),
       false, t_now + 5},
      {"due now", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now)}), true, std::nullopt},
      {"overdue", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour)}), true,
       std::nullopt},
      {"a contact moved it on", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour),
                                            contact("ana", contact_outcome::no_answer, t_now + hour)}),
       false, t_now + hour},
      {"meeting booked: nothing lapses", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour),
                                                     contact("ana", contact_outcome::meeting_booked)}),
       false, std::nullopt},
      {"closed: nothing lapses", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour),
                                             contact("ana", contact_outcome::wrong_contact)}),
       false, std::nullopt},
      {"already released", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour),
                                       released{"ana", "ana", release_reason::by_owner}}),
       false, std::nullopt},
      {"erased", lead_after({sample_signup(), sample_qualified(), claimed_by("ana", t_now - hour), erased{"x", "y"}}),
       false, std::nullopt},
  };
  for (const row& r : table) {
    INFO(r.what);
    auto d = decide(r.state, expire_claim{}, context_at(o));
    REQUIRE(d);
    if (r.releases) {
      const auto& rel = only_event<released>(*d);
      CHECK(rel.owner == "ana");
      CHECK(rel.by == system_actor);
      CHECK(rel.reason == release_reason::expired);
      lead_state after = r.state;
      evolve(after, d->to_append.front());
      CHECK(after.work.owner.empty());
      CHECK(after.work.stage() == work_stage::unassigned);
      auto again = decide(after, expire_claim{}, context_at(o));
      REQUIRE(again);
      CHECK(again->to_append.empty());  // exactly once
    } else {
      CHECK(d->to_append.empty());
      CHECK(d->wake_at == r.wake_at);
    }
    CHECK(claim_lapse(r.state).has_value() == (r.releases || r.wake_at.has_value()));
    // run_owed does the same (with nothing else owed, follow-ups or not).
    for (bool follow_ups : {true, false}) {
      decide_options o2 = rules(false);
      o2.follow_ups = follow_ups;
      auto owed = decide(r.state, run_owed{}, context_at(o2));
      REQUIRE(owed);
      CHECK((owed->to_append.size() == 1 && std::holds_alternative<released>(owed->to_append.front().data)) ==
            r.releases);
    }
  }
}

TEST_CASE("the fold: work part and derived stage", "[fold][work]") {
  lead_state s = awaiting_first_call();
  CHECK(s.work.stage() == work_stage::unassigned);
  CHECK_FALSE(s.first_contact_ms());
  const auto step = [&](payload p) {
    evolve(s, make_event("u-1", "w" + std::to_string(s.version + 1), std::move(p), s.version + 1));
  };
  step(claimed_by("ana", t_now));
  CHECK(s.work.stage() == work_stage::assigned);
  CHECK(s.work.owner == "ana");
  CHECK(s.work.claimed_at == s.updated_at);
  CHECK(s.work.claim_expires_at == t_now);
  step(contact("ana", contact_outcome::no_answer, t_now + hour));
  CHECK(s.work.stage() == work_stage::contacted);
  CHECK(s.work.contacts == 1);
  CHECK(s.work.claim_expires_at == t_now + hour);
  REQUIRE(s.work.last_contact);
  CHECK(s.work.last_contact->result == contact_outcome::no_answer);
  CHECK(s.first_contact_ms() == s.updated_at - s.signup_recorded_at);
  const auto first = s.first_contact_ms();
  step(released{"ana", system_actor, release_reason::expired});
  CHECK(s.work.stage() == work_stage::unassigned);
  CHECK_FALSE(s.work.claim_expires_at);
  step(claimed_by("bia"));
  CHECK(s.work.stage() == work_stage::contacted);  // contacted before, by someone
  step(contact("bia", contact_outcome::meeting_booked));
  CHECK(s.work.stage() == work_stage::meeting_booked);
  CHECK_FALSE(s.work.claim_expires_at);
  step(contact("bia", contact_outcome::connected));
  CHECK(s.work.stage() == work_stage::meeting_booked);  // a follow-up call does not unbook
  step(contact("bia", contact_outcome::do_not_contact));
  CHECK(s.work.stage() == work_stage::closed);
  CHECK(s.work.contacts == 4);
  CHECK(s.first_contact_ms() == first);
  step(contact("boss", contact_outcome::connected, t_now + 2 * hour));
  CHECK(s.work.stage() == work_stage::contacted);  // reopened (by an admin, as decide allows)
  CHECK(s.work.claim_expires_at == t_now + 2 * hour);
}

TEST_CASE("work names round-trip", "[work]") {
  for (auto w : {work_stage::unassigned, work_stage::assigned, work_stage::contacted, work_stage::meeting_booked,
                 work_stage::closed})
    CHECK(work_stage_from_string(to_string(w)) == w);
  for (auto c : {contact_channel::phone, contact_channel::whatsapp, contact_channel::email,
                 contact_channel::instagram_dm, contact_channel::other})
    CHECK(contact_channel_from_string(to_string(c)) == c);
  for (auto r : {contact_outcome::no_answer, contact_outcome::connected, contact_outcome::meeting_booked,
                 contact_outcome::not_interested, contact_outcome::wrong_contact, contact_outcome::do_not_contact})
    CHECK(contact_outcome_from_string(to_string(r)) == r);
  for (auto r : {release_reason::by_owner, release_reason::by_admin, release_reason::expired})
    CHECK(release_reason_from_string(to_string(r)) == r);
  CHECK_FALSE(contact_outcome_from_string("maybe"));
  CHECK(event_type_from_string("contact_logged") == event_type::contact_logged);
}

TEST_CASE("history data of the work events, and an erased note", "[json][work]") {
  event a = make_event("u-1", "e3", claimed_by("ana", t_now), 3);
  CHECK(event_data_json(a) ==
        R"({"owner":"ana","by":"ana","how":"claim","expires_at":")" + format_time(t_now) + R"("})");
  event r = make_event("u-1", "e4", released{"ana", "system", release_reason::expired}, 4);
  CHECK(event_data_json(r) == R"({"owner":"ana","by":"system","reason":"expired"})");
  contact_logged c = contact("ana", contact_outcome::connected);
  c.note = "secret note";
  event e = make_event("u-1", "e5", c, 5);
  CHECK(event_data_json(e).find(R"("note":"secret note")") != std::string::npos);
  CHECK(event_data_json(e).find(R"("outcome":"connected")") != std::string::npos);
  c.note.clear();
  c.had_note = true;
  event gone = make_event("u-1", "e5", c, 5);
  gone.personal_erased = true;
  CHECK(event_data_json(gone).find(R"("note":"[erased]")") != std::string::npos);
  c.had_note = false;
  event none = make_event("u-1", "e5", c, 5);
  none.personal_erased = true;
  CHECK(event_data_json(none).find(R"("note":null)") != std::string::npos);
}

TEST_CASE("ingest refuses work event types", "[json][work]") {
  for (const char* type : {"assigned", "released", "contact_logged"}) {
    INFO(type);
    auto p = parse_event_item(std::string(R"({"event_id":"e","lead_id":"u-1","type":")") + type +
                              R"(","occurred_at":"2026-11-28T12:00:00.000Z","data":{}})");
    REQUIRE_FALSE(p);
    CHECK(p.err().code == errc::validation);
  }
}
