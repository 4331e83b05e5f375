#pragma once
// Two small pieces every reader of the RocksDB families needs: a RocksDB
// status as one of our errors, and the log's last position as the `global`
// family holds it (at a snapshot, or now).
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <memory>
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "storage/keys.hpp"

namespace leadbase::storage {

/// `what` failed with RocksDB status `s`: errc::storage_failure.
inline error storage_error(const rocksdb::Status& s, std::string_view what) {
  return error{errc::storage_failure, std::string(what) + ": " + s.ToString()};
}

/// The last key of the `global` family (position, big-endian), 0 for an
/// empty log; read at `snap` when given.
inline result<global_position> read_last_position(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* global,
                                                  const rocksdb::Snapshot* snap = nullptr) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, global));
  it->SeekToLast();
  global_position head = 0;
  if (it->Valid() && it->key().size() == 8) head = keys::read_be64(it->key().ToStringView());
  if (!it->status().ok()) return storage_error(it->status(), "read the last position");
  return head;
}

} // namespace leadbase::storage
