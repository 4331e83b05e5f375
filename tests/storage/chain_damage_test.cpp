// Damaged records in the log: reads that mark a record they cannot read
// instead of failing (on_damage::mark), and the integrity verdict on a lead's
// chain that checks the head too (storage/chain_check.hpp). Every record is
// damaged directly through RocksDB (tests/support/tamper.hpp).
#include <catch2/catch.hpp>

#include "storage/chain_check.hpp"
#include "storage/hash_chain.hpp"
#include "storage/log_audit.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/tamper.hpp"

using namespace leadbase;
using leadbase::test::spec;

namespace {

/// Three leads of three events each (signup, qualified, enriched), interleaved
/// by lead: u-a 1..3, u-b 4..6, u-c 7..9.
void three_leads(test::log_fixture& f) {
  for (const char* id : {"u-a", "u-b", "u-c"}) {
    auto s = spec(id);
    s.followers = 5000;
    f.append_lead(s);
  }
}

std::string event_id_of(test::log_fixture& f, const std::string& lead, lead_version v) {
  auto events = f.log->read_stream(lead);
  REQUIRE(events);
  REQUIRE(events->size() >= v);
  return (*events)[v - 1].ev.meta.event_id;
}

storage::chain_verdict verdict_of(test::log_fixture& f, const std::string& lead) {
  auto chain = f.log->read_chain(lead);
  REQUIRE(chain);
  return storage::check_chain(*chain);
}

} // namespace

TEST_CASE("read_global with on_damage::mark returns an unreadable event as a damaged entry and every other one",
          "[storage][damage]") {
  test::log_fixture f;
  three_leads(f);
  test::corrupt_event(*f.log, "u-b", 2, test::unverifiable);
  f.close();
  f.open();  // the log's memory of recent events is gone: what is on disk is read

  // Failing reads stay as they were for the writer's rehydration.
  CHECK_FALSE(f.log->read_global(0, 100));
  CHECK_FALSE(f.log->read_stream("u-b"));

  auto page = f.log->read_global(0, 100, storage::event_log::hashes::compute, storage::on_damage::mark);
  REQUIRE(page);
  REQUIRE(page->size() == 9);
  for (size_t i = 0; i < page->size(); ++i) {
    const auto& se = (*page)[i];
    INFO("position " << i + 1);
    CHECK(se.ev.meta.position == i + 1);
    CHECK(se.damaged() == (i + 1 == 5));
  }
  const auto& bad = (*page)[4];
  CHECK(bad.ev.meta.lead_id == "u-b");
  CHECK(bad.ev.meta.version == 2);
  CHECK(bad.damage.find("verification") != std::string::npos);

  auto stream = f.log->read_stream("u-b", 1, UINT64_MAX, SIZE_MAX, storage::on_damage::mark);
  REQUIRE(stream);
  REQUIRE(stream->size() == 3);
  CHECK((*stream)[1].damaged());
  CHECK_FALSE((*stream)[2].damaged());
}

TEST_CASE("read_global with on_damage::mark marks a deleted event and a position missing from the global index",
          "[storage][damage]") {
  test::log_fixture f;
  three_leads(f);
  test::delete_raw_event(*f.log, "u-a", 3);
  REQUIRE(test::raw_db(*f.log)->Delete(rocksdb::WriteOptions(), f.log->cf(storage::key_space::global), storage::keys::position_key(7)).ok());
  f.close();
  f.open();

  auto page = f.log->read_global(0, 100, storage::event_log::hashes::skip, storage::on_damage::mark);
  REQUIRE(page);
  REQUIRE(page->size() == 9);
  CHECK((*page)[2].damaged());
  CHECK((*page)[2].ev.meta.lead_id == "u-a");
  CHECK((*page)[2].ev.meta.version == 3);
  CHECK((*page)[6].damaged());
  CHECK((*page)[6].ev.meta.position == 7);
  CHECK((*page)[6].damage.find("missing from the global index") != std::string::npos);
  // A page cut by its limit still counts the missing position as one entry.
  auto two = f.log->read_global(5, 2, storage::event_log::hashes::skip, storage::on_damage::mark);
  REQUIRE(two);
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].ev.meta.position == 6);
  CHECK((*two)[1].ev.meta.position == 7);
}

