#pragma once
// Temporary (issue 11 §2): the read side's view code (lead_views, bulk_rebuild,
// bulk_fold, verify) reaches the log's RocksDB instance through here until that
// code moves to projections/view_store, the one place of the read side that
// touches RocksDB; then this header goes, with its friend in storage/raw_access.hpp.
#include "storage/event_log.hpp"

namespace leadbase::projections {

struct views_raw_access {
  static rocksdb::DB* db(const storage::event_log& log) noexcept { return log.raw_rocksdb(storage::raw_access()); }
};

} // namespace leadbase::projections
