#pragma once
// The passkey to the log's RocksDB instance (event_log::raw_rocksdb). The log
// reads and writes its own families itself, and the projections' checkpoints
// and batches go through event_log's calls; only a store that needs RocksDB's
// own batch, snapshot, iterator, MultiGet or SST-ingest APIs on the families
// it owns gets the handle, and only the classes named here can make the key.
// Adding a friend is a design decision: say why beside it.

namespace leadbase {
class stats_projection;
namespace projections {
class view_store;
} // namespace projections
} // namespace leadbase

namespace leadbase::storage {

namespace testing {
struct raw_handle;
}

class raw_access {
  // User-provided, not `= default`: a class whose constructors are all
  // defaulted is an aggregate in C++17, and `raw_access{}` would then make a
  // key anywhere, private or not.
  raw_access() {}

  /// The views and index families (projections/view_store.cpp): the read
  /// side's store, with its snapshots, index walks, MultiGets, SST ingest and
  /// compactions.
  friend class projections::view_store;
  /// The stats family (projections/stats_projection.cpp): its reports read
  /// totals and time buckets at one snapshot, with iterators and a MultiGet.
  friend class leadbase::stats_projection;
  /// Tests that damage a record on purpose or look under the log, and the
  /// benchmarks' floors that time RocksDB alone (tests/support/raw_db.hpp).
  friend struct testing::raw_handle;
};

} // namespace leadbase::storage
