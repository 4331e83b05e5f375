#include "storage/event_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "events/codec.hpp"
#include "events/logging.hpp"
#include "events/time.hpp"
#include "storage/disk_space.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/hash_chain.hpp"
#include "storage/keys.hpp"
#include "storage/resilient_fs.hpp"
#include "storage/rocksdb_logger.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("storage");
  return logger;
}


std::string encode_head(const head& h) {
  std::string v = keys::be64(h.version);
  keys::put_be64(v, h.position);
  v.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  return v;
}

std::optional<head> decode_head(std::string_view v) {
  if (v.size() != 48) return std::nullopt;
  head h;
  h.version = keys::read_be64(v, 0);
  h.position = keys::read_be64(v, 8);
  std::copy(v.begin() + 16, v.end(), reinterpret_cast<char*>(h.hash.data()));
  return h;
}

std::string encode_event_id_entry(global_position pos, lead_version version, std::string_view lead_id) {
  std::string v = keys::be64(pos);
  keys::put_be64(v, version);
  v.append(lead_id);
  return v;
}

// A key of the otherwise unused `default` family, written with every batch
// (and at open and after each probe and flush-all): see impl::memtables_hold_data.
constexpr const char* marker_key = "last_write";

/// Keeps RocksDB from resuming on its own: impl::recover_writes decides when
/// a resume is safe (RocksDB 7.8 resumes a failed WAL write by switching to a
/// new WAL only when some memtable holds data; otherwise the WAL that failed
/// stays in use, and its next write aborts the process on an assertion).
class no_auto_recovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status status, bool* auto_recovery) override {
    status.PermitUncheckedError();
    *auto_recovery = false;
  }
};
/// A damaged entry of a read with on_damage::mark (stored_event::damage).
stored_event damaged_entry(std::string_view lead_id, lead_version version, global_position position,
                           std::string why) {
  stored_event se;
  se.ev.meta.lead_id.assign(lead_id);
  se.ev.meta.version = version;
  se.ev.meta.position = position;
  se.damage = why.empty() ? std::string("damaged") : std::move(why);
  return se;
}

} // namespace

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

  // -- write failures and their recovery ----------------------------------------
  mutable std::mutex failure_mutex;
  std::condition_variable recovery_cv;  // wakes the recovery thread: a failure began, or stop
  write_health health;                  // guarded by failure_mutex
  std::atomic<bool> failing{false};     // health.failure is set; read without the lock on every write
  bool stopping = false;                // guarded by failure_mutex
  std::thread recovery;                 // runs recover_writes() from open() until ~impl

  /// Records how a write went: the first failure and the first success after
  /// failures are logged, the failures in between only counted.
  void note_write(const rocksdb::Status& s) {
    if (s.ok()) {
      if (failing.load(std::memory_order_acquire)) recovered("a write succeeded");
      return;
    }
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(failure_mutex);
      ++health.failed_writes_total;
      ++health.failed_writes;
      if (!health.failure) {
        first = true;
        health.failing_since = now_millis();
        health.failed_writes = 1;
      }
      health.failure = s.ToString();
      failing.store(true, std::memory_order_release);
    }
    if (first) {
      log()->error("event log cannot write: {}; nothing is acknowledged until it can (resuming in the background)",
                   s.ToString());
      recovery_cv.notify_all();
    }
  }

  /// Ends the current failure, if any.
  void recovered(const char* how) {
    write_health ended;
    {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!health.failure) return;
      ended = health;
      health.recovered_at = now_millis();
      health.recovered_after_failed_writes = health.failed_writes;
      health.recovered_from = *health.failure;
      ++health.recoveries;
      health.failure.reset();
      health.failed_writes = 0;
      health.restart_needed = false;
      health.failing_since = 0;
      failing.store(false, std::memory_order_release);
    }
    log()->warn("event log writable again after {} failed writes in {:.1f} s ({})", ended.failed_writes,
                static_cast<double>(now_millis() - ended.failing_since) / 1000.0, how);
  }

  /// The recovery thread: while writes fail, DB::Resume() with back-off, then
  /// a synced probe write; the failure ends when both succeed. Resume answers
  /// Busy while RocksDB resumes on its own, and OK at once when nothing is
  /// left to resume.
  void recover_writes() {
    using namespace std::chrono_literals;
    constexpr auto first_wait = 100ms, max_wait = 5000ms;
    auto wait = first_wait;
    std::unique_lock<std::mutex> lock(failure_mutex);
    while (!stopping) {
      if (!health.failure) {
        wait = first_wait;
        recovery_cv.wait(lock, [this] { return stopping || health.failure.has_value(); });
        continue;
      }
      if (recovery_cv.wait_for(lock, wait, [this] { return stopping; })) break;
      wait = std::min<std::chrono::milliseconds>(wait * 2, max_wait);
      if (!memtables_hold_data()) {
        // Resuming now would keep the failed WAL; its next write would abort.
        // Stay refusing writes (RocksDB does, without touching the WAL).
        if (!health.restart_needed) {
          health.restart_needed = true;
          log()->critical("event log cannot resume without a restart: no unflushed data to start a new WAL with");
        }
        continue;
      }
      lock.unlock();
      rocksdb::Status s = db->Resume();
      if (s.ok()) s = write_marker();  // the probe: the log writes again
      if (s.ok()) recovered("resumed");
      else if (!s.IsBusy()) log()->debug("resuming the event log failed: {}", s.ToString());
      lock.lock();
    }
  }

  /// Whether any memtable holds data. DB::Resume() flushes the memtables that
  /// do, and only that switches RocksDB to a new WAL.
  bool memtables_hold_data() const {
    uint64_t active = 0, immutable = 0;
    if (!db->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumEntriesActiveMemTable, &active) ||
        !db->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumEntriesImmMemTables, &immutable))
      return false;
    return active + immutable > 0;
  }

  /// A synced write of the marker, so that a memtable holds data.
  rocksdb::Status write_marker() {
    rocksdb::WriteOptions wo;
    wo.sync = write_opts.sync;
    return db->Put(wo, cf(key_space::marker), marker_key, keys::be64(static_cast<uint64_t>(now_millis())));
  }

  void stop_recovery() {
    {
      std::lock_guard<std::mutex> lock(failure_mutex);
      stopping = true;
    }
    recovery_cv.notify_all();
    if (recovery.joinable()) recovery.join();
  }

  /// Free space on the data directory's file system, with `need` bytes
  /// needed for `what`: overloaded, saying both, when there is less.
  status room_for(uint64_t need, const char* what) const {
    auto free = free_bytes(dir);
    if (!free) return free.err();
    if (*free >= need) return ok();
    return error{errc::overloaded,
                 "not enough free disk space: " + mib(*free) + " free, " + mib(need) + " needed " + what};
  }

  // The newest committed events, decoded and unsealed, at consecutive
  // positions: the projection runner and the stats follower read what was just
  // committed, and serving it from here saves the global index walk, the
  // MultiGet, the key lookups and the unsealing. Emptied when a data key is
  // destroyed, so no read returns personal data the log can no longer unseal.
  static constexpr size_t recent_cap = 8192;
  mutable std::mutex recent_mutex;
  std::deque<stored_event> recent;

  void remember(std::vector<stored_event>& committed) {
    std::lock_guard<std::mutex> lock(recent_mutex);
    for (auto& se : committed) {
      if (!recent.empty() && recent.back().ev.meta.position + 1 != se.ev.meta.position) recent.clear();
      recent.push_back(std::move(se));
    }
    while (recent.size() > recent_cap) recent.pop_front();
  }

  void forget() {
    std::lock_guard<std::mutex> lock(recent_mutex);
    recent.clear();
  }

  /// Events after `after` from memory, when memory holds position after+1.
  std::optional<std::vector<stored_event>> recall(global_position after, size_t limit) const {
    std::lock_guard<std::mutex> lock(recent_mutex);
    if (recent.empty()) return std::nullopt;
    const global_position first = recent.front().ev.meta.position;
    if (after + 1 < first || after >= recent.back().ev.meta.position) return std::nullopt;
    std::vector<stored_event> out;
    const size_t from = after + 1 - first;
    const size_t n = std::min(limit, recent.size() - from);
    out.reserve(n);
    for (size_t i = from; i < from + n; ++i) out.push_back(recent[i]);
    return out;
  }

  ~impl() {
    stop_recovery();  // before the database it resumes goes
    if (!db) return;
    for (auto* h : cfs)
      if (h) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db->Close().PermitUncheckedError();
  }

  rocksdb::ColumnFamilyHandle* cf(key_space k) const { return cfs[static_cast<size_t>(k)]; }

  /// Decodes one stored event and unseals its personal fields with `key`
  /// (nullopt key = destroyed: the event is marked personal_erased).
  result<stored_event> decode(std::string_view bytes, const std::optional<data_key>& key,
                              event_log::hashes h = event_log::hashes::compute) const {
    auto decoded = decode_event(bytes);
    if (!decoded) return decoded.err();
    stored_event out;
    out.ev = std::move(decoded->ev);
    if (h == event_log::hashes::compute) out.hash = chain_hash(out.ev.meta.prev_hash, bytes);
    if (!decoded->sealed.empty()) {
      if (!key) {
        out.ev.personal_erased = true;
      } else {
        auto plain = unseal(*key, decoded->sealed);
        if (!plain) return plain.err();
        auto personal = decode_personal(*plain);
        if (!personal) return personal.err();
        restore_personal(out.ev, *personal);
      }
    }
    return out;
  }

  result<std::optional<data_key>> get_key(std::string_view lead_id) const {
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), cf(key_space::keys), rocksdb::Slice(lead_id.data(), lead_id.size()), &v);
    if (s.IsNotFound()) return std::optional<data_key>{};
    if (!s.ok()) return storage_error(s, "read key");
    if (v.size() != 32) return error{errc::corrupt_data, "data key has the wrong size"};
    data_key k;
    std::copy(v.begin(), v.end(), reinterpret_cast<char*>(k.data()));
    return std::optional<data_key>{k};
  }
};

