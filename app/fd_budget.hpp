#pragma once
// File descriptors for `serve`: the soft RLIMIT_NOFILE raised to the hard
// limit, then shared out, so that HTTP connections can never take the
// descriptors the event log needs (1,100 idle connections under the common
// soft limit of 1024 once made RocksDB fail to open its next WAL).
//
// Operation: plan_fds() is pure arithmetic. From the limit it takes, in order,
//   event log   storage.max_open_files (RocksDB's table cache)
//               + event_log_overhead (WALs, MANIFEST, CURRENT, OPTIONS, LOCK,
//                 directories, the table files flushes and compactions write)
//               + log_reserve (never used by anything else: a WAL switch or
//                 a compaction opening files while iterators pin others)
//   providers   each enabled Creator Discovery provider's max_in_flight
//   process     process_overhead + 2 per I/O thread (stdio, listener, epoll,
//               eventfd and timerfd, signal pipe, files read now and then)
//   refusals    refusal_reserve: connections over limits.max_connections,
//               accepted only to be answered 503 and closed
// and what is left is what HTTP connections may use: limits.max_connections
// must fit in it, or start-up stops with a message naming the key.
// Limitations: the shares are estimates with margins, not counts of what
// RocksDB or the I/O library open at a given moment.
#include <cstdint>
#include <string>

#include "events/errc.hpp"

namespace leadbase::app {

inline constexpr uint64_t event_log_overhead = 64;
inline constexpr uint64_t log_reserve = 64;
inline constexpr uint64_t process_overhead = 64;
inline constexpr uint64_t refusal_reserve = 64;

struct fd_needs {
  uint64_t limit = 0;                 // the soft RLIMIT_NOFILE in force
  uint64_t max_connections = 0;       // limits.max_connections
  uint64_t io_threads = 2;            // limits.io_threads
  uint64_t max_open_files = 512;      // storage.max_open_files
  uint64_t provider_connections = 0;  // sum of the enabled providers' max_in_flight
};

struct fd_budget {
  uint64_t limit = 0;
  uint64_t event_log = 0;    // max_open_files + event_log_overhead + log_reserve
  uint64_t providers = 0;
  uint64_t process = 0;
  uint64_t refusals = 0;
  uint64_t connections = 0;  // at most this many HTTP connections fit (>= max_connections when planned)
};

/// The shares, or errc::validation with a one-line message naming
/// limits.max_connections and the numbers when it does not fit.
result<fd_budget> plan_fds(const fd_needs& needs);

/// The descriptor limit after start-up raised it.
struct fd_limit {
  uint64_t before = 0;  // the soft limit the process started with
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;
};

/// Raises the soft RLIMIT_NOFILE to the hard limit (an unlimited hard limit:
/// to /proc/sys/fs/nr_open, else 1,048,576). A raise the kernel refuses
/// leaves the soft limit as it was, which is then what plan_fds gets.
result<fd_limit> raise_fd_limit();

} // namespace leadbase::app
