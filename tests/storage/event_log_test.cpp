// The event log, tested like a journal: after Akka persistence's JournalSpec
// (replay bounds, highest version after reopen) and EventStoreDB's
// idempotency rules at the storage level (event ids taken, atomic requests).
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "events/json.hpp"
#include "events/lead_state.hpp"
#include "events/snapshot.hpp"
#include "projections/runner.hpp"
#include "storage/event_log.hpp"
#include "storage/hash_chain.hpp"
#include "tests/support/files.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using namespace leadbase::storage;
using leadbase::test::make_event;

namespace {

std::unique_ptr<event_log> open_log(const std::string& dir) {
  log_options o;
  o.dir = dir;
  auto log = event_log::open(o);
  REQUIRE(log);
  return std::move(*log);
}

append_request request(const std::string& lead, lead_version expected, std::vector<event> events,
                       const data_key& key, bool new_key) {
  append_request r;
  r.lead_id = lead;
  r.expected_version = expected;
  r.key = key;
  r.new_key = new_key;
  r.events = std::move(events);
  return r;
}

/// Writes `n` events for `lead` (a signup, then enrichment failures), one request each.
void write_events(event_log& log, const std::string& lead, int n, const data_key& key) {
  for (int i = 1; i <= n; ++i) {
    payload p = i == 1 ? payload{test::sample_signup()} : payload{test::sample_failure(true, i)};
    std::vector<append_request> reqs{
        request(lead, i - 1, {make_event(lead, lead + "-e" + std::to_string(i), p)}, key, i == 1)};
    auto res = log.append_batch(reqs, 1000 + i);
    REQUIRE(res.size() == 1);
    REQUIRE(res[0].code == errc::success);
  }
}

} // namespace