bool data_dir_in_use(const std::string& dir) {
  // RocksDB locks DIR/LOCK with a POSIX record lock (fcntl F_SETLK) for as long
  // as the DB is open; F_GETLK reports a lock another process holds.
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  const bool held = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

event_log::event_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
event_log::~event_log() = default;

result<std::unique_ptr<event_log>> event_log::open(const log_options& opts) {
  auto p = std::make_unique<impl>();
  p->env = opts.env;
  p->dir = opts.dir;
  p->min_free_bytes = opts.min_free_bytes;
  if (opts.min_free_bytes > 0) {
    // Opening recovers the WAL into table files and writes a new MANIFEST.
    if (auto room = p->room_for(opts.min_free_bytes + wal_bytes(opts.dir), "to open it (storage.min_free_disk_mb plus the WAL to recover)"); !room)
      return error{room.err().code == errc::overloaded ? errc::storage_failure : room.err().code, room.err().message};
  }
  rocksdb::Env* base_env = opts.env ? opts.env.get() : rocksdb::Env::Default();
  p->resilient_env = rocksdb::NewCompositeEnv(make_resilient_fs(base_env->GetFileSystem()));
  rocksdb::Options db_opts;
  db_opts.env = p->resilient_env.get();
  db_opts.info_log = make_rocksdb_logger();
  // Only impl::recover_writes resumes after a write error (see no_auto_recovery).
  db_opts.max_bgerror_resume_count = 0;
  db_opts.listeners.push_back(std::make_shared<no_auto_recovery>());
  db_opts.max_open_files = opts.max_open_files;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.bytes_per_sync = 1 << 20;
  db_opts.IncreaseParallelism(2);
  // One cap on memtable memory for all eleven families (each would otherwise
  // grow its own write buffer): the largest is flushed when the total is reached.
  db_opts.db_write_buffer_size = opts.memtable_budget_mb << 20;
  // A WAL file is deleted only once every family with data in it has flushed;
  // a family written little but often (meta: a checkpoint a page) would keep
  // every WAL alive (1.5 GB after 350k signups). Past this total the families
  // holding the oldest WAL are flushed. It also bounds recovery time.
  db_opts.max_total_wal_size = std::max<uint64_t>(opts.wal_budget_mb, 1) << 20;

  // Index and filter blocks live in the block cache, so memory stays bounded as
  // the log grows, and they are partitioned. An LRU cache is split in shards
  // (by default 64 of 1 MiB for 64 MiB) and a block larger than its shard
  // cannot stay: it is read from the file, decompressed, used once and dropped.
  // Unpartitioned, the index block of a 64 MiB table file is 1-2.5 MiB (the
  // bloom filter of an `index` family file several MiB), so at 1M leads every
  // view lookup re-read and decompressed megabytes (perf: 57% of an I/O
  // thread in ReadIndexBlock, 45% in ZSTD; GET /v1/leads/{id} 11-13 ms of
  // server time, a queue page of 50 rows 300 ms). Partitions are
  // metadata_block_size (4 KiB) like the data blocks; only the small top-level
  // index of each file is pinned, and index and filter partitions go to the
  // cache's high-priority pool so data blocks do not push them out. A family
  // that is only iterated (`index`, `global`) never loads a filter partition.
  // Shards are at least 16 MiB (4 for 64 MiB; lock contention is no concern on
  // a few cores), so a table file written before partitioning (a data dir from
  // an earlier version, until compaction rewrites it) keeps its index block
  // cached too instead of re-reading it on every lookup.
  const size_t cache_bytes = opts.block_cache_mb << 20;
  int shard_bits = 0;
  while (shard_bits < 6 && (cache_bytes >> (shard_bits + 1)) >= (size_t{16} << 20)) ++shard_bits;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(cache_bytes, shard_bits);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  // L0 files overlap, so every read consults each of them: keep theirs resident.
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions cf_opts;
  cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_opts.write_buffer_size = 16 << 20;
  // Room for three immutable memtables waiting for their flush before writes
  // stop (the default is one): with two background jobs on two busy cores a
  // flush can lag a burst, and RocksDB then stalled every append ("Stopping
  // writes because we have 2 immutable memtables"; claim_bench p99 spikes).
  // db_write_buffer_size above still caps all memtables together.
  cf_opts.max_write_buffer_number = 4;
  cf_opts.compression = rocksdb::kLZ4Compression;
  cf_opts.bottommost_compression = rocksdb::kZSTD;
  // A whole-key bloom filter in every memtable: most point reads on the write
  // path look for keys that do not exist yet (a new event id, a new lead's head,
  // key and view row), and without it each such Get walks the skiplists of the
  // mutable and every immutable memtable.
  cf_opts.memtable_prefix_bloom_size_ratio = 0.05;
  cf_opts.memtable_whole_key_filtering = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (key_space k : all_key_spaces) descriptors.emplace_back(family_name(k), cf_opts);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  // A reader opens only the families the data dir has: one written by an
  // earlier version lacks the newer ones (e.g. `stats`) until a server
  // starts on it, and cf() is null for those.
  std::vector<bool> present(descriptors.size(), true);
  if (opts.read_only || !opts.secondary_dir.empty()) {
    std::vector<std::string> names;
    if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(db_opts), opts.dir, &names).ok()) {
      std::vector<rocksdb::ColumnFamilyDescriptor> existing;
      for (size_t i = 0; i < descriptors.size(); ++i) {
        present[i] = std::find(names.begin(), names.end(), descriptors[i].name) != names.end();
        if (present[i]) existing.push_back(descriptors[i]);
      }
      descriptors = std::move(existing);
    }
  }
  if (!opts.secondary_dir.empty()) {
    // A secondary keeps every table file it uses open, so a compaction of the
    // primary that deletes one cannot pull it away mid-read.
    db_opts.max_open_files = -1;
    s = rocksdb::DB::OpenAsSecondary(rocksdb::DBOptions(db_opts), opts.dir, opts.secondary_dir, descriptors,
                                     &p->cfs, &raw);
    if (s.ok()) s = raw->TryCatchUpWithPrimary();
  } else if (opts.read_only) {
    s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(db_opts), opts.dir, descriptors, &p->cfs, &raw);
  } else {
    s = rocksdb::DB::Open(rocksdb::DBOptions(db_opts), opts.dir, descriptors, &p->cfs, &raw);
  }
  if (!s.ok()) return storage_error(s, "open");
  for (size_t i = 0; i < present.size(); ++i)
    if (!present[i]) p->cfs.insert(p->cfs.begin() + static_cast<std::ptrdiff_t>(i), nullptr);
  p->db.reset(raw);
  p->frozen = opts.read_only || !opts.secondary_dir.empty();
  p->write_opts.sync = opts.sync;

  // Recover the head of the global log: positions continue without a gap.
  auto last = read_last_position(p->db.get(), p->cf(key_space::global));
  if (!last) return last.err();
  p->last_position = *last;
  if (!p->frozen) {
    // Opening flushed what the WAL held: a memtable holds data from here on.
    if (auto m = p->write_marker(); !m.ok()) return storage_error(m, "open: first write");
    impl* d = p.get();
    p->recovery = std::thread([d] { d->recover_writes(); });
  }
  log()->info("event log open at {} (last position {}, sync {})", opts.dir, p->last_position.load(), opts.sync);
  return std::unique_ptr<event_log>(new event_log(std::move(p)));
}

