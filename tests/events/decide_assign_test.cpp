// The assignment rule (POST /v1/leads/{id}/assign, scope admin): an admin hands
// a lead to a named person, as decide() sees it; and its body's parser.
// Pure: no actors, no clock but the context's.
#include "events/json.hpp"
#include "events/react.hpp"
#include "tests/events/decide_fixture.hpp"

using namespace leadbase;
using namespace leadbase::test;

namespace {

constexpr millis hour = 3600 * 1000;

const acting_person ana{"ana", false};
const acting_person bia{"bia", false};
const acting_person boss{"boss", true};

log_contact connected_by(const acting_person& who) {
  log_contact c;
  c.by = who;
  c.channel = contact_channel::phone;
  c.result = contact_outcome::connected;
  return c;
}

assigned claimed_by(const std::string& who) { return assigned{who, who, assign_how::claim, t_now + 24 * hour}; }

contact_logged contact(const std::string& by, contact_outcome o) {
  contact_logged c;
  c.by = by;
  c.channel = contact_channel::phone;
  c.result = o;
  c.contacted_at = t_now - 1000;
  return c;
}

lead_state owned_by(const std::string& who) { return lead_after({sample_signup(), sample_qualified(), claimed_by(who)}); }

lead_state worked_by_ana(contact_outcome o) {
  return lead_after({sample_signup(), sample_qualified(), claimed_by("ana"), contact("ana", o)});
}

/// The state after `d`'s events, recorded now (as the journal would stamp them).
lead_state after(lead_state s, const decision& d) {
  global_position pos = s.position;
  for (event ev : d.to_append) {
    ev.meta.recorded_at = t_now;
    ev.meta.position = ++pos;
    evolve(s, ev);
  }
  return s;
}

} // namespace

TEST_CASE("decide(assign): what an admin may hand to whom", "[decide][work]") {
  const decide_options o = rules();
  struct row {
    const char* what;
    lead_state state;
    acting_person by;
    std::string owner;
    std::optional<errc> refused;
    bool unchanged = false;
    bool takes_over = false;  // released + assigned
    work_stage stage = work_stage::assigned;
  };
  const row table[] = {
      {"never signed up", initial("u-1"), boss, "bia", errc::not_found},
      {"not yet qualified", lead_after({sample_signup()}), boss, "bia", errc::conflict},
      {"disqualified", lead_after({sample_signup(), sample_qualified(outcome::disqualified)}), boss, "bia",
       errc::conflict},
      {"erased", lead_after({sample_signup(), sample_qualified(), erased{"lgpd", "dpo"}}), boss, "bia",
       errc::lead_erased},
      {"not an admin", awaiting_first_call(), ana, "bia", errc::conflict},
      {"no owner named", awaiting_first_call(), boss, "", errc::validation},
      {"the same owner: nothing new", owned_by("bia"), boss, "bia", std::nullopt, true},
      {"unassigned", awaiting_first_call(), boss, "bia", std::nullopt},
      {"to the admin", awaiting_first_call(), boss, "boss", std::nullopt},
      {"someone else's", owned_by("ana"), boss, "bia", std::nullopt, false, true},
      {"meeting booked: the stage stays", worked_by_ana(contact_outcome::meeting_booked), boss, "bia", std::nullopt,
       false, true, work_stage::meeting_booked},
      {"closed: the stage stays", worked_by_ana(contact_outcome::not_interested), boss, "bia", std::nullopt, false,
       true, work_stage::closed},
      {"contacted: the contacts stay", worked_by_ana(contact_outcome::no_answer), boss, "bia", std::nullopt,
       false, true, work_stage::contacted},
  };
  for (const row& r : table) {
    INFO(r.what);
    auto d = decide(r.state, assign{r.by, r.owner, "corr-a"}, context_at(o));
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
    REQUIRE(d->to_append.size() == (r.takes_over ? 2u : 1u));
    if (r.takes_over) {
      const auto* rel = std::get_if<released>(&d->to_append.front().data);
      REQUIRE(rel);
      CHECK(rel->owner == r.state.work.owner);
      CHECK(rel->by == "boss");
      CHECK(rel->reason == release_reason::by_admin);
      CHECK(d->to_append.front().meta.version == r.state.version + 1);
      CHECK(d->to_append.front().meta.event_id != d->to_append.back().meta.event_id);
    }
    const auto* a = std::get_if<assigned>(&d->to_append.back().data);
    REQUIRE(a);
    CHECK(a->owner == r.owner);
    CHECK(a->by == "boss");
    CHECK(a->how == assign_how::manual);
    const bool open = r.state.work.open();
    CHECK(a->expires_at == (open ? std::optional<millis>(t_now + o.claim_ttl_ms) : std::nullopt));
    CHECK(d->version == r.state.version + (r.takes_over ? 2 : 1));
    for (const event& ev : d->to_append) {
      CHECK(ev.meta.correlation_id == "corr-a");
      CHECK(ev.meta.lead_id == "u-1");
    }
    const lead_state s = after(r.state, *d);
    CHECK(s.work.owner == r.owner);
    CHECK(s.work.stage() == r.stage);
    CHECK(claim_lapse(s).has_value() == open);
  }
}

