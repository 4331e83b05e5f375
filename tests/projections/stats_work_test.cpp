// The work figures of the stats (projections/stats.hpp "work"): the stage
// gauges, contacts by outcome and meetings booked, expired claims, the first
// contact time; with erasure and expiry; and the stats values of format 1
// (before the work figures) still read.
#include <catch2/catch.hpp>

#include <rocksdb/write_batch.h>

#include <map>

#include "projections/stats_codec.hpp"
#include "projections/stats_projection.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;
using leadbase::test::sample_qualified;
using leadbase::test::sample_signup;

namespace {

constexpr millis t0 = 1'800'000'000'000;  // 2027-01-15
constexpr millis sec = 1000, minute = 60'000, hour = 3'600'000;

/// Each lead's events with increasing versions and global positions.
struct work_log {
  std::vector<event> events;
  std::map<std::string, lead_version> versions;

  work_log& add(const std::string& lead, millis at, payload p) {
    event e;
    e.meta.lead_id = lead;
    e.meta.version = ++versions[lead];
    e.meta.position = events.size() + 1;
    e.meta.event_id = lead + "-" + std::to_string(e.meta.version);
    e.meta.occurred_at = at;
    e.meta.recorded_at = at;
    e.data = std::move(p);
    events.push_back(std::move(e));
    return *this;
  }
  work_log& signup(const std::string& lead, millis at) {
    add(lead, at, sample_signup(false));
    return add(lead, at + 100, sample_qualified());
  }
  work_log& claim(const std::string& lead, millis at, const std::string& who = "ana") {
    return add(lead, at, assigned{who, who, assign_how::claim, at + 24 * hour});
  }
  work_log& contact(const std::string& lead, millis at, contact_outcome o, const std::string& who = "ana") {
    contact_logged c;
    c.by = who;
    c.channel = contact_channel::phone;
    c.result = o;
    c.contacted_at = at;
    return add(lead, at, c);
  }
  work_log& expire(const std::string& lead, millis at, const std::string& who = "ana") {
    return add(lead, at, released{who, "system", release_reason::expired});
  }
};

struct stats_under_test {
  test::log_fixture lf;
  stats_projection proj{*lf.log};

  void apply(const std::vector<event>& events) {
    std::vector<storage::stored_event> page;
    for (const auto& e : events) {
      storage::stored_event se;
      se.ev = e;
      page.push_back(std::move(se));
    }
    rocksdb::WriteBatch batch;
    auto s = proj.apply(page, batch);
    INFO((s ? std::string() : s.err().message));
    REQUIRE(s);
    REQUIRE(test::raw_db(*lf.log)->Write(rocksdb::WriteOptions(), &batch).ok());
    proj.committed();
  }
  stats_report report(millis window, millis now) const {
    auto r = proj.report(window, now);
    REQUIRE(r);
    return *r;
  }
  stats_counters counters() const {
    auto c = proj.counters();
    REQUIRE(c);
    return *c;
  }
};

uint64_t stage_count(const stats_counters& c, work_stage s) { return c.work_stage_leads[static_cast<size_t>(s)]; }

uint64_t contacts_of(const stats_counters& c, contact_outcome o) { return c.contacts_total[static_cast<size_t>(o)]; }

} // namespace

TEST_CASE("stats work: the stages are gauges over every lead not erased, whatever the window", "[stats][work]") {
  work_log b;
  b.signup("a", t0).claim("a", t0 + minute);                                                       // claimed
  b.signup("b", t0).claim("b", t0 + minute).contact("b", t0 + 2 * minute, contact_outcome::no_answer);  // contacted
  b.signup("c", t0).claim("c", t0 + minute).contact("c", t0 + 2 * minute, contact_outcome::meeting_booked);
  b.signup("d", t0).claim("d", t0 + minute).contact("d", t0 + 2 * minute, contact_outcome::not_interested);
  b.signup("e", t0).claim("e", t0 + minute).expire("e", t0 + 3 * minute);                          // unassigned again
  b.signup("f", t0).claim("f", t0 + minute).add("f", t0 + 4 * minute, erased{"lgpd", "dpo"});      // erased: no stage
  b.signup("g", t0);                                                                               // never claimed
  stats_under_test s;
  s.apply(b.events);
  // A one-minute window a week later: the stages are not windowed.
  const auto r = s.report(minute, t0 + 7 * 24 * hour);
  CHECK(r.work_claimed == 1);
  CHECK(r.work_contacted == 1);
  CHECK(r.work_meeting_booked == 1);
  CHECK(r.work_closed == 1);
  const auto c = s.counters();
  CHECK(stage_count(c, work_stage::unassigned) == 2);  // e (expired) and g; f is erased
  CHECK(stage_count(c, work_stage::assigned) == 1);

  SECTION("a lead moves between the stages as its work goes on") {
    const size_t seen = b.events.size();
    b.contact("a", t0 + 10 * minute, contact_outcome::connected)
        .contact("b", t0 + 10 * minute, contact_outcome::wrong_contact)
        .claim("e", t0 + 10 * minute, "bia")
        .add("c", t0 + 11 * minute, erased{"lgpd", "dpo"});
    s.apply(std::vector<event>(b.events.begin() + static_cast<std::ptrdiff_t>(seen), b.events.end()));
    const auto r2 = s.report(hour, t0 + 11 * minute);
    CHECK(r2.work_claimed == 1);         // e, by bia
    CHECK(r2.work_contacted == 1);       // a
    CHECK(r2.work_meeting_booked == 0);  // c was erased
    CHECK(r2.work_closed == 2);          // b, d
  }
}

