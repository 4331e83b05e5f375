#pragma once
// A real event log in a temp dir, leads appended through append_batch, and a
// fresh fold of a lead's stream to compare projection rows with.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/lead_state.hpp"
#include "storage/event_log.hpp"
#include "storage/sealing.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadbase::test {

/// What one lead looks like; append_lead turns it into events.
struct lead_spec {
  std::string id;
  std::string name = "Ana Souza";
  std::string email = "ana@exemplo.com.br";
  std::string country = "BR";
  std::string instagram = "anasouza";
  std::string youtube;
  millis signed_up_at = 1764331200000;
  bool disqualify = false;
  std::optional<int64_t> followers;  // an `enriched` for instagram
  bool final_failure = false;         // a final `enrichment_failed` instead
  bool erase = false;
};

inline lead_spec spec(std::string id, std::string name = "Ana Souza", std::string email = "ana@exemplo.com.br",
                      std::string country = "BR", std::string instagram = "anasouza", std::string youtube = "") {
  lead_spec s;
  s.id = std::move(id);
  s.name = std::move(name);
  s.email = std::move(email);
  s.country = std::move(country);
  s.instagram = std::move(instagram);
  s.youtube = std::move(youtube);
  return s;
}

inline std::string tier_for(int64_t followers) {
  if (followers >= 1000000) return "mega";
  if (followers >= 500000) return "macro";
  if (followers >= 100000) return "mid";
  if (followers >= 10000) return "micro";
  if (followers >= 1000) return "nano";
  return "none";
}

/// Every key and value of one column family of `log`, in key order.
inline std::map<std::string, std::string> family_contents(const storage::event_log& log, storage::key_space family) {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(test::raw_db(log)->NewIterator(rocksdb::ReadOptions(), log.cf(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace(it->key().ToString(), it->value().ToString());
  REQUIRE(it->status().ok());
  return out;
}

class log_fixture {
 public:
  /// on: the RocksDB Env to open the log on (null: the default), e.g. a
  /// test::failing_disk's, which must then outlive the fixture's log.
  explicit log_fixture(std::shared_ptr<rocksdb::Env> on = nullptr) : env(std::move(on)) { open(); }

  void open() {
    storage::log_options o;
    o.dir = dir.str();
    o.sync = false;
    o.env = env;
    auto l = storage::event_log::open(o);
    REQUIRE(l);
    log = std::move(*l);
  }
  void close() { log.reset(); }

  /// Appends `payloads` to `lead` in one request; returns the last position.
  /// recorded_at: the commit time (default: one millisecond per event so far).
  global_position append(const std::string& lead, std::vector<payload> payloads, millis occurred_at = 1764331200000,
                         std::optional<millis> recorded_at = std::nullopt) {
    auto result = try_append(lead, std::move(payloads), occurred_at, recorded_at);
    INFO(result.error);
    REQUIRE(result.error.empty());
    return result.position;
  }

  /// What try_append did: the last position, or why it failed.
  struct appended {
    global_position position = 0;
    std::string error;  // empty on success
    errc code = errc::success;
  };

  /// append() without Catch assertions, for threads other than the test's own
  /// (Catch2 v2 is not thread-safe): the caller checks `error` on its thread.
  appended try_append(const std::string& lead, std::vector<payload> payloads, millis occurred_at = 1764331200000,
                      std::optional<millis> recorded_at = std::nullopt) {
    storage::append_request r;
    r.lead_id = lead;
    r.expected_version = versions[lead];
    auto key = keys.find(lead);
    r.new_key = key == keys.end();
    if (r.new_key) key = keys.emplace(lead, storage::make_data_key()).first;
    r.key = key->second;
    for (auto& p : payloads) {
      event e = make_event(lead, lead + "-e" + std::to_string(++event_counter), std::move(p));
      e.meta.occurred_at = occurred_at;
      r.events.push_back(std::move(e));
    }
    std::vector<storage::append_request> reqs;
    reqs.push_back(std::move(r));
    auto res = log->append_batch(reqs, recorded_at.value_or(1764331200000 + static_cast<millis>(event_counter)));
    if (res.size() != 1)
      return {0, "append_batch gave " + std::to_string(res.size()) + " results for 1 request", errc::internal};
    if (res[0].code != errc::success) return {0, "append of " + lead + " failed: " + res[0].message, res[0].code};
    versions[lead] = res[0].events.back().meta.version;
    return {res[0].events.back().meta.position, {}, errc::success};
  }

  global_position append_lead(const lead_spec& s) { return append(s.id, payloads_of(s), s.signed_up_at); }

  /// append_lead() without Catch assertions (see try_append).
  appended try_append_lead(const lead_spec& s) { return try_append(s.id, payloads_of(s), s.signed_up_at); }

  /// The events a lead_spec stands for: signup, qualification, then what it asks for.
  static std::vector<payload> payloads_of(const lead_spec& s) {
    signed_up su = sample_signup(!s.instagram.empty());
    su.name = s.name;
    su.email = s.email;
    su.country = s.country;
    su.social.instagram = s.instagram;
    su.social.youtube = s.youtube;
    su.social.tiktok.clear();
    std::vector<payload> ps{su, sample_qualified(s.disqualify ? outcome::disqualified : outcome::qualified)};
    if (s.followers) {
      enriched x = sample_enriched(*s.followers);
      x.handle = s.instagram;
      x.creator_tier = tier_for(*s.followers);
      ps.push_back(x);
    }
    if (s.final_failure) {
      enrichment_failed f = sample_failure(false, 6, "not_found");
      f.handle = s.instagram;
      ps.push_back(f);
    }
    if (s.erase) ps.push_back(erased{"lgpd request", "dpo"});
    return ps;
  }

  /// The lead's state folded fresh from its stream.
  lead_state fold_lead(const std::string& lead) {
    auto events = log->read_stream(lead);
    REQUIRE(events);
    lead_state s = initial(lead);
    for (const auto& e : *events) evolve(s, e.ev);
    return s;
  }

  std::vector<std::string> lead_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, v] : versions) out.push_back(id);
    return out;
  }

  temp_dir dir;
  std::shared_ptr<rocksdb::Env> env;  // the next open()'s
  std::unique_ptr<storage::event_log> log;
  std::map<std::string, lead_version> versions;
  std::map<std::string, storage::data_key> keys;
  int event_counter = 0;
};

} // namespace leadbase::test
