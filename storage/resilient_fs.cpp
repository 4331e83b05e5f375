#include "storage/resilient_fs.hpp"

#include <rocksdb/file_system.h>

namespace leadbase::storage {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

IOStatus retryable(IOStatus s) {
  if (s.IsIOError() && !s.GetDataLoss()) s.SetRetryable(true);
  return s;
}

class writable_file final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
  IOStatus Append(const rocksdb::Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Append(data, o, dbg));
  }
  IOStatus Append(const rocksdb::Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Append(data, o, v, dbg));
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg));
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& v, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, dbg));
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Truncate(size, o, dbg));
  }
  IOStatus Close(const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Close(o, dbg));
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Flush(o, dbg));
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Sync(o, dbg));
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::Fsync(o, dbg));
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, o, dbg));
  }
};

class directory final : public rocksdb::FSDirectoryWrapper {
 public:
  using FSDirectoryWrapper::FSDirectoryWrapper;
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return retryable(FSDirectoryWrapper::Fsync(o, dbg));
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& d) override {
    return retryable(FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, d));
  }
};

class file_system final : public rocksdb::FileSystemWrapper {
 public:
  explicit file_system(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "leadbase_resilient_fs"; }

  IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                           std::unique_ptr<rocksdb::FSWritableFile>* out, IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::NewWritableFile(name, o, out, dbg), out);
  }
  IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                              std::unique_ptr<rocksdb::FSWritableFile>* out, IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::ReopenWritableFile(name, o, out, dbg), out);
  }
  IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name, const rocksdb::FileOptions& o,
                             std::unique_ptr<rocksdb::FSWritableFile>* out, IODebugContext* dbg) override {
    return wrap(FileSystemWrapper::ReuseWritableFile(name, old_name, o, out, dbg), out);
  }
  // Opening a table file just written (a flush verifies it) can fail for
  // want of a descriptor like any other open.
  IOStatus NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& o,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* out, IODebugContext* dbg) override {
    return retryable(FileSystemWrapper::NewRandomAccessFile(name, o, out, dbg));
  }
  IOStatus NewSequentialFile(const std::string& name, const rocksdb::FileOptions& o,
                             std::unique_ptr<rocksdb::FSSequentialFile>* out, IODebugContext* dbg) override {
    return retryable(FileSystemWrapper::NewSequentialFile(name, o, out, dbg));
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& o, std::unique_ptr<rocksdb::FSDirectory>* out,
                        IODebugContext* dbg) override {
    IOStatus s = FileSystemWrapper::NewDirectory(name, o, out, dbg);
    if (s.ok()) *out = std::make_unique<directory>(std::move(*out));
    return retryable(std::move(s));
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                      IODebugContext* dbg) override {
    return retryable(FileSystemWrapper::RenameFile(from, to, o, dbg));
  }
  IOStatus LinkFile(const std::string& from, const std::string& to, const IOOptions& o,
                    IODebugContext* dbg) override {
    return retryable(FileSystemWrapper::LinkFile(from, to, o, dbg));
  }

 private:
  static IOStatus wrap(IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* out) {
    if (s.ok()) *out = std::make_unique<writable_file>(std::move(*out));
    return retryable(std::move(s));
  }
};

} // namespace

std::shared_ptr<rocksdb::FileSystem> make_resilient_fs(std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<file_system>(std::move(base));
}

} // namespace leadbase::storage