TEST_CASE("replay a lead's events with lower and upper bounds and counts", "[journal]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  auto key = make_data_key();
  write_events(*log, "u-1", 5, key);
  write_events(*log, "u-10", 2, make_data_key());  // shares a prefix with u-1

  auto all = log->read_stream("u-1");
  REQUIRE(all);
  REQUIRE(all->size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK((*all)[i].ev.meta.version == i + 1);

  auto range = log->read_stream("u-1", 2, 4);
  REQUIRE(range);
  REQUIRE(range->size() == 3);
  CHECK(range->front().ev.meta.version == 2);
  CHECK(range->back().ev.meta.version == 4);

  auto counted = log->read_stream("u-1", 2, UINT64_MAX, 2);
  REQUIRE(counted->size() == 2);
  CHECK(counted->back().ev.meta.version == 3);

  CHECK(log->read_stream("u-1", 6)->empty());      // from past the end
  CHECK(log->read_stream("u-1", 4, 3)->empty());   // from > to
  CHECK(log->read_stream("u-1", 1, 5, 0)->empty()); // count 0
  CHECK(log->read_stream("nobody")->empty());
  CHECK(log->read_stream("u-10")->size() == 2);
}

TEST_CASE("highest version and last position survive a reopen", "[journal]") {
  test::temp_dir dir;
  {
    auto log = open_log(dir.str());
    write_events(*log, "u-1", 3, make_data_key());
    write_events(*log, "u-2", 2, make_data_key());
    CHECK(log->last_position() == 5);
  }
  auto log = open_log(dir.str());
  CHECK(log->last_position() == 5);
  auto h = log->read_head("u-1");
  REQUIRE(h);
  REQUIRE(*h);
  CHECK((*h)->version == 3);
  CHECK((*h)->position == 3);
  CHECK_FALSE(*log->read_head("nobody"));
  // Positions continue without a gap.
  auto key = *log->read_key("u-1");
  REQUIRE(key);
  std::vector<append_request> reqs{
      request("u-1", 3, {make_event("u-1", "next", test::sample_failure(false))}, *key, false)};
  auto res = log->append_batch(reqs, 9999);
  REQUIRE(res[0].code == errc::success);
  CHECK(res[0].events[0].meta.position == 6);
  CHECK(res[0].events[0].meta.version == 4);
  CHECK(res[0].events[0].meta.recorded_at == 9999);
}

TEST_CASE("the global log has no gaps and keeps commit order", "[journal]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  std::vector<append_request> reqs;
  for (int i = 0; i < 20; ++i) {
    std::string lead = "lead-" + std::to_string(i);
    reqs.push_back(request(lead, 0, {make_event(lead, "s-" + std::to_string(i), test::sample_signup())},
                           make_data_key(), true));
  }
  auto res = log->append_batch(reqs, 1);
  for (size_t i = 0; i < res.size(); ++i) {
    REQUIRE(res[i].code == errc::success);
    CHECK(res[i].events[0].meta.position == i + 1);
  }
  auto global = log->read_global(0, 100);
  REQUIRE(global);
  REQUIRE(global->size() == 20);
  for (size_t i = 0; i < 20; ++i) {
    CHECK((*global)[i].ev.meta.position == i + 1);
    CHECK((*global)[i].ev.meta.lead_id == "lead-" + std::to_string(i));
    CHECK(std::get<signed_up>((*global)[i].ev.data).email == "ana@exemplo.com.br");
  }
  auto tail = log->read_global(15, 3);
  REQUIRE(tail->size() == 3);
  CHECK(tail->front().ev.meta.position == 16);
  CHECK(log->read_global(20, 10)->empty());
}

TEST_CASE("a stale expected version fails alone; the rest of the batch is written", "[journal]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  write_events(*log, "u-1", 1, make_data_key());
  auto key = **log->read_key("u-1");
  std::vector<append_request> reqs{
      request("u-1", 0, {make_event("u-1", "x1", test::sample_failure(false))}, key, false),  // stale
      request("u-2", 0, {make_event("u-2", "x2", test::sample_signup())}, make_data_key(), true),
  };
  auto res = log->append_batch(reqs, 5);
  CHECK(res[0].code == errc::conflict);
  CHECK(res[1].code == errc::success);
  CHECK(res[1].events[0].meta.position == 2);  // the failed request took no position
  CHECK(log->last_position() == 2);
  CHECK(log->read_stream("u-1")->size() == 1);
}

TEST_CASE("event ids: taken ids conflict and requests are all-or-nothing", "[journal][idempotency]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  auto key = make_data_key();
  std::vector<append_request> first{request(
      "u-1", 0,
      {make_event("u-1", "a", test::sample_signup()), make_event("u-1", "b", test::sample_failure(true)),
       make_event("u-1", "c", test::sample_failure(true))},
      key, true)};
  REQUIRE(log->append_batch(first, 1)[0].code == errc::success);
  CHECK(log->read_stream("u-1")->size() == 3);

  SECTION("the same batch re-sent") {
    std::vector<append_request> again{request(
        "u-1", 3,
        {make_event("u-1", "a", test::sample_signup()), make_event("u-1", "b", test::sample_failure(true)),
         make_event("u-1", "c", test::sample_failure(true))},
        key, false)};
    CHECK(log->append_batch(again, 2)[0].code == errc::conflict);
  }
  SECTION("the batch re-sent with one new event: conflict, nothing written") {
    std::vector<append_request> again{request(
        "u-1", 3,
        {make_event("u-1", "a", test::sample_signup()), make_event("u-1", "b", test::sample_failure(true)),
         make_event("u-1", "c", test::sample_failure(true)), make_event("u-1", "d", test::sample_failure(true))},
        key, false)};
    CHECK(log->append_batch(again, 2)[0].code == errc::conflict);
    CHECK_FALSE(*log->find_event_id("d"));
  }
  SECTION("an id taken by another lead") {
    std::vector<append_request> other{
        request("u-2", 0, {make_event("u-2", "a", test::sample_signup())}, make_data_key(), true)};
    CHECK(log->append_batch(other, 2)[0].code == errc::conflict);
    CHECK_FALSE(*log->read_head("u-2"));
  }
  SECTION("two requests in one batch with the same id: the second fails") {
    std::vector<append_request> two{
        request("u-3", 0, {make_event("u-3", "z", test::sample_signup())}, make_data_key(), true),
        request("u-4", 0, {make_event("u-4", "z", test::sample_signup())}, make_data_key(), true)};
    auto res = log->append_batch(two, 2);
    CHECK(res[0].code == errc::success);
    CHECK(res[1].code == errc::conflict);
  }
  CHECK(log->read_stream("u-1")->size() == 3);
  CHECK(log->last_position() >= 3);
  auto found = log->find_event_id("b");
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->lead_id == "u-1");
  CHECK((*found)->version == 2);
  CHECK((*found)->position == 2);
}

