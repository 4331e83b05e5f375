#include "storage/event_log_impl.hpp"

#include <rocksdb/options.h>

#include "storage/disk_space.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {

status event_log::impl::room_for(uint64_t need, const char* what) const {
  auto free = free_bytes(dir);
  if (!free) return free.err();
  if (*free >= need) return ok();
  return error{errc::overloaded,
               "not enough free disk space: " + mib(*free) + " free, " + mib(need) + " needed " + what};
}

status event_log::room_for_erase() const {
  const impl& d = *impl_;
  // What the flush writes: the data in every memtable (not their arenas,
  // which the memory properties count), over all keys of each family.
  uint64_t memtables = 0, keys_files = 0;
  const std::string first, last(64, '\xff');
  rocksdb::Range all(first, last);
  rocksdb::SizeApproximationOptions in_memtables;
  in_memtables.include_memtables = true;
  in_memtables.include_files = false;
  for (auto* family : d.cfs) {
    uint64_t size = 0;
    if (d.db->GetApproximateSizes(in_memtables, family, &all, 1, &size).ok()) memtables += size;
  }
  d.db->GetIntProperty(d.cf(key_space::keys), rocksdb::DB::Properties::kTotalSstFilesSize, &keys_files);
  return d.room_for(memtables + keys_files + d.min_free_bytes, "to erase (every memtable flushed, the keys compacted, storage.min_free_disk_mb left)");
}

status event_log::destroy_key(const std::string& lead_id) {
  if (auto s = delete_key(lead_id); !s) return s;
  return purge_deleted_key(lead_id);
}

status event_log::delete_key(const std::string& lead_id) {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  impl& d = *impl_;
  // A flush or compaction that fills the disk would leave the key on it and
  // the log refusing writes; refuse first, changing nothing.
  if (auto room = room_for_erase(); !room) return room;
  d.forget();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = d.db->Delete(wo, d.cf(key_space::keys), lead_id);
  if (!s.ok()) return storage_error(s, "delete key");
  return ok();
}

status event_log::purge_deleted_key(const std::string& lead_id) {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  impl& d = *impl_;
  // Flush every family so no WAL file still holds the key, then compact the
  // key's range so no table file does either. Appends may run meanwhile:
  // they go to the new memtables and WAL, which never held the key.
  if (auto flushed = flush_all(); !flushed) return flushed;
  std::string begin = lead_id, end = keys::lead_upper_bound(lead_id);
  rocksdb::Slice b(begin), e(end);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  auto s = d.db->CompactRange(co, d.cf(key_space::keys), &b, &e);
  if (!s.ok()) return storage_error(s, "compact keys");
  return ok();
}

} // namespace leadbase::storage
