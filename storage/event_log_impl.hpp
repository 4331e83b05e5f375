#pragma once
// Private to storage/: the state the event log's files share, and the few
// encodings more than one of them needs. event_log.hpp is the public face;
// the work is split by purpose:
//   event_log_open.cpp    opening RocksDB with its families and options
//   event_log_append.cpp  the batch append (checks, sealing, hash chain)
//   event_log_read.cpp    stream, global and chain reads with damage handling
//   event_log_erase.cpp   destroying a data key and the room it needs
//   event_log_health.cpp  write failures and their background recovery
//   event_log.cpp         the small accessors and the stores' calls
#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/event_log.hpp"

namespace spdlog {
class logger;
}

namespace leadbase::storage {

/// The `storage` module's logger.
std::shared_ptr<spdlog::logger> storage_log();

/// A key of the otherwise unused `default` family, written with every batch
/// (and at open and after each probe and flush-all): see impl::memtables_hold_data.
inline constexpr const char* marker_key = "last_write";

/// A head as the `heads` family stores it: [version:be64][position:be64][hash:32].
std::string encode_head(const head& h);
std::optional<head> decode_head(std::string_view v);

/// What every read and write answers for a lead id the key encoding cannot
/// hold apart from other leads' (storage/keys.hpp).
error not_a_lead_id();

struct event_log::impl {
  std::shared_ptr<rocksdb::Env> env;  // the one given: declared first, so it outlives the database
  std::shared_ptr<rocksdb::Env> resilient_env;  // `env` (or the default) behind storage/resilient_fs
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  bool frozen = false;  // read-only or secondary (log_options)
  rocksdb::WriteOptions write_opts;
  std::string dir;
  uint64_t min_free_bytes = 0;
  std::atomic<global_position> last_position{0};
  std::function<void(global_position)> commit_listener;  // set before writes; called on the writer's thread

  // -- write failures and their recovery (event_log_health.cpp) -----------------
  mutable std::mutex failure_mutex;
  std::condition_variable recovery_cv;  // wakes the recovery thread: a failure began, or stop
  write_health health;                  // guarded by failure_mutex
  std::atomic<bool> failing{false};     // health.failure is set; read without the lock on every write
  bool stopping = false;                // guarded by failure_mutex
  std::thread recovery;                 // runs recover_writes() from open() until ~impl

  /// Records how a write went: the first failure and the first success after
  /// failures are logged, the failures in between only counted.
  void note_write(const rocksdb::Status& s);
  /// Ends the current failure, if any.
  void recovered(const char* how);
  /// The recovery thread: while writes fail, DB::Resume() with back-off, then
  /// a synced probe write; the failure ends when both succeed. Resume answers
  /// Busy while RocksDB resumes on its own, and OK at once when nothing is
  /// left to resume.
  void recover_writes();
  /// Whether any memtable holds data. DB::Resume() flushes the memtables that
  /// do, and only that switches RocksDB to a new WAL.
  bool memtables_hold_data() const;
  /// A synced write of the marker, so that a memtable holds data.
  rocksdb::Status write_marker();
  void stop_recovery();

  /// Free space on the data directory's file system, with `need` bytes
  /// needed for `what`: overloaded, saying both, when there is less.
  status room_for(uint64_t need, const char* what) const;

  // The newest committed events, decoded and unsealed, at consecutive
  // positions: the projection runner and the stats follower read what was just
  // committed, and serving it from here saves the global index walk, the
  // MultiGet, the key lookups and the unsealing. Emptied when a data key is
  // destroyed, so no read returns personal data the log can no longer unseal.
  // (event_log_read.cpp)
  static constexpr size_t recent_cap = 8192;
  mutable std::mutex recent_mutex;
  std::deque<stored_event> recent;

  void remember(std::vector<stored_event>& committed);
  void forget();
  /// Events after `after` from memory, when memory holds position after+1.
  std::optional<std::vector<stored_event>> recall(global_position after, size_t limit) const;

  ~impl();

  rocksdb::ColumnFamilyHandle* cf(key_space k) const { return cfs[static_cast<size_t>(k)]; }

  /// Decodes one stored event and unseals its personal fields with `key`
  /// (nullopt key = destroyed: the event is marked personal_erased).
  result<stored_event> decode(std::string_view bytes, const std::optional<data_key>& key,
                              event_log::hashes h = event_log::hashes::compute) const;
  result<std::optional<data_key>> get_key(std::string_view lead_id) const;
};

/// The log's state, for storage/'s own files (event_log's friend).
struct log_internals {
  using impl = event_log::impl;
  static impl& of(const event_log& log) noexcept { return *log.impl_; }
};
using log_impl = log_internals::impl;

} // namespace leadbase::storage
