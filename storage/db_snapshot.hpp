#pragma once
// A RocksDB snapshot, released when the reader is done, whichever way: the
// one guard for every consistent multi-key read (queue pages, verify, scans).
#include <rocksdb/db.h>

namespace leadbase::storage {

class db_snapshot {
 public:
  explicit db_snapshot(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {}
  ~db_snapshot() { db_->ReleaseSnapshot(snap_); }
  db_snapshot(const db_snapshot&) = delete;
  db_snapshot& operator=(const db_snapshot&) = delete;
  const rocksdb::Snapshot* get() const noexcept { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

} // namespace leadbase::storage
