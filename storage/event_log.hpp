#pragma once
// The durable lead event log on RocksDB.
//
// Operation: column families
//   default   "last_write" -> a marker written with every batch (event_log.cpp:
//                             a memtable must hold data for a resume to be safe)
//   events    [lead_id][0x00][version:be64]  -> Envelope bytes (lead_events.fbs)
//   global    [position:be64]                -> [lead_id][0x00][version:be64]
//   event_ids [event_id]                     -> [position:be64][version:be64][lead_id]
//   heads     [lead_id]                      -> [version:be64][position:be64][hash:32]
//   keys      [lead_id]                      -> the lead's 32-byte data key
//   snapshots [lead_id]                      -> a folded lead state (snapshots.hpp)
//   meta      [name]                         -> projection checkpoints and such
//   work      [lead_id]                      -> [due:be64] when the lead owes work (qualify,
//                                               enrich, retry, refresh); written with its events
//   views     projections' rows (projections/)
//   index     projections' secondary indexes (projections/)
// Events, both indexes and the head are written in one WriteBatch, so a crash
// leaves all of them or none.
//
// Concurrency: one writer (the journal) calls append_batch; any thread may read.
//   The commit listener (set_commit_listener) is set before the first write and
//   then called on the writer's thread, after each successful append_batch
//   write, with the new last position; it must be quick and must not append.
//
// Lead ids: every call that takes one refuses (errc::validation, nothing
//   read or written) an id that fails keys::is_storable_lead_id, whose key
//   range could overlap another lead's.
//
// Failure: a write that fails answers every append of its batch with
//   storage_failure (nothing of it is acknowledged or readable) and sets
//   write_failure() until the log can write again. RocksDB then refuses
//   writes until it is resumed: a background thread calls DB::Resume() with
//   back-off (100 ms doubling to 5 s; RocksDB may also resume on its own),
//   which flushes the memtables and starts a new WAL, and once a probe write
//   succeeds the failure is over (write_health() keeps when and after how many
//   failed writes). In one case it cannot resume in place: when no memtable
//   holds data (RocksDB would keep the WAL that failed); it then keeps
//   refusing writes and write_health says a restart is needed. Every batch
//   also writes a marker to the `default` family so that case stays rare.
//   The change of state is logged once each way, with the
//   count, not once per failed write. Every I/O error counts as transient for
//   this (storage/resilient_fs.hpp); corruption does not.
//
// Full disk: open() refuses when the file system has less than
//   min_free_bytes (plus the WAL to recover) free, and destroy_key() when it
//   cannot hold the flush and compaction an erasure needs (room_for_erase());
//   both say how much is free and needed. RocksDB's info log goes to spdlog
//   (storage/rocksdb_logger.hpp): its LOG file is what aborted the process on
//   a full disk.
//
// Limitations: positions are per node (docs/design.md, "Planned").
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "storage/key_space.hpp"
#include "storage/raw_access.hpp"
#include "storage/sealing.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class WriteBatch;
} // namespace rocksdb