namespace {
/// What every read and write answers for a lead id the key encoding cannot
/// hold apart from other leads' (storage/keys.hpp).
error not_a_lead_id() { return error{errc::validation, "not a valid lead id"}; }
} // namespace

std::vector<append_result> event_log::append_batch(std::vector<append_request>& requests, millis now) {
  impl& d = *impl_;
  std::vector<append_result> results(requests.size());
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, head> pending_heads;  // leads written earlier in this batch
  std::unordered_set<std::string> pending_ids;
  std::vector<stored_event> committed;  // for impl::remember, once written
  bool cache_all = true;                // false: an event did not decode, remember none
  global_position next = d.last_position.load(std::memory_order_relaxed);
  const rocksdb::ReadOptions ro;
  std::string value;

  for (size_t i = 0; i < requests.size(); ++i) {
    append_request& req = requests[i];
    append_result& res = results[i];
    if (!keys::is_storable_lead_id(req.lead_id)) {
      res.code = errc::validation;
      res.message = not_a_lead_id().message;
      continue;
    }
    // 1. Check, without writing anything, that the whole request can go in.
    head h;
    if (auto pending = pending_heads.find(req.lead_id); pending != pending_heads.end()) {
      h = pending->second;
    } else {
      auto s = d.db->Get(ro, d.cf(key_space::heads), req.lead_id, &value);
      if (s.ok()) {
        auto decoded = decode_head(value);
        if (!decoded) {
          res.code = errc::corrupt_data;
          res.message = "corrupt head";
          continue;
        }
        h = *decoded;
      } else if (!s.IsNotFound()) {
        res.code = errc::storage_failure;
        res.message = s.ToString();
        continue;
      }
    }
    if (h.version != req.expected_version) {
      res.code = errc::conflict;
      res.message = "expected version " + std::to_string(req.expected_version) + " but the lead is at version " +
                    std::to_string(h.version);
      continue;
    }
    bool refused = false;
    for (const event& ev : req.events) {
      bool taken = pending_ids.count(ev.meta.event_id) > 0;
      if (!taken) {
        auto s = d.db->Get(ro, d.cf(key_space::event_ids), ev.meta.event_id, &value);
        if (!s.ok() && !s.IsNotFound()) {
          // Unreadable is not taken: the caller's id may well be free, and a
          // 409 would tell it to stop retrying what a 500 says to retry.
          res.code = errc::storage_failure;
          res.message = s.ToString();
          refused = true;
          break;
        }
        taken = s.ok();
      }
      if (taken) {
        res.code = errc::conflict;
        res.message = "event_id " + ev.meta.event_id + " is already used";
        refused = true;
        break;
      }
    }
    if (refused) continue;

    // 2. Write: events, both indexes, the key (first append) and the new head.
    if (req.new_key)
      batch.Put(d.cf(key_space::keys), req.lead_id,
                rocksdb::Slice(reinterpret_cast<const char*>(req.key.data()), req.key.size()));
    for (event& ev : req.events) {
      ev.meta.lead_id = req.lead_id;
      ev.meta.version = h.version + 1;
      ev.meta.position = ++next;
      ev.meta.recorded_at = now;
      ev.meta.prev_hash = h.hash;
      personal_fields personal = personal_of(ev);
      std::string sealed = personal.empty() ? std::string{} : seal(req.key, encode_personal(personal));
      std::string bytes = encode_event(ev, sealed);
      std::string key = keys::event_key(req.lead_id, ev.meta.version);
      batch.Put(d.cf(key_space::events), key, bytes);
      batch.Put(d.cf(key_space::global), keys::position_key(ev.meta.position), key);
      batch.Put(d.cf(key_space::event_ids), ev.meta.event_id,
                encode_event_id_entry(ev.meta.position, ev.meta.version, req.lead_id));
      pending_ids.insert(ev.meta.event_id);
      h = head{ev.meta.version, ev.meta.position, chain_hash(h.hash, bytes)};
      // Remember the event as a read would return it: decoded from the stored
      // bytes (the codec's normal form), personal fields restored.
      if (auto decoded = decode_event(bytes)) {
        stored_event se{std::move(decoded->ev), h.hash, {}};
        if (!personal.empty()) restore_personal(se.ev, personal);
        committed.push_back(std::move(se));
      } else {
        cache_all = false;
      }
    }
    batch.Put(d.cf(key_space::heads), req.lead_id, encode_head(h));
    if (req.update_work) {
      if (req.work_due) batch.Put(d.cf(key_space::work), req.lead_id, keys::be64(static_cast<uint64_t>(*req.work_due)));
      else batch.Delete(d.cf(key_space::work), req.lead_id);
    }
    pending_heads[req.lead_id] = h;
    res.head_hash = h.hash;
    res.events = req.events;
  }

  if (batch.Count() == 0) return results;
  // Every write leaves data in a memtable (impl::memtables_hold_data).
  batch.Put(d.cf(key_space::marker), marker_key, keys::be64(next));
  auto s = d.db->Write(d.write_opts, &batch);
  d.note_write(s);  // logs a failure once, not once per batch
  if (!s.ok()) {
    for (auto& res : results) {
      if (res.code != errc::success) continue;
      res.code = errc::storage_failure;
      res.message = s.ToString();
      res.events.clear();
    }
    return results;  // positions were not taken: `next` is dropped
  }
  if (cache_all) d.remember(committed);
  else d.forget();
  d.last_position.store(next, std::memory_order_release);
  if (d.commit_listener) d.commit_listener(next);
  return results;
}