TEST_CASE("decide(assign): a manual assignment lapses like a claim", "[decide][work]") {
  decide_options o = rules();
  o.claim_ttl_ms = 2 * hour;
  auto d = decide(awaiting_first_call(), assign{boss, "bia", ""}, context_at(o));
  REQUIRE(d);
  const lead_state s = after(awaiting_first_call(), *d);
  REQUIRE(claim_lapse(s) == t_now + 2 * hour);
  CHECK(d->to_append.front().meta.correlation_id == "corr-1");  // the signup's when the request has none

  auto early = decide(s, expire_claim{}, context_at(o, t_now + hour));
  REQUIRE(early);
  CHECK(early->to_append.empty());
  CHECK(early->wake_at == t_now + 2 * hour);

  auto due = decide(s, run_owed{}, context_at(o, t_now + 2 * hour));
  REQUIRE(due);
  const auto& rel = only_event<released>(*due);
  CHECK(rel.owner == "bia");
  CHECK(rel.reason == release_reason::expired);
}

TEST_CASE("decide(assign): the new owner works the lead, the old one no longer", "[decide][work]") {
  const decide_options o = rules();
  const lead_state before = owned_by("ana");
  auto d = decide(before, assign{boss, "bia", ""}, context_at(o));
  REQUIRE(d);
  const lead_state s = after(before, *d);
  auto by_ana = decide(s, connected_by(ana), context_at(o));
  REQUIRE_FALSE(by_ana);
  CHECK(by_ana.err().code == errc::conflict);
  auto by_bia = decide(s, connected_by(bia), context_at(o));
  CHECK(by_bia);
  release by_owner;
  by_owner.by = bia;
  auto release_by_bia = decide(s, by_owner, context_at(o));
  CHECK(release_by_bia);
}

TEST_CASE("parse_assign: the body names the owner", "[json][work]") {
  auto ok = parse_assign(R"({"owner":"bia"})");
  REQUIRE(ok);
  CHECK(ok->owner == "bia");
  for (const std::string& body : {std::string("{}"), std::string(""), std::string(R"({"owner":""})"),
                                 std::string(R"({"owner":"   "})"), std::string(R"({"owner":42})"),
                                 R"({"owner":")" + std::string(201, 'x') + R"("})",
                                 // blank in Unicode terms too: no-break, ideographic, thin spaces
                                 std::string("{\"owner\":\"\xC2\xA0\"}"), std::string("{\"owner\":\"\xE3\x80\x80\"}"),
                                 std::string("{\"owner\":\" \xE2\x80\x89 \"}"),
                                 // the queue's owner filter reads these two as the caller and unassigned
                                 std::string(R"({"owner":"me"})"), std::string(R"({"owner":"none"})")}) {
    INFO(body);
    auto bad = parse_assign(body);
    REQUIRE_FALSE(bad);
    REQUIRE(bad.err().errors.size() == 1);
    CHECK(bad.err().errors.front().field == "owner");
  }
  auto not_json = parse_assign("{owner");
  REQUIRE_FALSE(not_json);
  CHECK(not_json.err().errors.empty());
}