namespace leadbase::storage {

// data_key: storage/sealing.hpp

struct log_options {
  std::string dir = "./data";
  bool sync = true;  // acknowledged = fdatasync'd
  size_t block_cache_mb = 64;
  size_t memtable_budget_mb = 128;  // all column families' memtables together
  size_t wal_budget_mb = 128;       // WAL files together; past it the oldest is flushed away
  /// Table files RocksDB keeps open (its table cache); the process's
  /// descriptor budget counts them (app/fd_budget.hpp). Past it the least
  /// recently used table file is closed and reopened when read again.
  int max_open_files = 512;
  /// open() refuses with less free space than this (plus the WAL it would
  /// recover) on the data directory's file system; 0: no check.
  uint64_t min_free_bytes = uint64_t{256} << 20;
  /// The RocksDB Env to run on; null = the default. Tests pass one whose
  /// files fail on demand (a full or broken disk); it must outlive the log.
  std::shared_ptr<rocksdb::Env> env;
  /// Open without writing anything (RocksDB's read-only mode): for a backup
  /// being verified. Appends then fail; the dir must hold a log.
  bool read_only = false;
  /// When set: open as a RocksDB *secondary* instance of the log at `dir`,
  /// which a server may be writing (its LOCK is not taken); this directory
  /// holds the secondary's own info log. The view is consistent as of the
  /// open (RocksDB replays the primary's WAL up to a consistent point) and does
  /// not move afterwards. Read-only, like read_only. For `leadbase replay` and
  /// `verify` beside a running server.
  std::string secondary_dir;
};

/// True when a process holds the RocksDB lock of the data dir `dir` (a server
/// uses it). False when it has no LOCK file or nobody holds it.
bool data_dir_in_use(const std::string& dir);

/// The last event of a lead.
struct head {
  lead_version version = 0;
  global_position position = 0;
  hash256 hash{};
};

/// One lead's events to append, all or none.
struct append_request {
  std::string lead_id;
  lead_version expected_version = 0;  // the head's version now (0 = new lead)
  data_key key{};                     // seals the personal fields
  bool new_key = false;               // persist `key` with this append (the lead's first)
  std::vector<event> events;          // versions expected_version+1 ...; positions, recorded_at
                                      // and prev_hash are assigned by append_batch
  bool update_work = false;           // write the lead's `work` entry with these events:
  std::optional<millis> work_due;     //   set to work_due, or removed when it is empty
};

/// A lead that owes work (the `work` family).
struct work_entry {
  std::string lead_id;
  millis due = 0;
};

struct append_result {
  errc code = errc::success;
  std::string message;
  std::vector<event> events;  // as stored: version, position, recorded_at, prev_hash filled in
  hash256 head_hash{};
};

/// A stored event, decoded and unsealed, with its chain link.
struct stored_event {
  event ev;
  hash256 hash{};  // SHA-256(prev_hash || stored bytes), recomputed on read
  /// Why the event cannot be read (corrupt bytes, failed FlatBuffers
  /// verification or unsealing, a missing event or index entry); empty for a
  /// sound event. Only reads with on_damage::mark return such entries; ev.meta
  /// then holds only what the keys tell: lead_id, version, position (0 where
  /// unknown), and hash is zero.
  std::string damage;
  bool damaged() const noexcept { return !damage.empty(); }
};

/// What a read does with an event it cannot read. fail: the whole read fails
/// (the writer's rehydration must never fold a partial history). mark: the
/// event is returned as a damaged entry (stored_event::damage) and the read
/// goes on, so one bad record cannot hide every other one (feed, projections,
/// history). An I/O error that is not about one record still fails the read.
enum class on_damage : uint8_t { fail, mark };

/// One lead's whole chain and its head, read from one snapshot (a concurrent
/// append cannot make them disagree), for an integrity check
/// (storage/chain_check.hpp).
struct chain_read;

struct chain_read {
  std::vector<stored_event> events;  ///< in version order; damaged ones marked
  std::optional<head> last;          ///< the lead's head; nullopt when there is none
  std::string head_damage;           ///< why the head cannot be read; empty when it can
  /// With read_chain(…, with_stored): events[i]'s bytes exactly as the log
  /// stores them (what its chain hash covers: personal fields sealed), damaged
  /// ones included; empty otherwise.
  std::vector<std::string> stored;
};

/// How the log's writes have gone (write_health()); times in ms since the epoch.
struct write_health {
  std::optional<std::string> failure;  // why writes fail, while they do (RocksDB's text: internal)
  millis failing_since = 0;            // while failing: the first failed write
  uint64_t failed_writes = 0;          // while failing: writes failed since then
  bool restart_needed = false;         // while failing: it cannot be resumed in place (rare: see event_log.cpp)
  uint64_t failed_writes_total = 0;    // since open
  uint64_t recoveries = 0;             // failures that ended without a restart
  /// The last failure that ended: when, after how many failed writes, and why it began.
  std::optional<millis> recovered_at;
  uint64_t recovered_after_failed_writes = 0;
  std::string recovered_from;
};

struct event_id_entry {
  std::string lead_id;
  lead_version version = 0;
  global_position position = 0;
};

class event_log {
 public:
  static result<std::unique_ptr<event_log>> open(const log_options& opts);
  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  // -- writes (one writer) ------------------------------------------------------

  /// Group commit: every request in one WriteBatch, one (synced) write. A
  /// request whose expected version is stale or whose event ids are taken fails
  /// alone; the others are written. Positions are assigned in request order.
  std::vector<append_result> append_batch(std::vector<append_request>& requests, millis now);

  /// Destroys the lead's data key, so its sealed personal fields can never be
  /// read again, then flushes and compacts the key range so no file keeps it:
  /// delete_key() then purge_deleted_key().
  status destroy_key(const std::string& lead_id);
  /// The first half of destroy_key, on the writer's thread, in order with
  /// the appends: the synced delete. Refused first, changing nothing, when
  /// room_for_erase() says no.
  status delete_key(const std::string& lead_id);
  /// The second half, on any thread while appends go on: flushes every family
  /// and compacts the deleted key's range so no file keeps it.
  status purge_deleted_key(const std::string& lead_id);

  /// Whether the disk can hold an erasure's flush and compaction: every
  /// memtable written out, the `keys` family rewritten, and min_free_bytes
  /// left over. errc::overloaded, with what is free and needed, when not.
  status room_for_erase() const;

  /// Called after each successful append_batch write with the new last
  /// position (e.g. to wake the projections instead of waiting for their poll).
  /// Not thread-safe: set it before writes begin (or while no append_batch
  /// runs); it is then called on the writer's thread, so it must be quick, must
  /// not throw and must not call append_batch. An empty function removes it.
  void set_commit_listener(std::function<void(global_position)> listener);

  /// Stores a state snapshot blob for a lead (snapshots.hpp encodes it).
  status put_snapshot(const std::string& lead_id, const std::string& bytes);

