#pragma once
// A RocksDB snapshot, released when the reader is done, whichever way: the
// one guard for every consistent multi-key read (queue pages, verify, scans).
#include <rocksdb/db.h>

namespace leadbase::storage {

class db_snapshot {
 public:
  /// take = false: no snapshot (get() is null), for a log that cannot change
  /// under its reader (event_log::frozen(): read-only or secondary, whose
  /// iterators refuse a snapshot).
  explicit db_snapshot(rocksdb::DB* db, bool take = true) : db_(db), snap_(take ? db->GetSnapshot() : nullptr) {}
  ~db_snapshot() {
    if (snap_) db_->ReleaseSnapshot(snap_);
  }
  db_snapshot(const db_snapshot&) = delete;
  db_snapshot& operator=(const db_snapshot&) = delete;
  const rocksdb::Snapshot* get() const noexcept { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

} // namespace leadbase::storage
