#include "app/fd_budget.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace leadbase::app {

result<fd_budget> plan_fds(const fd_needs& n) {
  fd_budget b;
  b.limit = n.limit;
  b.event_log = n.max_open_files + event_log_overhead + log_reserve;
  b.providers = n.provider_connections;
  b.process = process_overhead + 2 * n.io_threads;
  b.refusals = refusal_reserve;
  const uint64_t taken = b.event_log + b.providers + b.process + b.refusals;
  b.connections = n.limit > taken ? n.limit - taken : 0;
  if (n.max_connections <= b.connections) return b;
  return error{errc::validation,
               "config: limits.max_connections: " + std::to_string(n.max_connections) +
                   " connections do not fit in the " + std::to_string(n.limit) +
                   " file descriptors this process may open (RLIMIT_NOFILE): the event log needs " +
                   std::to_string(b.event_log) + " (storage.max_open_files " + std::to_string(n.max_open_files) +
                   " + " + std::to_string(event_log_overhead + log_reserve) + "), Creator Discovery " +
                   std::to_string(b.providers) + ", the process " + std::to_string(b.process) +
                   ", refusals over the limit " + std::to_string(b.refusals) + "; at most " +
                   std::to_string(b.connections) +
                   " connections fit. Lower limits.max_connections (or storage.max_open_files), or raise the "
                   "limit (ulimit -n, systemd LimitNOFILE=)"};
}

namespace {

uint64_t nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t v = 0;
  if (in >> v && v > 0) return v;
  return uint64_t{1} << 20;
}

} // namespace

result<fd_limit> raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return error{errc::internal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  fd_limit out;
  out.before = rl.rlim_cur;
  out.hard = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
  out.soft = rl.rlim_cur == RLIM_INFINITY ? out.hard : rl.rlim_cur;
  if (out.soft < out.hard) {
    rlimit raised = rl;
    raised.rlim_cur = out.hard;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.soft = out.hard;
  }
  return out;
}

} // namespace leadbase::app
