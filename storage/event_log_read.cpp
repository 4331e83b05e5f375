#include "storage/event_log_impl.hpp"

#include <rocksdb/slice.h>

#include <algorithm>
#include <unordered_map>

#include "events/codec.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/hash_chain.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {
namespace {

/// A damaged entry of a read with on_damage::mark (stored_event::damage).
stored_event damaged_entry(std::string_view lead_id, lead_version version, global_position position,
                           std::string why) {
  stored_event se;
  se.ev.meta.lead_id.assign(lead_id);
  se.ev.meta.version = version;
  se.ev.meta.position = position;
  se.damage = why.empty() ? std::string("damaged") : std::move(why);
  return se;
}

} // namespace

result<stored_event> event_log::impl::decode(std::string_view bytes, const std::optional<data_key>& key,
                                          event_log::hashes h) const {
  auto decoded = decode_event(bytes);
  if (!decoded) return decoded.err();
  stored_event out;
  out.ev = std::move(decoded->ev);
  if (h == event_log::hashes::compute) out.hash = chain_hash(out.ev.meta.prev_hash, bytes);
  if (!decoded->sealed.empty()) {
    if (!key) {
      out.ev.personal_erased = true;
    } else {
      auto plain = unseal(*key, decoded->sealed);
      if (!plain) return plain.err();
      auto personal = decode_personal(*plain);
      if (!personal) return personal.err();
      restore_personal(out.ev, *personal);
    }
  }
  return out;
}

result<std::optional<data_key>> event_log::impl::get_key(std::string_view lead_id) const {
  std::string v;
  auto s = db->Get(rocksdb::ReadOptions(), cf(key_space::keys), rocksdb::Slice(lead_id.data(), lead_id.size()), &v);
  if (s.IsNotFound()) return std::optional<data_key>{};
  if (!s.ok()) return storage_error(s, "read key");
  if (v.size() != 32) return error{errc::corrupt_data, "data key has the wrong size"};
  data_key k;
  std::copy(v.begin(), v.end(), reinterpret_cast<char*>(k.data()));
  return std::optional<data_key>{k};
}

void event_log::impl::remember(std::vector<stored_event>& committed) {
  std::lock_guard<std::mutex> lock(recent_mutex);
  for (auto& se : committed) {
    if (!recent.empty() && recent.back().ev.meta.position + 1 != se.ev.meta.position) recent.clear();
    recent.push_back(std::move(se));
  }
  while (recent.size() > recent_cap) recent.pop_front();
}

void event_log::impl::forget() {
  std::lock_guard<std::mutex> lock(recent_mutex);
  recent.clear();
}

std::optional<std::vector<stored_event>> event_log::impl::recall(global_position after, size_t limit) const {
  std::lock_guard<std::mutex> lock(recent_mutex);
  if (recent.empty()) return std::nullopt;
  const global_position first = recent.front().ev.meta.position;
  if (after + 1 < first || after >= recent.back().ev.meta.position) return std::nullopt;
  std::vector<stored_event> out;
  const size_t from = after + 1 - first;
  const size_t n = std::min(limit, recent.size() - from);
  out.reserve(n);
  for (size_t i = from; i < from + n; ++i) out.push_back(recent[i]);
  return out;
}

result<std::optional<head>> event_log::read_head(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::heads), lead_id, &v);
  if (s.IsNotFound()) return std::optional<head>{};
  if (!s.ok()) return storage_error(s, "read head");
  auto h = decode_head(v);
  if (!h) return error{errc::corrupt_data, "corrupt head"};
  return std::optional<head>{*h};
}

result<std::vector<stored_event>> event_log::read_stream(const std::string& lead_id, lead_version from,
                                                         lead_version to, size_t max_count, on_damage d) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::vector<stored_event> out;
  if (from == 0) from = 1;
  if (to < from || max_count == 0) return out;
  auto key = impl_->get_key(lead_id);
  if (!key) return key.err();
  std::string upper = to == UINT64_MAX ? keys::lead_upper_bound(lead_id) : keys::event_key(lead_id, to + 1);
  rocksdb::Slice upper_s(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(key_space::events)));
  for (it->Seek(keys::event_key(lead_id, from)); it->Valid() && out.size() < max_count; it->Next()) {
    auto e = impl_->decode(it->value().ToStringView(), *key);
    if (e) {
      out.push_back(std::move(*e));
      continue;
    }
    std::string_view id;
    lead_version version = 0;
    if (d == on_damage::fail || !keys::split_event_key(it->key().ToStringView(), id, version)) return e.err();
    out.push_back(damaged_entry(lead_id, version, 0, e.err().message));
  }
  if (!it->status().ok()) return storage_error(it->status(), "read stream");
  return out;
}

