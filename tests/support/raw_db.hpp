#pragma once
// The log's RocksDB instance, for tests that damage a record on purpose or
// look under the log, and for the benchmarks' floors that time RocksDB alone
// (storage/raw_access.hpp: production code has no such key).
#include <rocksdb/db.h>

#include "storage/event_log.hpp"

namespace leadbase::storage::testing {

struct raw_handle {
  static rocksdb::DB* of(const event_log& log) noexcept { return log.raw_rocksdb(raw_access()); }
};

} // namespace leadbase::storage::testing

namespace leadbase::test {

inline rocksdb::DB* raw_db(const storage::event_log& log) noexcept { return storage::testing::raw_handle::of(log); }

} // namespace leadbase::test