void event_log::set_commit_listener(std::function<void(global_position)> listener) {
  impl_->commit_listener = std::move(listener);
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
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = d.db->Flush(fo, d.cfs);
  if (!s.ok()) return storage_error(s, "flush");
  s = d.write_marker();  // a memtable holds data again, appends or not (impl::memtables_hold_data)
  if (!s.ok()) return storage_error(s, "write after the flush");
  std::string begin = lead_id, end = keys::lead_upper_bound(lead_id);
  rocksdb::Slice b(begin), e(end);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  s = d.db->CompactRange(co, d.cf(key_space::keys), &b, &e);
  if (!s.ok()) return storage_error(s, "compact keys");
  return ok();
}

status event_log::put_snapshot(const std::string& lead_id, const std::string& bytes) {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  auto s = impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(key_space::snapshots), lead_id, bytes);
  if (!s.ok()) return storage_error(s, "put snapshot");
  return ok();
}

result<std::optional<head>> event_log::read_head(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::heads), lead_id, &v);
  if (s.IsNotFound()) return std::optional<head>{};
  if (!s.ok()) return storage_error(s, "read head");
  auto h = decode_head(v);
  if (!h) return error{errc::corrupt_data, "corrupt head"};
  return std::optional<head>{*h};
}

result<std::vector<stored_event>> event_log::read_stream(const std::string& lead_id, lead_version from,
                                                         lead_version to, size_t max_count, on_damage d) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::vector<stored_event> out;
  if (from == 0) from = 1;
  if (to < from || max_count == 0) return out;
  auto key = impl_->get_key(lead_id);
  if (!key) return key.err();
  std::string upper = to == UINT64_MAX ? keys::lead_upper_bound(lead_id) : keys::event_key(lead_id, to + 1);
  rocksdb::Slice upper_s(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(key_space::events)));
  for (it->Seek(keys::event_key(lead_id, from)); it->Valid() && out.size() < max_count; it->Next()) {
    auto e = impl_->decode(it->value().ToStringView(), *key);
    if (e) {
      out.push_back(std::move(*e));
      continue;
    }
    std::string_view id;
    lead_version version = 0;
    if (d == on_damage::fail || !keys::split_event_key(it->key().ToStringView(), id, version)) return e.err();
    out.push_back(damaged_entry(lead_id, version, 0, e.err().message));
  }
  if (!it->status().ok()) return storage_error(it->status(), "read stream");
  return out;
}