TEST_CASE("the hash chain links every event and survives a reopen", "[journal][hash_chain]") {
  test::temp_dir dir;
  {
    auto log = open_log(dir.str());
    write_events(*log, "u-1", 6, make_data_key());
  }
  auto log = open_log(dir.str());
  auto events = log->read_stream("u-1");
  REQUIRE(events);
  CHECK(chain_intact(*events));
  CHECK(events->front().ev.meta.prev_hash == hash256{});
  auto head = **log->read_head("u-1");
  CHECK(head.hash == events->back().hash);
  // Reading a middle range gives the same hashes as reading everything.
  auto middle = log->read_stream("u-1", 3, 4);
  CHECK((*middle)[0].hash == (*events)[2].hash);
}

TEST_CASE("personal data is sealed on disk; destroying the key erases it and keeps the chain", "[journal][sealing]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  auto key = make_data_key();
  auto signup = test::sample_signup();
  signup.email = "unique-needle-4711@exemplo.com.br";
  std::vector<append_request> reqs{request("u-1", 0, {make_event("u-1", "s1", signup)}, key, true)};
  REQUIRE(log->append_batch(reqs, 1)[0].code == errc::success);
  write_events(*log, "u-2", 1, make_data_key());
  // In the WAL and after a flush: never in plaintext.
  CHECK_FALSE(test::any_file_contains(dir.path(), "unique-needle-4711"));
  REQUIRE(std::get<signed_up>((*log->read_stream("u-1"))[0].ev.data).email == signup.email);

  REQUIRE(log->destroy_key("u-1"));
  CHECK_FALSE(*log->read_key("u-1"));
  auto after = log->read_stream("u-1");
  REQUIRE(after);
  REQUIRE(after->size() == 1);
  CHECK((*after)[0].ev.personal_erased);
  CHECK(std::get<signed_up>((*after)[0].ev.data).email.empty());
  CHECK(std::get<signed_up>((*after)[0].ev.data).country == "BR");
  CHECK(chain_intact(*after));
  // Other leads are untouched.
  CHECK_FALSE((*log->read_stream("u-2"))[0].ev.personal_erased);
}

TEST_CASE("snapshots are stored per lead", "[journal]") {
  test::temp_dir dir;
  auto log = open_log(dir.str());
  CHECK_FALSE(*log->read_snapshot("u-1"));
  REQUIRE(log->put_snapshot("u-1", "bytes"));
  CHECK(**log->read_snapshot("u-1") == "bytes");
}

namespace {

/// Every event of the log after `after`, rendered as the feed renders it
/// (metadata, data with personal fields, chain hash).
std::string feed_of(const event_log& log, global_position after, size_t limit) {
  auto events = log.read_global(after, limit);
  REQUIRE(events);
  return feed_json(*events, after);
}

} // namespace

