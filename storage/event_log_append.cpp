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

/// One append_batch: the WriteBatch it builds, and what its earlier requests
/// took (their leads' new heads, their event ids) so a later request of the
/// same batch sees them.
class batch_builder {
 public:
  batch_builder(const log_impl& d, millis now)
      : d_(d), now_(now), next_(d.last_position.load(std::memory_order_relaxed)) {}

  /// Checks `req` and, when the whole of it can go in, adds it to the batch;
  /// `res` says why not otherwise.
  void add(append_request& req, append_result& res) {
    if (!keys::is_storable_lead_id(req.lead_id)) {
      res.code = errc::validation;
      res.message = not_a_lead_id().message;
      return;
    }
    auto h = current_head(req, res);
    if (!h || !event_ids_free(req, res)) return;
    put(req, res, *h);
  }

  bool empty() const { return batch_.Count() == 0; }
  /// The batch, with the marker that keeps a memtable holding data
  /// (impl::memtables_hold_data).
  rocksdb::WriteBatch& finish() {
    batch_.Put(d_.cf(key_space::marker), marker_key, keys::be64(next_));
    return batch_;
  }
  /// The last position once the batch is written.
  global_position next() const { return next_; }
  /// The events as a read would return them; nullopt when one did not decode.
  std::vector<stored_event>* committed() { return cache_all_ ? &committed_ : nullptr; }

 private:
  /// 1. Check, without writing anything, that the whole request can go in:
  /// the lead's head (as this batch left it, or stored) is the expected one...
  std::optional<head> current_head(const append_request& req, append_result& res) {
    head h;
    if (auto pending = pending_heads_.find(req.lead_id); pending != pending_heads_.end()) {
      h = pending->second;
    } else {
      auto s = d_.db->Get(ro_, d_.cf(key_space::heads), req.lead_id, &value_);
      if (s.ok()) {
        auto decoded = decode_head(value_);
        if (!decoded) {
          res.code = errc::corrupt_data;
          res.message = "corrupt head";
          return std::nullopt;
        }
        h = *decoded;
      } else if (!s.IsNotFound()) {
        res.code = errc::storage_failure;
        res.message = s.ToString();
        return std::nullopt;
      }
    }
    if (h.version != req.expected_version) {
      res.code = errc::conflict;
      res.message = "expected version " + std::to_string(req.expected_version) + " but the lead is at version " +
                    std::to_string(h.version);
      return std::nullopt;
    }
    return h;
  }

  /// ...and no event id is taken, by the log or by this batch.
  bool event_ids_free(const append_request& req, append_result& res) {
    for (const event& ev : req.events) {
      bool taken = pending_ids_.count(ev.meta.event_id) > 0;
      if (!taken) {
        auto s = d_.db->Get(ro_, d_.cf(key_space::event_ids), ev.meta.event_id, &value_);
        if (!s.ok() && !s.IsNotFound()) {
          // Unreadable is not taken: the caller's id may well be free, and a
          // 409 would tell it to stop retrying what a 500 says to retry.
          res.code = errc::storage_failure;
          res.message = s.ToString();
          return false;
        }
        taken = s.ok();
      }
      if (taken) {
        res.code = errc::conflict;
        res.message = "event_id " + ev.meta.event_id + " is already used";
        return false;
      }
    }
    return true;
  }

  /// 2. Write: events, both indexes, the key (first append) and the new head.
  void put(append_request& req, append_result& res, head h) {
    if (req.new_key)
      batch_.Put(d_.cf(key_space::keys), req.lead_id,
                 rocksdb::Slice(reinterpret_cast<const char*>(req.key.data()), req.key.size()));
    for (event& ev : req.events) h = put_event(req, ev, h);
    batch_.Put(d_.cf(key_space::heads), req.lead_id, encode_head(h));
    if (req.update_work) {
      if (req.work_due) batch_.Put(d_.cf(key_space::work), req.lead_id, keys::be64(static_cast<uint64_t>(*req.work_due)));
      else batch_.Delete(d_.cf(key_space::work), req.lead_id);
    }
    pending_heads_[req.lead_id] = h;
    res.head_hash = h.hash;
    res.events = req.events;
  }

  /// One event: its place in the lead's chain and the log, its personal
  /// fields sealed, and its index entries. Answers the lead's new head.
  head put_event(const append_request& req, event& ev, const head& h) {
    ev.meta.lead_id = req.lead_id;
    ev.meta.version = h.version + 1;
    ev.meta.position = ++next_;
    ev.meta.recorded_at = now_;
    ev.meta.prev_hash = h.hash;
    personal_fields personal = personal_of(ev);
    std::string sealed = personal.empty() ? std::string{} : seal(req.key, encode_personal(personal));
    std::string bytes = encode_event(ev, sealed);
    std::string key = keys::event_key(req.lead_id, ev.meta.version);
    batch_.Put(d_.cf(key_space::events), key, bytes);
    batch_.Put(d_.cf(key_space::global), keys::position_key(ev.meta.position), key);
    batch_.Put(d_.cf(key_space::event_ids), ev.meta.event_id,
               encode_event_id_entry(ev.meta.position, ev.meta.version, req.lead_id));
    pending_ids_.insert(ev.meta.event_id);
    const head next{ev.meta.version, ev.meta.position, chain_hash(h.hash, bytes)};
    // Remember the event as a read would return it: decoded from the stored
    // bytes (the codec's normal form), personal fields restored.
    if (auto decoded = decode_event(bytes)) {
      stored_event se{std::move(decoded->ev), next.hash, {}};
      if (!personal.empty()) restore_personal(se.ev, personal);
      committed_.push_back(std::move(se));
    } else {
      cache_all_ = false;
    }
    return next;
  }

  const log_impl& d_;
  const millis now_;
  global_position next_;
  rocksdb::WriteBatch batch_;
  std::unordered_map<std::string, head> pending_heads_;  // leads written earlier in this batch
  std::unordered_set<std::string> pending_ids_;
  std::vector<stored_event> committed_;  // for impl::remember, once written
  bool cache_all_ = true;                // false: an event did not decode, remember none
  const rocksdb::ReadOptions ro_;
  std::string value_;
};

} // namespace

std::vector<append_result> event_log::append_batch(std::vector<append_request>& requests, millis now) {
  impl& d = *impl_;
  std::vector<append_result> results(requests.size());
  batch_builder builder(d, now);
  for (size_t i = 0; i < requests.size(); ++i) builder.add(requests[i], results[i]);
  if (builder.empty()) return results;
  auto s = d.db->Write(d.write_opts, &builder.finish());
  d.note_write(s);  // logs a failure once, not once per batch
  if (!s.ok()) {
    for (auto& res : results) {
      if (res.code != errc::success) continue;
      res.code = errc::storage_failure;
      res.message = s.ToString();
      res.events.clear();
    }
    return results;  // positions were not taken: the builder's are dropped
  }
  if (auto* committed = builder.committed()) d.remember(*committed);
  else d.forget();
  d.last_position.store(builder.next(), std::memory_order_release);
  if (d.commit_listener) d.commit_listener(builder.next());
  return results;
}

status event_log::put_snapshot(const std::string& lead_id, const std::string& bytes) {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  auto s = impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(key_space::snapshots), lead_id, bytes);
  if (!s.ok()) return storage_error(s, "put snapshot");
  return ok();
}

} // namespace leadbase::storage
