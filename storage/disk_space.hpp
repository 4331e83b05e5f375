#pragma once
// Free space on the file system of the data directory, checked before the
// event log does something that needs room: opening (RocksDB writes a new
// MANIFEST and OPTIONS file and flushes the WAL it recovers into table files)
// and an erasure (flushes every memtable and compacts the lead's key range).
// RocksDB survives a full disk in those steps only as an error it must then
// recover from; refusing first leaves the log as it was and says why.
#include <cstdint>
#include <string>

#include "events/errc.hpp"

namespace leadbase::storage {

/// Bytes an unprivileged writer may still use on the file system holding
/// `path` (statvfs f_bavail x f_frsize). A path that does not exist yet is
/// looked up through its nearest existing parent.
result<uint64_t> free_bytes(const std::string& path);

/// The total size of the WAL files (*.log) in a RocksDB directory; 0 when
/// there is none or the directory does not exist.
uint64_t wal_bytes(const std::string& dir);

/// "12 MiB" (rounded up), for messages.
std::string mib(uint64_t bytes);

} // namespace leadbase::storage