  // -- reads (any thread) ------------------------------------------------------

  result<std::optional<head>> read_head(const std::string& lead_id) const;
  /// Events of one lead with from <= version <= to, at most max_count, oldest first.
  /// With on_damage::mark an event that cannot be decoded is a damaged entry.
  result<std::vector<stored_event>> read_stream(const std::string& lead_id, lead_version from = 1,
                                                lead_version to = UINT64_MAX, size_t max_count = SIZE_MAX,
                                                on_damage d = on_damage::fail) const;
  /// Whether a read recomputes each event's chain hash. Projections fold events
  /// and never look at hashes; history, feed and verify need them.
  enum class hashes : uint8_t { compute, skip };

  /// Events of all leads with position > after, at most limit, in global order.
  /// With hashes::skip, stored_event::hash is left zero.
  /// With on_damage::mark, an event that cannot be read is a damaged entry at
  /// its position, and a position missing from the global index is one too.
  result<std::vector<stored_event>> read_global(global_position after, size_t limit,
                                                hashes h = hashes::compute, on_damage d = on_damage::fail) const;
  /// Every event of one lead (damaged ones marked) and its head, from one
  /// snapshot; with `with_stored`, each event's stored bytes too (chain_read::stored).
  result<chain_read> read_chain(const std::string& lead_id, bool with_stored = false) const;
  /// Decodes one value of the `events` family and unseals its personal fields
  /// with `key`, exactly as read_stream and read_global do (nullopt key = the
  /// key was destroyed: the event is marked personal_erased). For code that
  /// iterates the family itself, e.g. projections/bulk_rebuild.
  result<stored_event> decode_stored(std::string_view bytes, const std::optional<data_key>& key,
                                     hashes h = hashes::skip) const;
  /// A value of the `keys` family as a data key; corrupt_data when it is not one.
  static result<data_key> parse_data_key(std::string_view value);
  result<std::optional<event_id_entry>> find_event_id(const std::string& event_id) const;
  result<std::optional<data_key>> read_key(const std::string& lead_id) const;
  result<std::optional<std::string>> read_snapshot(const std::string& lead_id) const;
  /// Every lead that owes work, for the scheduler at start-up.
  result<std::vector<work_entry>> scan_work() const;
  /// The position of the newest event (0 = empty log).
  global_position last_position() const noexcept;
  /// Why the last append_batch write failed, while the log cannot write; nullopt
  /// once it can again (a write succeeded, or the background resume did).
  /// Readiness reports it; nothing is acknowledged meanwhile. The text is
  /// RocksDB's and may name files: for logs and admins, not for anonymous callers.
  std::optional<std::string> write_failure() const;
  /// write_failure() with its history.
  write_health write_status() const;

  // -- for the stores beside the log -------------------------------------------
  // The read side keeps its stores in the log's database (the views, index
  // and stats families, and its records in `meta`), so that a projection's
  // page and its checkpoint are one write.

  /// The column family of a key space, for a store's rocksdb::WriteBatch.
  rocksdb::ColumnFamilyHandle* cf(key_space k) const noexcept;
  /// Writes a batch of the stores beside the log, built on cf() handles: a
  /// projection's page with its checkpoint, a clear, a rebuild's switch. Not
  /// synced: a crash loses a suffix of such batches, which the projections
  /// apply again (the log's own synced writes sync the WAL). Never for the
  /// log's own families (events, their indexes, heads, keys, work), which
  /// only append_batch writes. `what` names the batch in an error.
  status write(rocksdb::WriteBatch& batch, std::string_view what);
  /// One record of the `meta` family (a checkpoint, a fingerprint); nullopt
  /// when there is none.
  result<std::optional<std::string>> read_meta(std::string_view key) const;
  /// Calls `each` with every `meta` record whose key is in [begin, end), in
  /// key order (a projection's damage records).
  status scan_meta(std::string_view begin, std::string_view end,
                   const std::function<void(std::string_view key, std::string_view value)>& each) const;
  /// Flushes every family's memtables to table files and waits for it (the
  /// WAL then holds nothing they need); an erasure does so, and a benchmark
  /// before it measures what is on disk.
  status flush_all();
  /// Whether RocksDB runs or owes a compaction of any family.
  bool compaction_pending() const;
  /// The RocksDB instance itself, for the few stores whose passkey
  /// (storage/raw_access.hpp says who, and why) lets them use RocksDB's own
  /// snapshot, iterator, MultiGet and SST-ingest APIs on the families they own.
  rocksdb::DB* raw_rocksdb(raw_access) const noexcept;
  /// Opened read-only or as a secondary: nothing changes under a reader, and a
  /// secondary's iterators refuse RocksDB snapshots (db_snapshot takes none).
  bool frozen() const noexcept;

 private:
  struct impl;
  // storage/event_log_impl.hpp: the event log's own files, and the stores in
  // storage/ that work on its RocksDB instance (lead_scan, backup).
  friend struct log_internals;
  explicit event_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace leadbase::storage
