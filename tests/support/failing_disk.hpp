#pragma once
// A RocksDB Env whose written files fail on demand, as a full or broken disk
// does: while `failing` is set, every Append, Sync and Fsync of a file opened
// for writing (WAL, table files, MANIFEST) answers an error; while
// `failing_reads` is set, every read of a table file does. Everything else
// goes to the real disk. The error is that of a broken disk (an I/O error) or
// of a full one (what RocksDB's POSIX file system answers for ENOSPC:
// NoSpace, marked retryable).
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <memory>
#include <string>

namespace leadbase::test {

class failing_disk {
 public:
  failing_disk() : fs_(std::make_shared<file_system>(this)), env_(rocksdb::NewCompositeEnv(fs_)) {}

  /// For log_options::env. The log keeps the Env alive, but the Env points
  /// back here: declare the failing_disk before the log, so it outlives it.
  std::shared_ptr<rocksdb::Env> env() const { return env_; }
  enum class fault : uint8_t { broken, full };
  /// syncs_only: appends reach the file and only Sync/Fsync fail, so a write
  /// that is reported failed may still be complete in the WAL.
  void fail(bool on, fault kind = fault::broken, bool syncs_only = false) {
    full_.store(kind == fault::full);
    syncs_only_.store(syncs_only);
    failing_.store(on);
  }
  /// Reads of table files (.sst) answer an I/O error while `on`: what reaches
  /// the memtables still reads, so reopen the log (its recovery flushes them)
  /// to make a read fail.
  void fail_reads(bool on) { failing_reads_.store(on); }
  /// While `on`, each write to a table file (.sst: a flush or a compaction
  /// writing its output) waits until it is off again, as on a disk that
  /// stalls; WAL and MANIFEST writes go on. Release it before the log closes.
  void hold_table_writes(bool on) {
    {
      std::lock_guard<std::mutex> lock(hold_mutex_);
      holding_ = on;
    }
    hold_cv_.notify_all();
  }
  /// Table writes waiting in hold_table_writes now.
  size_t held_table_writes() const {
    std::lock_guard<std::mutex> lock(hold_mutex_);
    return held_;
  }

 private:
  class file final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    file(std::unique_ptr<rocksdb::FSWritableFile> f, const failing_disk* disk, bool table)
        : FSWritableFileOwnerWrapper(std::move(f)), disk_(disk), table_(table) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (table_) disk_->wait_while_held();
      if (disk_->failing_ && !disk_->syncs_only_) return disk_->error("injected: the disk fails");
      return FSWritableFileOwnerWrapper::Append(data, o, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (disk_->failing_) return disk_->error("injected: sync fails");
      return FSWritableFileOwnerWrapper::Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (disk_->failing_) return disk_->error("injected: fsync fails");
      return FSWritableFileOwnerWrapper::Fsync(o, dbg);
    }

   private:
    const failing_disk* disk_;
    bool table_;
  };

  class table_file final : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    table_file(std::unique_ptr<rocksdb::FSRandomAccessFile> f, const failing_disk* disk)
        : FSRandomAccessFileOwnerWrapper(std::move(f)), disk_(disk) {}
    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& o, rocksdb::Slice* result,
                           char* scratch, rocksdb::IODebugContext* dbg) const override {
      if (disk_->failing_reads_) return rocksdb::IOStatus::IOError("injected: the read fails");
      return FSRandomAccessFileOwnerWrapper::Read(offset, n, o, result, scratch, dbg);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* dbg) override {
      if (disk_->failing_reads_) return rocksdb::IOStatus::IOError("injected: the read fails");
      return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, o, dbg);
    }

   private:
    const failing_disk* disk_;
  };

  class file_system final : public rocksdb::FileSystemWrapper {
   public:
    explicit file_system(const failing_disk* disk)
        : FileSystemWrapper(rocksdb::FileSystem::Default()), disk_(disk) {}
    const char* Name() const override { return "leadbase_test_failing_disk"; }
    rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* out,
                                      rocksdb::IODebugContext* dbg) override {
      return wrapped(FileSystemWrapper::NewWritableFile(name, o, out, dbg), out, is_table(name));
    }
    rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                         std::unique_ptr<rocksdb::FSWritableFile>* out,
                                         rocksdb::IODebugContext* dbg) override {
      return wrapped(FileSystemWrapper::ReopenWritableFile(name, o, out, dbg), out, is_table(name));
    }
    rocksdb::IOStatus NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& o,
                                          std::unique_ptr<rocksdb::FSRandomAccessFile>* out,
                                          rocksdb::IODebugContext* dbg) override {
      auto s = FileSystemWrapper::NewRandomAccessFile(name, o, out, dbg);
      if (s.ok() && is_table(name)) *out = std::make_unique<table_file>(std::move(*out), disk_);
      return s;
    }

   private:
    /// The file just opened, made to fail with the disk.
    rocksdb::IOStatus wrapped(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* out, bool table) const {
      if (s.ok()) *out = std::make_unique<file>(std::move(*out), disk_, table);
      return s;
    }
    static bool is_table(const std::string& name) {
      return name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0;
    }
    const failing_disk* disk_;
  };

  rocksdb::IOStatus error(const char* what) const {
    if (!full_) return rocksdb::IOStatus::IOError(what);
    auto s = rocksdb::IOStatus::NoSpace(what, "No space left on device");
    s.SetRetryable(true);
    return s;
  }

  void wait_while_held() const {
    std::unique_lock<std::mutex> lock(hold_mutex_);
    if (!holding_) return;
    ++held_;
    hold_cv_.wait(lock, [this] { return !holding_; });
    --held_;
  }

  mutable std::mutex hold_mutex_;
  mutable std::condition_variable hold_cv_;
  bool holding_ = false;      // guarded by hold_mutex_
  mutable size_t held_ = 0;   // guarded by hold_mutex_
  std::atomic<bool> failing_{false};
  std::atomic<bool> full_{false};
  std::atomic<bool> syncs_only_{false};
  std::atomic<bool> failing_reads_{false};
  std::shared_ptr<file_system> fs_;
  std::shared_ptr<rocksdb::Env> env_;
};

} // namespace leadbase::test
