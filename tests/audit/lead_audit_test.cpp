// audit/lead_audit.hpp: replay, state as of and their documents on a chain
// read as the log hands it over (damaged entries included), without a store.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "audit/documents.hpp"
#include "audit/lead_audit.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;

namespace {

const std::string lead = "u-audit-1";

/// signed_up (v1, recorded at 1000), a damaged v2, qualified (v3, at 3000).
audit::lead_record sample_record() {
  audit::lead_record r;
  r.lead_id = lead;
  storage::stored_event first{test::make_event(lead, "e-1", test::sample_signup(false), 1, 1000), {}, {}};
  storage::stored_event broken;
  broken.ev.meta.lead_id = lead;
  broken.ev.meta.version = 2;
  broken.damage = "the stored bytes fail verification";
  storage::stored_event third{test::make_event(lead, "e-3", test::sample_qualified(), 3, 3000), {}, {}};
  r.chain.events = {first, broken, third};
  r.verdict.intact = false;
  r.verdict.first_bad_version = 2;
  r.verdict.problem = "event 2 cannot be read";
  return r;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

} // namespace

TEST_CASE("audit replay: every step in order, a damaged one leaves the state as it was", "[audit]") {
  const auto r = sample_record();
  std::vector<lead_version> versions;
  std::vector<bool> damaged;
  audit::replay(r, std::nullopt, [&](const storage::stored_event& e, const lead_state& after) {
    versions.push_back(after.version);
    damaged.push_back(e.damaged());
  });
  CHECK(versions == std::vector<lead_version>{1, 1, 3});
  CHECK(damaged == std::vector<bool>{false, true, false});
}

TEST_CASE("audit as of: compares with recorded_at and stops before the first later event", "[audit]") {
  const auto r = sample_record();
  CHECK(audit::state_as_of(r, 999).version == 0);
  CHECK(audit::state_as_of(r, 1000).version == 1);
  CHECK(audit::state_as_of(r, 2999).version == 1);
  CHECK(audit::state_as_of(r, 3000).version == 3);
  CHECK(audit::first_recorded_at(r) == millis{1000});
  int steps = 0;
  audit::replay(r, millis{2000}, [&](const storage::stored_event&, const lead_state&) { ++steps; });
  CHECK(steps == 2);  // v1 and the damaged v2; v3 was recorded later
}

TEST_CASE("audit documents: replay and state carry the verdict of a broken chain", "[audit]") {
  const auto r = sample_record();
  projections::view_settings view;
  view.rules_version = "2031-01-01";
  auto replay = parse(audit::replay_document(r, view));
  REQUIRE(replay["steps"].Size() == 3);
  CHECK(replay["steps"][1]["event"]["damaged"].GetBool());
  CHECK(replay["steps"][1]["state"]["version"].GetUint64() == 1);
  CHECK(std::string(replay["integrity"].GetString()) == "broken");
  CHECK(replay["first_bad_version"].GetUint64() == 2);

  auto state = parse(audit::state_document(r, audit::state_as_of(r, 5000), view));
  CHECK(state["version"].GetUint64() == 3);
  CHECK(std::string(state["integrity"].GetString()) == "broken");

  auto sound = r;
  sound.verdict = storage::chain_verdict{};
  auto plain = parse(audit::state_document(sound, audit::state_as_of(sound, 5000), view));
  CHECK_FALSE(plain.HasMember("integrity"));  // a sound lead's answer is exactly the view
}