result<std::vector<stored_event>> event_log::read_global(global_position after, size_t limit, hashes h,
                                                         on_damage d) const {
  std::vector<stored_event> out;
  if (limit == 0) return out;
  if (auto recent = impl_->recall(after, limit)) {
    if (h == hashes::skip)
      for (auto& se : *recent) se.hash = hash256{};
    return std::move(*recent);
  }
  const bool mark = d == on_damage::mark;
  // One slot per position: an event key, or (mark) a damaged entry.
  struct slot {
    global_position position = 0;
    std::string key;     // the event key from the global index; empty when damaged
    std::string damage;  // why the slot cannot be read
  };
  std::vector<slot> slots;
  {
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(key_space::global)));
    global_position expected = after + 1;
    for (it->Seek(keys::position_key(after + 1)); it->Valid() && slots.size() < limit; it->Next()) {
      const auto k = it->key().ToStringView();
      if (k.size() != 8) {
        if (!mark) return error{errc::corrupt_data, "corrupt global index key"};
        continue;  // not a position: the gap it leaves is reported below
      }
      const global_position pos = keys::read_be64(k);
      // Positions are assigned without a gap; a missing one is damage.
      for (; mark && expected < pos && slots.size() < limit; ++expected)
        slots.push_back({expected, {}, "position " + std::to_string(expected) + " is missing from the global index"});
      if (slots.size() >= limit) break;
      slots.push_back({pos, it->value().ToString(), {}});
      expected = pos + 1;
    }
    if (!it->status().ok()) return storage_error(it->status(), "read global");
  }
  std::vector<rocksdb::Slice> slices;
  std::vector<size_t> slot_of;  // slices[i] belongs to slots[slot_of[i]]
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i].damage.empty()) continue;
    slices.emplace_back(slots[i].key);
    slot_of.push_back(i);
  }
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  if (!slices.empty())
    impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->cf(key_space::events), slices.size(), slices.data(), values.data(),
                        statuses.data());
  std::unordered_map<std::string, result<std::optional<data_key>>> lead_keys;
  out.reserve(slots.size());
  size_t next_value = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    slot& sl = slots[i];
    std::string_view lead_id;
    lead_version version = 0;
    if (sl.damage.empty() && !keys::split_event_key(sl.key, lead_id, version)) {
      if (!mark) return error{errc::corrupt_data, "corrupt global index entry"};
      sl.damage = "the global index entry of position " + std::to_string(sl.position) + " is not an event key";
    }
    const rocksdb::Status* st = nullptr;
    const rocksdb::PinnableSlice* value = nullptr;
    if (next_value < slot_of.size() && slot_of[next_value] == i) {
      st = &statuses[next_value];
      value = &values[next_value];
      ++next_value;
    }
    if (sl.damage.empty() && st && !st->ok()) {
      // A missing event or a block that fails its checksum is this record's
      // damage; any other error (I/O) is the read's.
      if (!mark || !(st->IsNotFound() || st->IsCorruption())) return storage_error(*st, "read global event");
      sl.damage = st->IsNotFound() ? "the event is missing" : "cannot read the event: " + st->ToString();
    }
    if (sl.damage.empty()) {
      auto found = lead_keys.find(std::string(lead_id));
      if (found == lead_keys.end()) found = lead_keys.emplace(std::string(lead_id), impl_->get_key(lead_id)).first;
      if (!found->second) {
        if (!mark || found->second.err().code != errc::corrupt_data) return found->second.err();
        sl.damage = found->second.err().message;
      } else {
        auto e = impl_->decode(value->ToStringView(), *found->second, h);
        if (e) {
          out.push_back(std::move(*e));
          continue;
        }
        if (!mark) return e.err();
        sl.damage = e.err().message;
      }
    }
    out.push_back(damaged_entry(lead_id, version, sl.position, std::move(sl.damage)));
  }
  return out;
}