TEST_CASE("chain verdict: a sound lead is verified, head included", "[storage][damage][integrity]") {
  test::log_fixture f;
  three_leads(f);
  const auto v = verdict_of(f, "u-b");
  CHECK(v.intact);
  CHECK(v.first_bad_version == 0);
  auto none = f.log->read_chain("u-nobody");
  REQUIRE(none);
  CHECK(none->events.empty());
  CHECK_FALSE(none->last);
  CHECK(storage::check_chain(*none).intact);
}

TEST_CASE("chain verdict: a changed last event is broken at the last version (checked against the head)",
          "[storage][damage][integrity]") {
  test::log_fixture f;
  three_leads(f);
  const std::string id = event_id_of(f, "u-c", 3);
  test::corrupt_event(*f.log, "u-c", 3, [&](std::string b) { return test::tampered(std::move(b), id); });
  f.close();
  f.open();

  // The link-by-link check alone cannot see it: nothing follows the last event.
  auto stream = f.log->read_stream("u-c");
  REQUIRE(stream);
  CHECK(storage::chain_intact(*stream));

  const auto v = verdict_of(f, "u-c");
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad_version == 3);
  CHECK(v.problem.find("head") != std::string::npos);
  CHECK(verdict_of(f, "u-a").intact);
}

TEST_CASE("chain verdict: a deleted last event is broken at its version (the head names it)",
          "[storage][damage][integrity]") {
  test::log_fixture f;
  three_leads(f);
  test::delete_raw_event(*f.log, "u-a", 3);
  f.close();
  f.open();
  auto stream = f.log->read_stream("u-a");
  REQUIRE(stream);
  CHECK(stream->size() == 2);
  CHECK(storage::chain_intact(*stream));

  const auto v = verdict_of(f, "u-a");
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad_version == 3);
  CHECK(v.problem.find("missing") != std::string::npos);
}

TEST_CASE("chain verdict: a changed middle event, an unreadable one and a gap name the first bad version",
          "[storage][damage][integrity]") {
  test::log_fixture f;
  three_leads(f);
  const std::string id = event_id_of(f, "u-a", 2);
  test::corrupt_event(*f.log, "u-a", 2, [&](std::string b) { return test::tampered(std::move(b), id); });
  test::corrupt_event(*f.log, "u-b", 2, test::unverifiable);
  test::delete_raw_event(*f.log, "u-c", 1);
  f.close();
  f.open();

  auto a = verdict_of(f, "u-a");
  CHECK_FALSE(a.intact);
  CHECK(a.first_bad_version == 2);  // its bytes no longer hash to what version 3 recorded
  auto b = verdict_of(f, "u-b");
  CHECK_FALSE(b.intact);
  CHECK(b.first_bad_version == 2);
  CHECK(b.problem.find("cannot be read") != std::string::npos);
  auto chain_b = f.log->read_chain("u-b");
  REQUIRE(chain_b);
  REQUIRE(chain_b->events.size() == 3);
  CHECK(chain_b->events[1].damaged());
  CHECK_FALSE(chain_b->events[2].damaged());  // the events after it are still read
  auto c = verdict_of(f, "u-c");
  CHECK_FALSE(c.intact);
  CHECK(c.first_bad_version == 1);
  CHECK(c.problem.find("missing") != std::string::npos);
}

TEST_CASE("the whole-log audit (verify, backups) names each unreadable event and walks on past it",
          "[storage][damage][audit]") {
  test::log_fixture f;
  three_leads(f);
  test::corrupt_event(*f.log, "u-a", 2, test::unverifiable);  // position 2
  test::delete_raw_event(*f.log, "u-c", 3);                   // position 9: the newest event is missing
  f.close();
  f.open();
  const auto audit = storage::audit_log(*f.log);
  INFO([&] {
    std::string all;
    for (const auto& l : audit.reported) all += l + "\n";
    return all;
  }());
  CHECK(audit.walk_complete);  // damage does not stop the walk
  CHECK(audit.damaged == 2);
  CHECK(audit.events == 7);    // every other event was checked
  CHECK(audit.leads == 3);
  CHECK_FALSE(audit.ok());
  auto named = [&](const std::string& what) {
    for (const auto& l : audit.reported)
      if (l.find(what) != std::string::npos) return true;
    return false;
  };
  CHECK(named("position 2: lead u-a version 2 cannot be read"));
  CHECK(named("lead u-a: chain broken at version 2"));
  CHECK(named("position 9: lead u-c version 3 cannot be read"));
  CHECK_FALSE(named("lead u-b"));  // the sound lead: chain and head intact
}