TEST_CASE("recent commits read from memory equal what the disk holds", "[journal]") {
  test::temp_dir dir;
  std::vector<std::string> from_memory;
  auto reads = [](const event_log& log) {
    // The feed rendering, and the folded states (which see fields the feed does not show).
    std::map<std::string, lead_state> states;
    auto all = log.read_global(0, 1000);
    REQUIRE(all);
    for (const auto& se : *all) {
      auto it = states.try_emplace(se.ev.meta.lead_id, initial(se.ev.meta.lead_id)).first;
      evolve(it->second, se.ev);
    }
    std::string folded;
    for (const auto& [id, st] : states) folded += encode_snapshot(st);
    return std::vector<std::string>{feed_of(log, 0, 1000), feed_of(log, 7, 5), feed_of(log, log.last_position() - 1, 10),
                                    folded};
  };
  {
    auto log = open_log(dir.str());
    // Several leads, every event type, several events per request and per batch.
    for (int i = 0; i < 6; ++i) {
      const std::string lead = "m-" + std::to_string(i), other = "n-" + std::to_string(i);
      std::vector<append_request> reqs{
          request(lead, 0,
                  {make_event(lead, lead + "-s", test::sample_signup(i % 2 == 0)),
                   make_event(lead, lead + "-q", test::sample_qualified())},
                  make_data_key(), true),
          request(other, 0, {make_event(other, other + "-s", test::sample_signup())}, make_data_key(), true)};
      auto res = log->append_batch(reqs, 100 + i);
      REQUIRE(res[0].code == errc::success);
      REQUIRE(res[1].code == errc::success);
      auto key = **log->read_key(lead);
      std::vector<append_request> more{request(lead, 2,
                                               {make_event(lead, lead + "-f", test::sample_failure(true)),
                                                make_event(lead, lead + "-e", test::sample_enriched(1000 * i))},
                                               key, false)};
      REQUIRE(log->append_batch(more, 200 + i)[0].code == errc::success);
    }
    // An erasure whose key is not destroyed yet: the fold then sees what the
    // signup had only through the stored presence flags.
    auto key5 = **log->read_key("m-5");
    std::vector<append_request> erase5{
        request("m-5", 4, {make_event("m-5", "m-5-x", erased{"gdpr", "dpo"})}, key5, false)};
    REQUIRE(log->append_batch(erase5, 250)[0].code == errc::success);
    from_memory = reads(*log);
    auto skipped = log->read_global(3, 4, event_log::hashes::skip);
    REQUIRE(skipped);
    REQUIRE(skipped->size() == 4);
    for (const auto& se : *skipped) CHECK(se.hash == hash256{});
  }
  {
    auto log = open_log(dir.str());  // a new process: nothing in memory, every read from disk
    CHECK(reads(*log) == from_memory);
    CHECK(from_memory[0].find("ana@exemplo.com.br") != std::string::npos);
    // An erasure empties the memory, so no read returns data the log cannot unseal any more.
    auto key = **log->read_key("m-0");
    std::vector<append_request> erase{
        request("m-0", 4, {make_event("m-0", "m-0-x", erased{"gdpr", "dpo"})}, key, false)};
    REQUIRE(log->append_batch(erase, 300)[0].code == errc::success);
    REQUIRE(log->destroy_key("m-0"));
    from_memory = reads(*log);
  }
  auto log = open_log(dir.str());
  CHECK(reads(*log) == from_memory);
}

TEST_CASE("WAL files stay within their budget although some families are written little", "[journal]") {
  test::temp_dir dir;
  log_options o;
  o.dir = dir.str();
  o.sync = false;
  o.wal_budget_mb = 1;
  o.memtable_budget_mb = 2;  // memtables switch (and WAL files with them) every 2 MB
  auto opened = event_log::open(o);
  REQUIRE(opened);
  auto& log = **opened;
  // ~8 MB of events, with a small write to a rarely flushed family (meta, as
  // the projection checkpoints do) after each batch.
  const std::string filler(2000, 'x');
  for (int b = 0; b < 40; ++b) {
    std::vector<append_request> reqs;
    for (int i = 0; i < 100; ++i) {
      const std::string lead = "w-" + std::to_string(b) + "-" + std::to_string(i);
      signed_up s = test::sample_signup();
      s.name = filler;
      reqs.push_back(request(lead, 0, {make_event(lead, lead + "-s", s)}, make_data_key(), true));
    }
    for (const auto& r : log.append_batch(reqs, 1000 + b)) REQUIRE(r.code == errc::success);
    REQUIRE(test::raw_db(log)->Put(rocksdb::WriteOptions(), log.cf(key_space::meta),
                                      projections::checkpoint_key("test"), std::to_string(b)).ok());
  }
  // The flushes it triggers run in the background: give them a few seconds.
  auto wal_bytes = [&] {
    uintmax_t n = 0;
    for (auto& f : std::filesystem::directory_iterator(dir.path()))
      if (f.path().extension() == ".log") n += f.file_size();
    return n;
  };
  for (int i = 0; i < 100 && wal_bytes() >= (uintmax_t{5} << 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(wal_bytes() < (uintmax_t{5} << 20));  // about 10 MB without the budget
}