TEST_CASE("stats work: contacts by outcome, meetings booked and expired claims count in their window",
          "[stats][work]") {
  work_log b;
  b.signup("a", t0).claim("a", t0 + minute);
  b.contact("a", t0 + 2 * minute, contact_outcome::no_answer);                 // two hours before `now`
  b.contact("a", t0 + 2 * hour + 5 * minute, contact_outcome::connected);
  b.contact("a", t0 + 2 * hour + 6 * minute, contact_outcome::meeting_booked);
  b.signup("b", t0).claim("b", t0 + minute).expire("b", t0 + 2 * hour + 10 * minute);
  b.signup("c", t0).claim("c", t0 + minute).expire("c", t0 + 3 * minute);  // out of the window
  b.contact("b", t0 + 2 * hour + 20 * minute, contact_outcome::do_not_contact, "admin");
  b.add("b", t0 + 2 * hour + 30 * minute, erased{"lgpd", "dpo"});  // erasure takes back no windowed fact
  stats_under_test s;
  s.apply(b.events);
  const millis now = t0 + 2 * hour + 40 * minute;
  const auto r = s.report(hour, now);
  CHECK(r.expired_claims == 1);
  const std::map<std::string, uint64_t> outcomes{{"connected", 1},      {"do_not_contact", 1}, {"meeting_booked", 1},
                                                 {"no_answer", 0},      {"not_interested", 0}, {"wrong_contact", 0}};
  CHECK(r.contacts_by_outcome == outcomes);
  const auto all = s.report(24 * hour, now);
  CHECK(all.expired_claims == 2);
  CHECK(all.contacts_by_outcome.at("no_answer") == 1);

  const auto c = s.counters();
  CHECK(c.claims_expired_total == 2);
  CHECK(contacts_of(c, contact_outcome::no_answer) == 1);
  CHECK(contacts_of(c, contact_outcome::connected) == 1);
  CHECK(contacts_of(c, contact_outcome::meeting_booked) == 1);
  CHECK(contacts_of(c, contact_outcome::do_not_contact) == 1);

  // The series: contacts and meetings booked per step.
  auto series = s.proj.series(4 * hour, hour, now);
  REQUIRE(series);
  int64_t contacts = 0, meetings = 0;
  for (const auto& p : series->points) {
    contacts += p.contacts;
    meetings += p.meetings_booked;
    if (p.at == t0 + 2 * hour - (t0 + 2 * hour) % hour) {
      CHECK(p.contacts == 3);
      CHECK(p.meetings_booked == 1);
    }
  }
  CHECK(contacts == 4);
  CHECK(meetings == 1);
}

