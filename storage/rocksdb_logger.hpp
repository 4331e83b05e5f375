#pragma once
// RocksDB's info log, sent to the "rocksdb" spdlog logger instead of a LOG
// file in the data directory.
//
// Why: RocksDB 7.8 writes its LOG file through the same buffered writer as
// its data files, and Debian's build keeps assertions: once a LOG write fails
// (a full disk), the next line logged asserts `sync_without_flush_called_`
// and the process aborts — at start (the first lines of DB::Open), in a flush
// and in `verify`. A logger that is not a RocksDB file cannot do that, uses no
// descriptor, and puts RocksDB's messages where the service's are.
//
// Levels: RocksDB's ERROR and FATAL become error, WARN warn, INFO and DEBUG
// debug (enable with SPDLOG_LEVEL=rocksdb=debug). At most 30 lines a minute
// are written at warn or above; the rest are counted and the count is logged
// with the next line let through, so a disk failing for hours does not flood the log.
#include <memory>

namespace rocksdb {
class Logger;
}

namespace leadbase::storage {

std::shared_ptr<rocksdb::Logger> make_rocksdb_logger();

} // namespace leadbase::storage
