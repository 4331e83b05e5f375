// A lead id is a key prefix in the events family ([lead_id][0x00][version]):
// the log must never take an id with a NUL or another control byte, because
// such an id's key range overlaps another lead's. Observed: GET /v1/leads/abc%00 read the events of lead "abc", and
// without abc's data key showed them as erased.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "events/ids.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using namespace leadbase::storage;
using namespace std::string_literals;

namespace {

/// Whether `key` lies in the range read_stream scans for `lead`.
bool in_range_of(const std::string& key, const std::string& lead) {
  return key >= keys::event_key(lead, 1) && key < keys::lead_upper_bound(lead);
}

} // namespace

TEST_CASE("the key range of a valid lead id holds exactly that lead's events", "[keys][lead_id]") {
  // Ids that share prefixes, differ in the last byte, or use every punctuation the rule allows.
  std::vector<std::string> ids = {"a", "a.", "a..", "a:", "a-", "a_", "a0", "ab", "abc", "abc.",
                                  "A", "u-1", "u-10", "u-1.", ".a", "a.b", std::string(64, 'z')};
  for (const auto& id : ids) REQUIRE(is_valid_id(id));
  for (const auto& owner : ids)
    for (const auto& other : ids)
      for (uint64_t v : {uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{1} << 56, UINT64_MAX}) {
        INFO(owner << " / " << other << " v" << v);
        CHECK(in_range_of(keys::event_key(other, v), owner) == (owner == other));
      }
}

TEST_CASE("an id with a NUL would read another lead's events, so no such id is storable", "[keys][lead_id]") {
  // The hazard the check prevents: "abc\0" + padding scans into "abc"'s keys.
  const std::string padded = "abc\0"s;
  CHECK(in_range_of(keys::event_key("abc", 1), padded));
  CHECK(in_range_of(keys::event_key("abc", 1), "abc\0\0\0"s));
  for (const std::string& bad : {"abc\0"s, "\0"s, "abc\0\0\0\0\0\0\0\0\x01"s, "a\x01"s, "a\x1f"s, ""s}) {
    INFO(bad.size() << " bytes");
    CHECK_FALSE(keys::is_storable_lead_id(bad));
  }
  CHECK(keys::is_storable_lead_id("abc"));
  // Ids the API refuses (events/ids.hpp) but the encoding can hold: a lead
  // stored before the API refused them stays readable.
  CHECK(keys::is_storable_lead_id(".."));
  CHECK(keys::is_storable_lead_id(std::string(65, 'a')));
}

TEST_CASE("the log refuses to read or write a lead id with a NUL or a separator byte", "[journal][lead_id]") {
  test::temp_dir dir;
  log_options o;
  o.dir = dir.str();
  auto opened = event_log::open(o);
  REQUIRE(opened);
  event_log& log = **opened;

  append_request first;
  first.lead_id = "abc";
  first.expected_version = 0;
  first.new_key = true;
  first.events = {test::make_event("abc", "abc-e1", test::sample_signup())};
  std::vector<append_request> reqs{first};
  REQUIRE(log.append_batch(reqs, 1000)[0].code == errc::success);
  REQUIRE(log.read_stream("abc")->size() == 1);

  for (const std::string& bad :
       {"abc\0"s, "abc\0\0\0\0\0\0\0\0"s, "abc\0\0\0\0\0\0\0\0\x01"s, "abc\x01"s, "\0"s, ""s}) {
    INFO(bad.size() << " bytes");
    auto stream = log.read_stream(bad);
    REQUIRE_FALSE(stream.ok());
    CHECK(stream.err().code == errc::validation);
    CHECK_FALSE(log.read_head(bad).ok());
    CHECK_FALSE(log.read_key(bad).ok());
    CHECK_FALSE(log.read_snapshot(bad).ok());
    CHECK_FALSE(log.put_snapshot(bad, "x").ok());
    CHECK_FALSE(log.destroy_key(bad).ok());

    append_request r;
    r.lead_id = bad;
    r.expected_version = 0;
    r.new_key = true;
    r.events = {test::make_event(bad, "bad-e" + std::to_string(bad.size()), test::sample_signup())};
    std::vector<append_request> rs{r};
    CHECK(log.append_batch(rs, 2000)[0].code == errc::validation);
  }
  // Nothing of the above changed "abc": one event, still readable, key intact.
  auto abc = log.read_stream("abc");
  REQUIRE(abc.ok());
  REQUIRE(abc->size() == 1);
  CHECK_FALSE(abc->front().ev.personal_erased);
  CHECK(log.last_position() == 1);
}
