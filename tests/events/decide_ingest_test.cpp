// decide(ingest): idempotency, conflicts, expected version, one signup per
// lead, field rules; with follow-ups off, so the ingested event is all there is
// (decide_follow_ups_test.cpp has what a signup sets in motion).
#include <catch2/catch.hpp>

#include "events/decide.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

const decide_options ingest_only = [] {
  decide_options o;
  o.follow_ups = false;
  return o;
}();

result<decision> decide(const lead_state& s, const append_command& c) {
  decide_context ctx;
  ctx.options = &ingest_only;
  return leadbase::decide(s, ingest{c}, ctx);
}

append_command cmd_of(const std::string& event_id, payload p, uint8_t digest_byte = 1,
                       std::optional<lead_version> expected = std::nullopt) {
  append_command c;
  c.ev = make_event("u-1", event_id, std::move(p));
  c.ev.meta.digest.fill(digest_byte);
  c.expected_version = expected;
  return c;
}

lead_state signed_up_state() {
  lead_state s = initial("u-1");
  auto e = make_event("u-1", "e1", test::sample_signup(), 1);
  e.meta.digest.fill(1);
  e.meta.position = 77;
  evolve(s, e);
  return s;
}

} // namespace

TEST_CASE("a first signup is appended as version 1", "[decide]") {
  auto d = decide(initial("u-1"), cmd_of("e1", test::sample_signup()));
  REQUIRE(d);
  CHECK_FALSE(d->duplicate);
  CHECK(d->version == 1);
  REQUIRE(d->to_append.size() == 1);
  CHECK(d->to_append[0].meta.version == 1);
  CHECK(d->to_append[0].meta.lead_id == "u-1");
}

TEST_CASE("idempotency by event id", "[decide]") {
  auto s = signed_up_state();
  SECTION("same id, same content: the original answer") {
    auto d = decide(s, cmd_of("e1", test::sample_signup(), 1));
    REQUIRE(d);
    CHECK(d->duplicate);
    CHECK(d->version == 1);
    CHECK(d->position == 77);
    CHECK(d->to_append.empty());
  }
  SECTION("same id, other content: conflict") {
    auto d = decide(s, cmd_of("e1", test::sample_signup(), 2));
    REQUIRE_FALSE(d);
    CHECK(d.err().code == errc::conflict);
  }
  SECTION("duplicates win over a stale expected version (a re-sent request)") {
    auto d = decide(s, cmd_of("e1", test::sample_signup(), 1, lead_version{0}));
    REQUIRE(d);
    CHECK(d->duplicate);
  }
}

TEST_CASE("one signup per lead", "[decide]") {
  auto d = decide(signed_up_state(), cmd_of("e2", test::sample_signup()));
  REQUIRE_FALSE(d);
  CHECK(d.err().code == errc::conflict);
}

TEST_CASE("expected version", "[decide]") {
  auto s = signed_up_state();
  CHECK(decide(s, cmd_of("e2", test::sample_qualified(), 1, lead_version{1})));
  auto wrong = decide(s, cmd_of("e2", test::sample_qualified(), 1, lead_version{0}));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.err().code == errc::conflict);
  CHECK(decide(initial("u-1"), cmd_of("e1", test::sample_signup(), 1, lead_version{0})));
  CHECK_FALSE(decide(initial("u-1"), cmd_of("e1", test::sample_signup(), 1, lead_version{3})));
}

TEST_CASE("nothing but a signup for a lead that never signed up", "[decide]") {
  for (payload p : {payload{test::sample_qualified()}, payload{test::sample_enriched()},
                    payload{test::sample_failure(true)}, payload{erased{"r", "x"}}}) {
    auto d = decide(initial("u-1"), cmd_of("e9", p));
    REQUIRE_FALSE(d);
    CHECK(d.err().code == errc::not_found);
  }
}

TEST_CASE("field rules", "[decide]") {
  auto s = signed_up_state();
  auto q = test::sample_qualified();
  q.decided_by.clear();
  CHECK(decide(s, cmd_of("e2", q)).err().code == errc::validation);
  auto x = test::sample_enriched();
  x.network = network::unknown;
  CHECK(decide(s, cmd_of("e2", x)).err().code == errc::validation);
  auto f = test::sample_failure(true);
  f.network = network::unknown;
  CHECK(decide(s, cmd_of("e2", f)).err().code == errc::validation);
  CHECK(decide(s, cmd_of("e2", unknown_event{9})).err().code == errc::validation);
}

TEST_CASE("an erased lead takes no new events", "[decide]") {
  auto s = signed_up_state();
  evolve(s, make_event("u-1", "e2", erased{"lgpd", "dpo"}, 2));
  for (payload p : {payload{test::sample_qualified()}, payload{test::sample_enriched()},
                    payload{test::sample_signup()}, payload{erased{"again", "dpo"}}}) {
    auto d = decide(s, cmd_of("e3", p));
    REQUIRE_FALSE(d);
    CHECK(d.err().code == errc::lead_erased);
  }
}

TEST_CASE("every accepted type gets the next version", "[decide]") {
  auto s = signed_up_state();
  for (payload p : {payload{test::sample_qualified()}, payload{test::sample_enriched()},
                    payload{test::sample_failure(false)}, payload{erased{"lgpd", "dpo"}}}) {
    auto d = decide(s, cmd_of("e5", p));
    REQUIRE(d);
    CHECK(d->version == 2);
  }
}