namespace {

/// One position of a global read: its event key from the global index, or
/// (on_damage::mark) why it cannot be read.
struct global_slot {
  global_position position = 0;
  std::string key;     // the event key from the global index; empty when damaged
  std::string damage;  // why the slot cannot be read
};

/// Walks the global index from position after+1: one slot per position, at
/// most `limit`. With `mark`, a missing position is a damaged slot and a key
/// that is not a position is skipped (its gap reports it); without, that key
/// fails the read.
result<std::vector<global_slot>> global_slots(const log_impl& d, global_position after, size_t limit, bool mark) {
  std::vector<global_slot> slots;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(rocksdb::ReadOptions(), d.cf(key_space::global)));
  global_position expected = after + 1;
  for (it->Seek(keys::position_key(after + 1)); it->Valid() && slots.size() < limit; it->Next()) {
    const auto k = it->key().ToStringView();
    if (k.size() != 8) {
      if (!mark) return error{errc::corrupt_data, "corrupt global index key"};
      continue;  // not a position: the gap it leaves is reported below
    }
    const global_position pos = keys::read_be64(k);
    // Positions are assigned without a gap; a missing one is damage.
    for (; mark && expected < pos && slots.size() < limit; ++expected)
      slots.push_back({expected, {}, "position " + std::to_string(expected) + " is missing from the global index"});
    if (slots.size() >= limit) break;
    slots.push_back({pos, it->value().ToString(), {}});
    expected = pos + 1;
  }
  if (!it->status().ok()) return storage_error(it->status(), "read global");
  return slots;
}

/// The stored events of the slots that have a key, read in one MultiGet.
struct slot_events {
  std::vector<size_t> slot_of;  // values[i] belongs to slots[slot_of[i]]
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<rocksdb::Status> statuses;

  slot_events(const log_impl& d, const std::vector<global_slot>& slots) {
    std::vector<rocksdb::Slice> slices;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!slots[i].damage.empty()) continue;
      slices.emplace_back(slots[i].key);
      slot_of.push_back(i);
    }
    values.resize(slices.size());
    statuses.resize(slices.size());
    if (!slices.empty())
      d.db->MultiGet(rocksdb::ReadOptions(), d.cf(key_space::events), slices.size(), slices.data(), values.data(),
                     statuses.data());
  }
};

/// The data keys of a read's leads, each read once.
using lead_key_cache = std::unordered_map<std::string, result<std::optional<data_key>>>;

/// Appends slot `sl`'s event to `out`: decoded and unsealed, or (mark) a
/// damaged entry saying why it cannot be. `st` and `value`: its MultiGet
/// answer, null when the slot had no key to read.
status read_slot(const log_impl& d, global_slot& sl, const rocksdb::Status* st, const rocksdb::PinnableSlice* value,
                 lead_key_cache& lead_keys, event_log::hashes h, bool mark, std::vector<stored_event>& out) {
  std::string_view lead_id;
  lead_version version = 0;
  if (sl.damage.empty() && !keys::split_event_key(sl.key, lead_id, version)) {
    if (!mark) return error{errc::corrupt_data, "corrupt global index entry"};
    sl.damage = "the global index entry of position " + std::to_string(sl.position) + " is not an event key";
  }
  if (sl.damage.empty() && st && !st->ok()) {
    // A missing event or a block that fails its checksum is this record's
    // damage; any other error (I/O) is the read's.
    if (!mark || !(st->IsNotFound() || st->IsCorruption())) return storage_error(*st, "read global event");
    sl.damage = st->IsNotFound() ? "the event is missing" : "cannot read the event: " + st->ToString();
  }
  if (sl.damage.empty()) {
    auto found = lead_keys.find(std::string(lead_id));
    if (found == lead_keys.end()) found = lead_keys.emplace(std::string(lead_id), d.get_key(lead_id)).first;
    if (!found->second) {
      if (!mark || found->second.err().code != errc::corrupt_data) return found->second.err();
      sl.damage = found->second.err().message;
    } else {
      auto e = d.decode(value->ToStringView(), *found->second, h);
      if (e) {
        out.push_back(std::move(*e));
        return ok();
      }
      if (!mark) return e.err();
      sl.damage = e.err().message;
    }
  }
  out.push_back(damaged_entry(lead_id, version, sl.position, std::move(sl.damage)));
  return ok();
}

} // namespace

