// The bulk rebuild of lead_views (projections/bulk_rebuild.hpp): exactly the
// rows, index keys and checkpoint the page-by-page runner leaves, whatever the
// histories, threads and sort budget; no stale key survives it; an empty log;
// a runner started on the result has nothing to apply and carries on; a
// failure leaves the old projection as it was.
#include "projections/bulk_rebuild.hpp"

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/fold_pass.hpp"
#include "events/lead_state.hpp"
#include "events/snapshot.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "storage/keys.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"

using namespace leadbase;
using namespace leadbase::projections;

namespace {

signed_up signup_of(int i) {
  signed_up su = test::sample_signup(true);
  su.name = "Lead " + std::to_string(i) + (i % 3 ? " Souza" : "");
  su.email = "lead" + std::to_string(i) + "@example.com";
  su.social.instagram = "ig" + std::to_string(i);
  su.social.youtube = i % 4 == 0 ? "yt" + std::to_string(i) : "";
  su.social.tiktok = i % 6 == 0 ? "tt" + std::to_string(i) : "";
  su.country = i % 5 == 0 ? "US" : "BR";
  return su;
}

enriched enrichment_of(int i, network net, int64_t followers) {
  enriched x = test::sample_enriched(followers, 1764331300000 + i);
  x.network = net;
  x.handle = (net == network::youtube ? "yt" : "ig") + std::to_string(i);
  x.provider = net == network::youtube ? "youtube_data" : "instagram_graph";
  x.creator_tier = test::tier_for(followers);
  return x;
}

/// `n` leads with every kind of history, in interleaved rounds (one request per
/// lead per round) so that the global order is not the key order. Ids "v-1",
/// "v-10", "v-100" are prefixes of one another: their event keys interleave
/// with the data keys' order only if the merge join is wrong.
void write_histories(test::log_fixture& f, int n) {
  auto id = [](int i) { return "v-" + std::to_string(i); };
  for (int i = 0; i < n; ++i) f.append(id(i), {signup_of(i)}, 1764331200000 + i * 1000);
  for (int i = 0; i < n; ++i) {
    switch (i % 9) {
      case 0: break;  // signed up only
      case 4: f.append(id(i), {test::sample_qualified(outcome::disqualified)}); break;
      case 6: {
        // Disqualified by the rules, then overridden by a person.
        qualified person = test::sample_qualified(outcome::qualified);
        person.decided_by = "sdr-joana";
        f.append(id(i), {test::sample_qualified(outcome::disqualified), person});
        break;
      }
      default: f.append(id(i), {test::sample_qualified()}); break;
    }
  }
  for (int i = 0; i < n; ++i) {
    const int64_t followers = 500 + static_cast<int64_t>(i) * 7919 % 3000000;
    switch (i % 9) {
      case 2: f.append(id(i), {enrichment_of(i, network::instagram, followers)}); break;
      case 3: {
        enrichment_failed fail = test::sample_failure(false, 6, "not_found");
        fail.handle = "ig" + std::to_string(i);
        f.append(id(i), {fail});
        break;
      }
      case 5: f.append(id(i), {enrichment_of(i, network::instagram, followers)}); break;
      case 7: {
        enrichment_failed retry = test::sample_failure(true, 1);
        retry.handle = "ig" + std::to_string(i);
        f.append(id(i), {retry});
        f.append(id(i), {enrichment_of(i, network::instagram, followers)});
        break;
      }
      case 8: {
        f.append(id(i), {enrichment_of(i, network::youtube, followers / 3 + 1)});
        f.append(id(i), {enrichment_of(i, network::instagram, followers)});
        break;
      }
      default: break;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (i % 9 == 5 || i % 9 == 8) {
      f.append(id(i), {erased{"data subject request", "dpo"}});
      // As the service does: the key goes, the sealed fields read "[erased]".
      // One in three keeps its key, as after a crash between the two steps.
      if (i % 27 != 8) REQUIRE(f.log->destroy_key(id(i)));
    }
  }
  // A refresh for some, so a few leads have events late in the log.
  for (int i = 2; i < n; i += 18) f.append(id(i), {enrichment_of(i, network::instagram, 123456 + i)});
}

/// Every key and value of the views and index families, and the runner's meta keys.
struct projection_dump {
  std::map<std::string, std::string> rows;
  std::optional<std::string> checkpoint, fingerprint;
  bool operator==(const projection_dump& o) const {
    return rows == o.rows && checkpoint == o.checkpoint && fingerprint == o.fingerprint;
  }
};

projection_dump dump(storage::event_log& log) {
  projection_dump out;
  for (storage::key_space space : {storage::key_space::views, storage::key_space::index})
    for (auto& [k, v] : test::family_contents(log, space))
      out.rows.emplace(std::string(storage::family_name(space)) + ":" + k, std::move(v));
  for (auto [key, slot] : {std::pair{checkpoint_key("lead_views"), &out.checkpoint},
                           std::pair{fingerprint_key("lead_views"), &out.fingerprint}}) {
    std::string v;
    auto s = test::raw_db(log)->Get(rocksdb::ReadOptions(), log.cf(storage::key_space::meta), key, &v);
    REQUIRE((s.ok() || s.IsNotFound()));
    if (s.ok()) *slot = v;
  }
  return out;
}

/// What the page-by-page runner leaves after rebuild_offline().
projection_dump page_by_page(storage::event_log& log, lead_views& views) {
  runner_options o;
  o.page_size = 7;
  auto r = projection_runner::open(log, views, o);
  REQUIRE(r);
  REQUIRE((*r)->rebuild_offline());
  CHECK((*r)->position() == log.last_position());
  return dump(log);
}

/// The keys of the lead_views damage records.
std::vector<std::string> damage_keys(storage::event_log& log) {
  std::vector<std::string> out;
  const std::string lo = damaged_prefix("lead_views"), hi = damaged_end("lead_views");
  std::unique_ptr<rocksdb::Iterator> it(test::raw_db(log)->NewIterator(rocksdb::ReadOptions(), log.cf(storage::key_space::meta)));
  for (it->Seek(lo); it->Valid() && it->key().ToString() < hi; it->Next()) out.push_back(it->key().ToString());
  REQUIRE(it->status().ok());
  return out;
}

void flush_all(storage::event_log& log) {
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  for (storage::key_space space : {storage::key_space::events, storage::key_space::global, storage::key_space::keys,
                                   storage::key_space::meta, storage::key_space::views, storage::key_space::index})
    cfs.push_back(log.cf(space));
  REQUIRE(test::raw_db(log)->Flush(rocksdb::FlushOptions(), cfs).ok());
}

} // namespace

TEST_CASE("a bulk rebuild writes exactly the rows, index keys and checkpoint of the page-by-page runner",
          "[projections][bulk]") {
  test::log_fixture f;
  write_histories(f, 180);
  flush_all(*f.log);                             // most of the log in table files (the scan splits by their sizes) …
  f.append_lead(test::spec("v-late-1"));         // … and some still in the memtable
  f.append_lead(test::spec("v-late-10", "Zé Ninguém", "ze@exemplo.com.br", "PT", "zeh"));
  lead_views views(*f.log, {});
  const auto expected = page_by_page(*f.log, views);
  REQUIRE(expected.rows.size() > 1000);
  REQUIRE(expected.checkpoint == storage::keys::be64(f.log->last_position()));

  SECTION("through the runner, as `leadbase rebuild` does") {
    auto r = projection_runner::open(*f.log, views, with_bulk_rebuild(*f.log, views));
    REQUIRE(r);
    std::vector<std::pair<global_position, global_position>> progress;
    REQUIRE((*r)->rebuild_offline([&](global_position p, global_position h) { progress.emplace_back(p, h); }));
    CHECK((*r)->position() == f.log->last_position());
    CHECK(dump(*f.log) == expected);
    REQUIRE(progress.size() >= 2);
    CHECK(progress.front() == std::pair{global_position{0}, f.log->last_position()});
    CHECK(progress.back() == std::pair{f.log->last_position(), f.log->last_position()});
    for (size_t i = 1; i < progress.size(); ++i) CHECK(progress[i].first > progress[i - 1].first);
  }

  SECTION("with one to three threads, and a sort budget that spills sorted runs") {
    for (unsigned threads : {1u, 2u, 3u}) {
      for (size_t budget : {size_t{768} << 20, size_t{64} << 10}) {
        INFO(threads << " threads, sort budget " << budget);
        bulk_rebuild_options o;
        o.threads = threads;
        o.sort_budget_bytes = budget;
        o.target_file_bytes = 16 << 10;  // several files per family
        auto stats = bulk_rebuild(*f.log, views, o);
        REQUIRE(stats);
        CHECK(stats->position == f.log->last_position());
        CHECK(stats->events == f.log->last_position());
        CHECK(stats->leads == f.lead_ids().size());
        if (threads > 1) CHECK(stats->scan_ranges > 1);
        if (budget < (1 << 20)) CHECK(stats->runs > 0);
        CHECK(stats->index_files > 1);
        CHECK(dump(*f.log) == expected);
      }
    }
  }
}

TEST_CASE("the benchmark's fold_pass folds every lead of the log once, on any number of threads, and writes nothing",
          "[projections][bulk]") {
  test::log_fixture f;
  write_histories(f, 120);
  flush_all(*f.log);
  f.append_lead(test::spec("v-late-1"));  // some still in the memtable
  uint64_t versions = 0;
  for (const auto& id : f.lead_ids()) versions += f.fold_lead(id).version;
  const auto before = test::family_contents(*f.log, storage::key_space::views).size() + test::family_contents(*f.log, storage::key_space::index).size();
  for (unsigned threads : {1u, 2u, 3u}) {
    INFO(threads << " threads");
    auto stats = fold_reference::fold_pass(*f.log, threads);
    REQUIRE(stats);
    CHECK(stats->leads == f.lead_ids().size());
    CHECK(stats->events == f.log->last_position());
    CHECK(stats->versions == versions);
    if (threads > 1) CHECK(stats->ranges > 1);
  }
  CHECK(test::family_contents(*f.log, storage::key_space::views).size() + test::family_contents(*f.log, storage::key_space::index).size() == before);
}

TEST_CASE("no stale key of an earlier projection survives a bulk rebuild", "[projections][bulk]") {
  test::log_fixture f;
  write_histories(f, 60);
  lead_views views(*f.log, {});
  const auto expected = page_by_page(*f.log, views);

  // Rows and index keys of leads that are not in the log, and stale values of
  // real leads, at the bottom level, in a younger table file and in the
  // memtable (every place a DeleteRange tombstone and an ingested file meet).
  auto* db = test::raw_db(*f.log);
  auto* views_cf = f.log->cf(storage::key_space::views);
  auto* index_cf = f.log->cf(storage::key_space::index);
  auto put_ghost = [&](const std::string& id) {
    lead_state s = initial(id);
    evolve(s, test::make_event(id, id + "-1", signup_of(7), 1));
    evolve(s, test::make_event(id, id + "-2", test::sample_qualified(), 2));
    const auto rows = views.rows_of(s);
    REQUIRE_FALSE(rows.index.empty());
    rocksdb::WriteBatch b;
    REQUIRE(b.Put(views_cf, rows.row_key, rows.row_value).ok());
    for (const auto& [k, v] : rows.index) REQUIRE(b.Put(index_cf, k, v).ok());
    REQUIRE(b.Put(views_cf, view_keys::row_key("v-3"), "stale row").ok());
    REQUIRE(db->Write(rocksdb::WriteOptions(), &b).ok());
  };
  put_ghost("ghost-bottom");
  flush_all(*f.log);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  REQUIRE(db->CompactRange(co, views_cf, nullptr, nullptr).ok());
  REQUIRE(db->CompactRange(co, index_cf, nullptr, nullptr).ok());
  put_ghost("ghost-l0");
  flush_all(*f.log);
  put_ghost("ghost-memtable");
  REQUIRE_FALSE(dump(*f.log) == expected);

  bulk_rebuild_options o;
  o.target_file_bytes = 16 << 10;
  REQUIRE(bulk_rebuild(*f.log, views, o));
  CHECK(dump(*f.log) == expected);
  // And after a restart and a full compaction (tombstones and ingested files merged).
  f.close();
  f.open();
  CHECK(dump(*f.log) == expected);
  REQUIRE(test::raw_db(*f.log)->CompactRange(co, f.log->cf(storage::key_space::views), nullptr, nullptr).ok());
  REQUIRE(test::raw_db(*f.log)->CompactRange(co, f.log->cf(storage::key_space::index), nullptr, nullptr).ok());
  CHECK(dump(*f.log) == expected);

  // A second bulk rebuild over the first one's files changes nothing.
  lead_views again(*f.log, {});
  REQUIRE(bulk_rebuild(*f.log, again, o));
  CHECK(dump(*f.log) == expected);
}

TEST_CASE("a bulk rebuild of an empty log leaves what the runner leaves", "[projections][bulk]") {
  test::log_fixture f;
  lead_views views(*f.log, {});
  const auto expected = page_by_page(*f.log, views);
  CHECK(expected.rows.empty());
  CHECK_FALSE(expected.checkpoint);
  CHECK(expected.fingerprint == views.fingerprint());

  std::vector<std::pair<global_position, global_position>> progress;
  auto stats = bulk_rebuild(*f.log, views, {}, [&](global_position p, global_position h) { progress.emplace_back(p, h); });
  REQUIRE(stats);
  CHECK(stats->position == 0);
  CHECK(stats->leads == 0);
  CHECK(dump(*f.log) == expected);
  CHECK(progress == std::vector<std::pair<global_position, global_position>>{{0, 0}});
}

TEST_CASE("a runner started on a bulk-rebuilt projection has nothing to apply and carries on",
          "[projections][bulk]") {
  test::log_fixture f;
  write_histories(f, 50);
  {
    lead_views views(*f.log, {});
    auto r = projection_runner::open(*f.log, views, with_bulk_rebuild(*f.log, views));
    REQUIRE(r);
    REQUIRE((*r)->rebuild_offline());
  }
  const global_position head = f.log->last_position();

  // `serve` on the rebuilt dir: the same settings, so no rebuild; the checkpoint is the head.
  f.close();
  f.open();
  lead_views views(*f.log, {});
  auto r = projection_runner::open(*f.log, views, {});
  REQUIRE(r);
  CHECK((*r)->position() == head);
  auto n = (*r)->step();
  REQUIRE(n);
  CHECK(*n == 0);
  REQUIRE((*r)->start());
  CHECK((*r)->info().state == runner_state::running);

  // New events: a new lead, an enrichment, an erasure.
  f.append_lead(test::spec("v-new-1", "Nova Pessoa", "nova@exemplo.com.br"));
  f.append("v-1", {enrichment_of(1, network::instagram, 250000)});
  f.append("v-2", {erased{"data subject request", "dpo"}});
  REQUIRE(f.log->destroy_key("v-2"));
  (*r)->notify();
  REQUIRE((*r)->wait_for(f.log->last_position()));
  (*r)->stop();
  const auto carried_on = dump(*f.log);

  for (const auto& id : f.lead_ids()) {
    INFO("lead " << id);
    auto row = views.get(id);
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(encode_snapshot(**row) == encode_snapshot(f.fold_lead(id)));
  }
  CHECK(page_by_page(*f.log, views) == carried_on);
}

TEST_CASE("a bulk rebuild that fails leaves the old projection as it was", "[projections][bulk]") {
  test::log_fixture f;
  write_histories(f, 20);
  lead_views views(*f.log, {});
  const auto before = page_by_page(*f.log, views);

  // An event in the events family that the global index does not know: the
  // whole-log scan cannot place it, so the build fails.
  const global_position head = f.log->last_position();
  REQUIRE(test::raw_db(*f.log)
              ->Put(rocksdb::WriteOptions(), f.log->cf(storage::key_space::events), storage::keys::event_key("v-zz", 1),
                    "not an envelope")
              .ok());

  const runner_options bulk = with_bulk_rebuild(*f.log, views);
  auto r = projection_runner::open(*f.log, views, bulk);
  REQUIRE(r);
  CHECK((*r)->position() == head);
  const std::atomic<bool> never{false};
  auto reached = bulk.rebuild_beside({}, never);  // the bulk rebuild itself
  REQUIRE_FALSE(reached);
  CHECK(reached.err().code == errc::corrupt_data);
  CHECK(dump(*f.log) == before);

  // The runner's offline rebuild then replays page by page (which never
  // meets the orphan) and ends where the log does.
  REQUIRE((*r)->rebuild_offline());
  CHECK((*r)->position() == head);
  CHECK(dump(*f.log) == before);
}

TEST_CASE("a bulk rebuild skips a damaged event and records it with the new projection, as the page replay does",
          "[projections][bulk][damage]") {
  test::log_fixture f;
  write_histories(f, 20);

  // An event that does not decode, with its global index entry (as if the
  // bytes had rotted on disk), and a stale damage record of an older build.
  const global_position bad = f.log->last_position() + 1;
  const std::string key = storage::keys::event_key("v-zz", 1);
  rocksdb::WriteBatch b;
  REQUIRE(b.Put(f.log->cf(storage::key_space::events), key, "not an envelope").ok());
  REQUIRE(b.Put(f.log->cf(storage::key_space::global), storage::keys::position_key(bad), key).ok());
  REQUIRE(test::raw_db(*f.log)->Write(rocksdb::WriteOptions(), &b).ok());
  f.close();  // the log reads its last position again
  f.open();
  lead_views views(*f.log, {});
  const auto replayed = page_by_page(*f.log, views);
  const auto replayed_damage = damage_keys(*f.log);
  REQUIRE(replayed_damage.size() == 1);
  REQUIRE(test::raw_db(*f.log)
              ->Put(rocksdb::WriteOptions(), f.log->cf(storage::key_space::meta), damaged_key("lead_views", 3),
                    encode_damage({3, "v-00", 2, "stale"}))
              .ok());

  auto r = projection_runner::open(*f.log, views, with_bulk_rebuild(*f.log, views));
  REQUIRE(r);
  CHECK((*r)->info().damaged_events == 2);
  const std::atomic<bool> never{false};
  auto reached = with_bulk_rebuild(*f.log, views).rebuild_beside({}, never);  // the bulk rebuild itself
  REQUIRE(reached);
  CHECK(reached->position == bad);
  CHECK(dump(*f.log) == replayed);
  CHECK(damage_keys(*f.log) == replayed_damage);  // the stale record went with the old projection
  REQUIRE((*r)->rebuild_offline());  // through the runner: the same, and it reloads the records
  CHECK((*r)->position() == bad);
  CHECK(dump(*f.log) == replayed);
  CHECK(damage_keys(*f.log) == replayed_damage);
  const auto info = (*r)->info();
  CHECK(info.damaged_events == 1);
  REQUIRE(info.damaged.size() == 1);
  CHECK(info.damaged[0].position == bad);
  CHECK(info.damaged[0].lead_id == "v-zz");
  CHECK(info.damaged[0].version == 1);
  CHECK_FALSE(info.damaged[0].reason.empty());
}
