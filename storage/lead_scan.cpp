#include "storage/lead_scan.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <memory>
#include <optional>

#include "storage/event_log_impl.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {
namespace {

} // namespace

log_snapshot::log_snapshot(const event_log& log)
    : snap_(log_internals::of(log).db.get()),
      last_(read_last_position(log_internals::of(log).db.get(), log.cf(key_space::global), snap_.get())) {}

status scan_leads(const event_log& log, const log_snapshot& snapshot, const lead_scan_range& range,
                  const std::function<status(std::string_view lead_id, stored_event& e)>& on_event,
                  const std::function<status(std::string_view lead_id)>& on_lead_end,
                  const std::function<bool()>& stop, const scan_damage_handler& on_damaged) {
  rocksdb::DB* db = log_internals::of(log).db.get();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  ro.fill_cache = false;
  const rocksdb::Slice lo(range.lo), hi(range.hi);
  if (!range.lo.empty()) ro.iterate_lower_bound = &lo;
  if (!range.hi.empty()) ro.iterate_upper_bound = &hi;
  std::unique_ptr<rocksdb::Iterator> ev(db->NewIterator(ro, log.cf(key_space::events)));
  std::unique_ptr<rocksdb::Iterator> keys(db->NewIterator(ro, log.cf(key_space::keys)));

  std::string lead;
  bool have_lead = false;
  std::optional<data_key> key;
  std::optional<error> key_damage;  // the lead's data key is unreadable (only with on_damaged)
  uint32_t since_poll = 0;
  keys->SeekToFirst();
  for (ev->SeekToFirst(); ev->Valid(); ev->Next()) {
    std::string_view id;
    lead_version version = 0;
    if (!keys::split_event_key(ev->key().ToStringView(), id, version))
      return error{errc::corrupt_data, "a key of the events family is not an event key"};
    if (!have_lead || id != lead) {
      if (have_lead && on_lead_end) {
        if (auto s = on_lead_end(lead); !s) return s;
      }
      lead.assign(id);
      have_lead = true;
      // Merge join: both families are ordered by lead id (an event key is the
      // id then 0x00, and ids hold no 0x00), so the key iterator only moves
      // forward. A lead without a key was erased.
      while (keys->Valid() && keys->key().ToStringView() < id) keys->Next();
      if (!keys->status().ok()) return storage_error(keys->status(), "scan data keys");
      key.reset();
      key_damage.reset();
      if (keys->Valid() && keys->key().ToStringView() == id) {
        auto k = event_log::parse_data_key(keys->value().ToStringView());
        if (!k && !on_damaged) return k.err();
        if (k) key = *k;
        else key_damage = k.err();
      }
    }
    if (key_damage) {
      if (auto s = on_damaged(lead, version, *key_damage); !s) return s;
      continue;
    }
    auto decoded = log.decode_stored(ev->value().ToStringView(), key);
    if (!decoded && on_damaged) {
      if (auto s = on_damaged(lead, version, decoded.err()); !s) return s;
      continue;
    }
    if (!decoded)
      return error{decoded.err().code,
                   "event " + std::to_string(version) + " of lead " + lead + ": " + decoded.err().message};
    if (auto s = on_event(lead, *decoded); !s) return s;
    if (++since_poll == 4096) {
      since_poll = 0;
      if (stop && stop()) return error{errc::internal, "stopped"};
    }
  }
  if (!ev->status().ok()) return storage_error(ev->status(), "scan events");
  if (have_lead && on_lead_end) {
    if (auto s = on_lead_end(lead); !s) return s;
  }
  return ok();
}

} // namespace leadbase::storage