result<std::vector<stored_event>> event_log::read_global(global_position after, size_t limit, hashes h,
                                                         on_damage d) const {
  std::vector<stored_event> out;
  if (limit == 0) return out;
  if (auto recent = impl_->recall(after, limit)) {
    if (h == hashes::skip)
      for (auto& se : *recent) se.hash = hash256{};
    return std::move(*recent);
  }
  const bool mark = d == on_damage::mark;
  auto slots = global_slots(*impl_, after, limit, mark);
  if (!slots) return slots.err();
  const slot_events fetched(*impl_, *slots);
  lead_key_cache lead_keys;
  out.reserve(slots->size());
  size_t next_value = 0;
  for (size_t i = 0; i < slots->size(); ++i) {
    const rocksdb::Status* st = nullptr;
    const rocksdb::PinnableSlice* value = nullptr;
    if (next_value < fetched.slot_of.size() && fetched.slot_of[next_value] == i) {
      st = &fetched.statuses[next_value];
      value = &fetched.values[next_value];
      ++next_value;
    }
    if (auto s = read_slot(*impl_, (*slots)[i], st, value, lead_keys, h, mark, out); !s) return s.err();
  }
  return out;
}

result<chain_read> event_log::read_chain(const std::string& lead_id, bool with_stored) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  // A frozen log (read-only, or a secondary beside a server) does not change
  // under the read, and a secondary's iterators refuse a snapshot.
  db_snapshot snap(impl_->db.get(), !impl_->frozen);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  chain_read out;
  {
    std::string v;
    auto s = impl_->db->Get(ro, impl_->cf(key_space::heads), lead_id, &v);
    if (s.ok()) {
      out.last = decode_head(v);
      if (!out.last) out.head_damage = "the head is not 48 bytes";
    } else if (s.IsCorruption()) {
      out.head_damage = "cannot read the head: " + s.ToString();
    } else if (!s.IsNotFound()) {
      return storage_error(s, "read head");
    }
  }
  std::optional<data_key> key;
  std::string key_damage;
  {
    std::string v;
    auto s = impl_->db->Get(ro, impl_->cf(key_space::keys), lead_id, &v);
    if (s.ok()) {
      auto k = parse_data_key(v);
      if (k) key = *k;
      else key_damage = k.err().message;
    } else if (s.IsCorruption()) {
      key_damage = "cannot read the data key: " + s.ToString();
    } else if (!s.IsNotFound()) {
      return storage_error(s, "read key");
    }
  }
  const std::string upper = keys::lead_upper_bound(lead_id);
  rocksdb::Slice upper_s(upper);
  ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(key_space::events)));
  for (it->Seek(keys::event_key(lead_id, 1)); it->Valid(); it->Next()) {
    std::string_view id;
    lead_version version = 0;
    if (!keys::split_event_key(it->key().ToStringView(), id, version) || id != lead_id) continue;
    if (with_stored) out.stored.emplace_back(it->value().data(), it->value().size());  // one per entry below
    if (!key_damage.empty()) {
      out.events.push_back(damaged_entry(lead_id, version, 0, key_damage));
      continue;
    }
    auto e = impl_->decode(it->value().ToStringView(), key);
    if (e && (e->ev.meta.lead_id != lead_id || e->ev.meta.version != version)) {
      // Sound bytes under the wrong key (a moved or copied record).
      out.events.push_back(damaged_entry(lead_id, version, e->ev.meta.position,
                                         "the stored event is " + e->ev.meta.lead_id + " version " +
                                             std::to_string(e->ev.meta.version)));
      continue;
    }
    if (e) out.events.push_back(std::move(*e));
    else out.events.push_back(damaged_entry(lead_id, version, 0, e.err().message));
  }
  if (!it->status().ok()) return storage_error(it->status(), "read chain");
  return out;
}

result<stored_event> event_log::decode_stored(std::string_view bytes, const std::optional<data_key>& key,
                                              hashes h) const {
  return impl_->decode(bytes, key, h);
}

result<data_key> event_log::parse_data_key(std::string_view value) {
  if (value.size() != 32) return error{errc::corrupt_data, "data key has the wrong size"};
  data_key k;
  std::copy(value.begin(), value.end(), reinterpret_cast<char*>(k.data()));
  return k;
}

result<std::optional<event_id_entry>> event_log::find_event_id(const std::string& event_id) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::event_ids), event_id, &v);
  if (s.IsNotFound()) return std::optional<event_id_entry>{};
  if (!s.ok()) return storage_error(s, "read event id");
  if (v.size() < 16) return error{errc::corrupt_data, "corrupt event id entry"};
  return std::optional<event_id_entry>{event_id_entry{v.substr(16), keys::read_be64(v, 8), keys::read_be64(v, 0)}};
}

result<std::optional<data_key>> event_log::read_key(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  return impl_->get_key(lead_id);
}

result<std::optional<std::string>> event_log::read_snapshot(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::snapshots), lead_id, &v);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return storage_error(s, "read snapshot");
  return std::optional<std::string>{std::move(v)};
}

result<std::vector<work_entry>> event_log::scan_work() const {
  std::vector<work_entry> out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(key_space::work)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() != 8) continue;
    out.push_back({it->key().ToString(), static_cast<millis>(keys::read_be64(it->value().ToStringView()))});
  }
  if (!it->status().ok()) return storage_error(it->status(), "scan work");
  return out;
}

} // namespace leadbase::storage