result<chain_read> event_log::read_chain(const std::string& lead_id, bool with_stored) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  // A frozen log (read-only, or a secondary beside a server) does not change
  // under the read, and a secondary's iterators refuse a snapshot.
  db_snapshot snap(impl_->db.get(), !impl_->frozen);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  chain_read out;
  {
    std::string v;
    auto s = impl_->db->Get(ro, impl_->cf(key_space::heads), lead_id, &v);
    if (s.ok()) {
      out.last = decode_head(v);
      if (!out.last) out.head_damage = "the head is not 48 bytes";
    } else if (s.IsCorruption()) {
      out.head_damage = "cannot read the head: " + s.ToString();
    } else if (!s.IsNotFound()) {
      return storage_error(s, "read head");
    }
  }
  std::optional<data_key> key;
  std::string key_damage;
  {
    std::string v;
    auto s = impl_->db->Get(ro, impl_->cf(key_space::keys), lead_id, &v);
    if (s.ok()) {
      auto k = parse_data_key(v);
      if (k) key = *k;
      else key_damage = k.err().message;
    } else if (s.IsCorruption()) {
      key_damage = "cannot read the data key: " + s.ToString();
    } else if (!s.IsNotFound()) {
      return storage_error(s, "read key");
    }
  }
  const std::string upper = keys::lead_upper_bound(lead_id);
  rocksdb::Slice upper_s(upper);
  ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(key_space::events)));
  for (it->Seek(keys::event_key(lead_id, 1)); it->Valid(); it->Next()) {
    std::string_view id;
    lead_version version = 0;
    if (!keys::split_event_key(it->key().ToStringView(), id, version) || id != lead_id) continue;
    if (with_stored) out.stored.emplace_back(it->value().data(), it->value().size());  // one per entry below
    if (!key_damage.empty()) {
      out.events.push_back(damaged_entry(lead_id, version, 0, key_damage));
      continue;
    }
    auto e = impl_->decode(it->value().ToStringView(), key);
    if (e && (e->ev.meta.lead_id != lead_id || e->ev.meta.version != version)) {
      // Sound bytes under the wrong key (a moved or copied record).
      out.events.push_back(damaged_entry(lead_id, version, e->ev.meta.position,
                                         "the stored event is " + e->ev.meta.lead_id + " version " +
                                             std::to_string(e->ev.meta.version)));
      continue;
    }
    if (e) out.events.push_back(std::move(*e));
    else out.events.push_back(damaged_entry(lead_id, version, 0, e.err().message));
  }
  if (!it->status().ok()) return storage_error(it->status(), "read chain");
  return out;
}

