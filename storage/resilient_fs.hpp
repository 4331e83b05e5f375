#pragma once
// The file system the event log runs on: the given one (the default, or a
// test's failing disk), with every I/O error of a file operation marked
// retryable, as RocksDB's POSIX file system already marks ENOSPC.
//
// Why: RocksDB sorts a background or WAL write error by whether it is
// retryable. A retryable one stops writes (a "hard" error) until the cause is
// gone: RocksDB then resumes on its own, or DB::Resume() does, by flushing the
// memtables to new table files and writing to a new WAL, so the WAL that saw
// the error is never read again. Any other I/O error is "fatal": writes stay
// refused until the database is opened again. A descriptor limit reached
// (EMFILE when the next WAL is opened), an I/O error the disk recovers from, a
// full disk freed: all of these are transient, and the log must write again
// without a restart once they are gone (event_log's recovery). Errors that
// are not I/O errors (corruption) and errors marked as data loss stay as they are.
#include <memory>

namespace rocksdb {
class FileSystem;
}

namespace leadbase::storage {

std::shared_ptr<rocksdb::FileSystem> make_resilient_fs(std::shared_ptr<rocksdb::FileSystem> base);

} // namespace leadbase::storage