TEST_CASE("stats work: first contact time runs from the signup recorded to the first contact recorded",
          "[stats][work]") {
  work_log b;
  b.signup("a", t0).claim("a", t0 + minute).contact("a", t0 + 10 * minute, contact_outcome::no_answer);
  b.contact("a", t0 + 50 * minute, contact_outcome::connected);  // not a first contact
  b.signup("b", t0).claim("b", t0 + minute).contact("b", t0 + 30 * minute, contact_outcome::connected);
  b.signup("c", t0).claim("c", t0 + minute);  // no contact yet
  b.signup("d", t0 - 48 * hour).claim("d", t0 - 48 * hour).contact("d", t0 - 47 * hour, contact_outcome::no_answer);
  b.add("b", t0 + 40 * minute, erased{"lgpd", "dpo"});  // still a first contact of the window
  stats_under_test s;
  s.apply(b.events);
  const auto r = s.report(hour, t0 + 55 * minute);
  REQUIRE(r.first_contact_mean_ms);
  CHECK(*r.first_contact_mean_ms == Approx(20.0 * minute));
  CHECK(r.first_contact_p50_ms == 10 * minute);
  CHECK(r.first_contact_p95_ms == 30 * minute);
  const auto c = s.counters();
  CHECK(c.first_contact_count == 3);
  CHECK(c.first_contact_sum_ms == 10 * minute + 30 * minute + hour);
  CHECK(c.first_contact_buckets.back() == 3);
  CHECK(c.first_contact_buckets[2] == 1);  // <= 900 s: a's 10 minutes
  CHECK(c.first_contact_buckets[4] == 3);  // <= 3600 s
  // No first contact in a window: null figures.
  const auto quiet = s.report(minute, t0 + 7 * 24 * hour);
  CHECK_FALSE(quiet.first_contact_mean_ms);
  CHECK_FALSE(quiet.first_contact_p50_ms);
  CHECK_FALSE(quiet.first_contact_p95_ms);
  CHECK(quiet.contacts_by_outcome.size() == 6);
}

TEST_CASE("stats work: values of format 1 still read, with no work figures; format 2 round-trips", "[stats][work]") {
  auto be = [](uint64_t v) { return storage::keys::be64(v); };
  // A summary of format 1: four i64, status, enrichment, team, fail_class.
  std::string v1 = std::string(1, '\1') + be(t0) + be(t0 + sec) + be(0) + be(500000) + std::string(1, '\4') +
                   std::string(1, '\0') + std::string(1, '\1') + be(0);
  auto old = stats_codec::decode_summary(v1);
  REQUIRE(old);
  CHECK(old->signup_at == t0);
  CHECK(old->coverage_micro == 500000);
  CHECK(old->stage == work_stage::unassigned);
  CHECK(old->first_contact_at == 0);

  lead_summary s = *old;
  s.stage = work_stage::meeting_booked;
  s.first_contact_at = t0 + hour;
  auto round = stats_codec::decode_summary(stats_codec::encode(s));
  REQUIRE(round);
  CHECK(*round == s);
  CHECK(stats_codec::encode(s)[0] == '\2');

  time_bucket tb;
  tb.contacts = 3;
  tb.meetings_booked = 1;
  tb.expired_claims = 2;
  tb.contacts_by_outcome = {{"connected", 2}, {"meeting_booked", 1}};
  tb.first_contact_count = 1;
  tb.first_contact_sum_ms = 600000;
  tb.first_contact_hist = {{processing_bin(600000), 1}};
  auto b2 = stats_codec::decode_bucket(stats_codec::encode(tb));
  REQUIRE(b2);
  CHECK(b2->expired_claims == 2);
  CHECK(b2->contacts_by_outcome == tb.contacts_by_outcome);
  CHECK(b2->first_contact_hist == tb.first_contact_hist);

  stats_counters c;
  c.work_stage_leads = {5, 4, 3, 2, 1};
  c.contacts_total = {1, 2, 3, 4, 5, 6};
  c.claims_expired_total = 7;
  c.first_contact_count = 8;
  c.first_contact_sum_ms = 9;
  c.first_contact_buckets.back() = 8;
  auto c2 = stats_codec::decode_counters(stats_codec::encode(c));
  REQUIRE(c2);
  CHECK(c2->work_stage_leads == c.work_stage_leads);
  CHECK(c2->contacts_total == c.contacts_total);
  CHECK(c2->claims_expired_total == 7);
  CHECK(c2->first_contact_count == 8);
  CHECK(c2->first_contact_sum_ms == 9);
  CHECK(c2->first_contact_buckets == c.first_contact_buckets);
  // A value of an unknown (newer) format is refused, not misread.
  std::string v9 = v1;
  v9[0] = '\x09';
  CHECK_FALSE(stats_codec::decode_summary(v9));
}

TEST_CASE("stats work: the fingerprint names format 2, so stats built before are rebuilt", "[stats][work]") {
  test::log_fixture lf;
  stats_projection p(*lf.log);
  CHECK(p.fingerprint().rfind("stats/2 ", 0) == 0);
}
