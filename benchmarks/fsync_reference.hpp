#pragma once
// The disk's own floor under every acknowledged write: append a small record
// to a file and fdatasync it, as the event log's WAL does for each group
// commit, at a given rate. A claim waits for one such sync, so its p99 cannot
// be below this one's, measured in the same run on the same file system.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct fsync_figures {
  bool ok = false;
  std::vector<double> latencies_ms;  // one per fdatasync
};

/// `rate` appends of `record_bytes` a second for `seconds`, each followed by
/// fdatasync, in a file of `dir` (removed after).
inline fsync_figures measure_fsync(const std::string& dir, double rate, double seconds, size_t record_bytes = 600) {
  fsync_figures out;
  const std::string path = dir + "/fsync-reference.bin";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return out;
  const std::string record(record_bytes, 'x');
  using clock = std::chrono::steady_clock;
  const auto step = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / std::max(rate, 1.0)));
  const auto start = clock::now(), end = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  out.ok = true;
  for (auto next = start; next < end; next += step) {
    std::this_thread::sleep_until(next);
    const auto t0 = clock::now();
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) || ::fdatasync(fd) != 0) {
      out.ok = false;
      break;
    }
    out.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  return out;
}

} // namespace bench
