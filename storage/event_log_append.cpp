#include "storage/event_log_impl.hpp"

#include <rocksdb/write_batch.h>

#include <unordered_map>
#include <unordered_set>

#include "events/codec.hpp"
#include "storage/hash_chain.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {
namespace {

std::string encode_event_id_entry(global_position pos, lead_version version, std::string_view lead_id) {
  std::string v = keys::be64(pos);
  keys::put_be64(v, version);
  v.append(lead_id);
  return v;
}

} // namespace

std::vector<append_result> event_log::append_batch(std::vector<append_request>& requests, millis now) {
  impl& d = *impl_;
  std::vector<append_result> results(requests.size());
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, head> pending_heads;  // leads written earlier in this batch
  std::unordered_set<std::string> pending_ids;
  std::vector<stored_event> committed;  // for impl::remember, once written
  bool cache_all = true;                // false: an event did not decode, remember none
  global_position next = d.last_position.load(std::memory_order_relaxed);
  const rocksdb::ReadOptions ro;
  std::string value;

  for (size_t i = 0; i < requests.size(); ++i) {
    append_request& req = requests[i];
    append_result& res = results[i];
    if (!keys::is_storable_lead_id(req.lead_id)) {
      res.code = errc::validation;
      res.message = not_a_lead_id().message;
      continue;
    }
    // 1. Check, without writing anything, that the whole request can go in.
    head h;
    if (auto pending = pending_heads.find(req.lead_id); pending != pending_heads.end()) {
      h = pending->second;
    } else {
      auto s = d.db->Get(ro, d.cf(key_space::heads), req.lead_id, &value);
      if (s.ok()) {
        auto decoded = decode_head(value);
        if (!decoded) {
          res.code = errc::corrupt_data;
          res.message = "corrupt head";
          continue;
        }
        h = *decoded;
      } else if (!s.IsNotFound()) {
        res.code = errc::storage_failure;
        res.message = s.ToString();
        continue;
      }
    }
    if (h.version != req.expected_version) {
      res.code = errc::conflict;
      res.message = "expected version " + std::to_string(req.expected_version) + " but the lead is at version " +
                    std::to_string(h.version);
      continue;
    }
    bool refused = false;
    for (const event& ev : req.events) {
      bool taken = pending_ids.count(ev.meta.event_id) > 0;
      if (!taken) {
        auto s = d.db->Get(ro, d.cf(key_space::event_ids), ev.meta.event_id, &value);
        if (!s.ok() && !s.IsNotFound()) {
          // Unreadable is not taken: the caller's id may well be free, and a
          // 409 would tell it to stop retrying what a 500 says to retry.
          res.code = errc::storage_failure;
          res.message = s.ToString();
          refused = true;
          break;
        }
        taken = s.ok();
      }
      if (taken) {
        res.code = errc::conflict;
        res.message = "event_id " + ev.meta.event_id + " is already used";
        refused = true;
        break;
      }
    }
    if (refused) continue;

    // 2. Write: events, both indexes, the key (first append) and the new head.
    if (req.new_key)
      batch.Put(d.cf(key_space::keys), req.lead_id,
                rocksdb::Slice(reinterpret_cast<const char*>(req.key.data()), req.key.size()));
    for (event& ev : req.events) {
      ev.meta.lead_id = req.lead_id;
      ev.meta.version = h.version + 1;
      ev.meta.position = ++next;
      ev.meta.recorded_at = now;
      ev.meta.prev_hash = h.hash;
      personal_fields personal = personal_of(ev);
      std::string sealed = personal.empty() ? std::string{} : seal(req.key, encode_personal(personal));
      std::string bytes = encode_event(ev, sealed);
      std::string key = keys::event_key(req.lead_id, ev.meta.version);
      batch.Put(d.cf(key_space::events), key, bytes);
      batch.Put(d.cf(key_space::global), keys::position_key(ev.meta.position), key);
      batch.Put(d.cf(key_space::event_ids), ev.meta.event_id,
                encode_event_id_entry(ev.meta.position, ev.meta.version, req.lead_id));
      pending_ids.insert(ev.meta.event_id);
      h = head{ev.meta.version, ev.meta.position, chain_hash(h.hash, bytes)};
      // Remember the event as a read would return it: decoded from the stored
      // bytes (the codec's normal form), personal fields restored.
      if (auto decoded = decode_event(bytes)) {
        stored_event se{std::move(decoded->ev), h.hash, {}};
        if (!personal.empty()) restore_personal(se.ev, personal);
        committed.push_back(std::move(se));
      } else {
        cache_all = false;
      }
    }
    batch.Put(d.cf(key_space::heads), req.lead_id, encode_head(h));
    if (req.update_work) {
      if (req.work_due) batch.Put(d.cf(key_space::work), req.lead_id, keys::be64(static_cast<uint64_t>(*req.work_due)));
      else batch.Delete(d.cf(key_space::work), req.lead_id);
    }
    pending_heads[req.lead_id] = h;
    res.head_hash = h.hash;
    res.events = req.events;
  }

  if (batch.Count() == 0) return results;
  // Every write leaves data in a memtable (impl::memtables_hold_data).
  batch.Put(d.cf(key_space::marker), marker_key, keys::be64(next));
  auto s = d.db->Write(d.write_opts, &batch);
  d.note_write(s);  // logs a failure once, not once per batch
  if (!s.ok()) {
    for (auto& res : results) {
      if (res.code != errc::success) continue;
      res.code = errc::storage_failure;
      res.message = s.ToString();
      res.events.clear();
    }
    return results;  // positions were not taken: `next` is dropped
  }
  if (cache_all) d.remember(committed);
  else d.forget();
  d.last_position.store(next, std::memory_order_release);
  if (d.commit_listener) d.commit_listener(next);
  return results;
}

status event_log::put_snapshot(const std::string& lead_id, const std::string& bytes) {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  auto s = impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(key_space::snapshots), lead_id, bytes);
  if (!s.ok()) return storage_error(s, "put snapshot");
  return ok();
}

} // namespace leadbase::storage
