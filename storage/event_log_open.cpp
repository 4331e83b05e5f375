#include "storage/event_log_impl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/disk_space.hpp"
#include "storage/resilient_fs.hpp"
#include "storage/rocksdb_logger.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::storage {
namespace {

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

/// The database's options: RocksDB's info log to spdlog, our own write
/// recovery, and the memory and WAL budgets.
rocksdb::Options db_options(const log_options& opts, rocksdb::Env* env) {
  rocksdb::Options db_opts;
  db_opts.env = env;
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
  return db_opts;
}

/// The table format every family shares: partitioned index and filter
/// blocks in a bounded block cache.
rocksdb::BlockBasedTableOptions table_options(const log_options& opts) {
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
  return table;
}

/// Every family's options.
rocksdb::ColumnFamilyOptions family_options(const log_options& opts) {
  rocksdb::ColumnFamilyOptions cf_opts;
  cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(opts)));
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
  return cf_opts;
}

/// Opens the database with every family, as a writer, read-only or as a
/// secondary; `cfs` gets one handle per key space (null for a family a
/// reader's data dir lacks).
rocksdb::Status open_families(const log_options& opts, rocksdb::Options db_opts,
                              const rocksdb::ColumnFamilyOptions& cf_opts,
                              std::vector<rocksdb::ColumnFamilyHandle*>& cfs, rocksdb::DB*& raw) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (key_space k : all_key_spaces) descriptors.emplace_back(family_name(k), cf_opts);
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
                                     &cfs, &raw);
    if (s.ok()) s = raw->TryCatchUpWithPrimary();
  } else if (opts.read_only) {
    s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(db_opts), opts.dir, descriptors, &cfs, &raw);
  } else {
    s = rocksdb::DB::Open(rocksdb::DBOptions(db_opts), opts.dir, descriptors, &cfs, &raw);
  }
  if (!s.ok()) return s;
  for (size_t i = 0; i < present.size(); ++i)
    if (!present[i]) cfs.insert(cfs.begin() + static_cast<std::ptrdiff_t>(i), nullptr);
  return s;
}

} // namespace

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

event_log::impl::~impl() {
  stop_recovery();  // before the database it resumes goes
  if (!db) return;
  for (auto* h : cfs)
    if (h) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
}

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
  rocksdb::DB* raw = nullptr;
  auto s = open_families(opts, db_options(opts, p->resilient_env.get()), family_options(opts), p->cfs, raw);
  if (!s.ok()) return storage_error(s, "open");
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
  storage_log()->info("event log open at {} (last position {}, sync {})", opts.dir, p->last_position.load(), opts.sync);
  return std::unique_ptr<event_log>(new event_log(std::move(p)));
}

} // namespace leadbase::storage