result<stored_event> event_log::decode_stored(std::string_view bytes, const std::optional<data_key>& key,
                                              hashes h) const {
  return impl_->decode(bytes, key, h);
}

result<data_key> event_log::parse_data_key(std::string_view value) {
  if (value.size() != 32) return error{errc::corrupt_data, "data key has the wrong size"};
  data_key k;
  std::copy(value.begin(), value.end(), reinterpret_cast<char*>(k.data()));
  return k;
}

result<std::optional<event_id_entry>> event_log::find_event_id(const std::string& event_id) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::event_ids), event_id, &v);
  if (s.IsNotFound()) return std::optional<event_id_entry>{};
  if (!s.ok()) return storage_error(s, "read event id");
  if (v.size() < 16) return error{errc::corrupt_data, "corrupt event id entry"};
  return std::optional<event_id_entry>{event_id_entry{v.substr(16), keys::read_be64(v, 8), keys::read_be64(v, 0)}};
}

result<std::optional<data_key>> event_log::read_key(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  return impl_->get_key(lead_id);
}

result<std::optional<std::string>> event_log::read_snapshot(const std::string& lead_id) const {
  if (!keys::is_storable_lead_id(lead_id)) return not_a_lead_id();
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(key_space::snapshots), lead_id, &v);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return storage_error(s, "read snapshot");
  return std::optional<std::string>{std::move(v)};
}

result<std::vector<work_entry>> event_log::scan_work() const {
  std::vector<work_entry> out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(key_space::work)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() != 8) continue;
    out.push_back({it->key().ToString(), static_cast<millis>(keys::read_be64(it->value().ToStringView()))});
  }
  if (!it->status().ok()) return storage_error(it->status(), "scan work");
  return out;
}

global_position event_log::last_position() const noexcept {
  return impl_->last_position.load(std::memory_order_acquire);
}

std::optional<std::string> event_log::write_failure() const {
  if (!impl_->failing.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard<std::mutex> lock(impl_->failure_mutex);
  return impl_->health.failure;
}

write_health event_log::write_status() const {
  std::lock_guard<std::mutex> lock(impl_->failure_mutex);
  return impl_->health;
}

rocksdb::DB* event_log::raw_rocksdb() const noexcept { return impl_->db.get(); }
bool event_log::frozen() const noexcept { return impl_->frozen; }
rocksdb::ColumnFamilyHandle* event_log::cf(key_space k) const noexcept { return impl_->cf(k); }

} // namespace leadbase::storage
