#pragma once
// Shared helpers for the programs in benchmarks/ (not a benchmark itself: only
// benchmarks/*_bench.cpp become executables).
//
// Every benchmark prints what it measured beside a reference measured in the
// same run, the ratio, the command to reproduce it and the machine (nproc,
// load average at start). Nothing here asserts on time: a benchmark exits
// non-zero only when something failed to run.
//
// Children (the server, wrk, db_bench) only ever talk to 127.0.0.1; every wait
// here is bounded in count and time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"

namespace bench {

using clock_type = std::chrono::steady_clock;

/// "a b c": how a child's command line is shown in the output.
inline std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

/// fork + exec of argv (no shell; argv[0] searched in PATH unless it has a
/// slash) with stdout and stderr to `log_file`; the child gets `death_signal`
/// when the benchmark dies. The child's pid, or -1 with `error` set.
inline pid_t spawn_logged(std::vector<std::string> argv, const std::string& log_file, std::string& error,
                          int death_signal = SIGTERM) {
  std::vector<char*> argv_c;
  for (auto& a : argv) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, death_signal);  // never outlive the benchmark
    if (getppid() != parent) _exit(127);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      ::close(fd);
    }
    execvp(argv_c[0], argv_c.data());
    _exit(127);
  }
  return pid;
}

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// CPU time of the calling thread, in seconds: unlike wall time it does not
/// grow while other processes hold the cores (the machine is shared).
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// -- command line: --key=value ---------------------------------------------------

class args {
 public:
  args(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
      if (i > 0) command_ += ' ';
      command_ += argv[i];
    }
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") {
        help_ = true;
        continue;
      }
      if (a.rfind("--", 0) != 0) {
        bad_ = "unexpected argument '" + a + "' (options look like --name=value)";
        continue;
      }
      auto eq = a.find('=');
      if (eq == std::string::npos) values_[a.substr(2)] = "1";
      else values_[a.substr(2, eq - 2)] = a.substr(eq + 1);
    }
  }
  const std::string& command() const { return command_; }
  bool help() const { return help_; }

  /// A number option; records an error (see `error()`) when malformed or out of range.
  double number(const std::string& name, double def, double lo, double hi) {
    used_.push_back(name);
    auto it = values_.find(name);
    if (it == values_.end()) return def;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || v < lo || v > hi) {
      if (bad_.empty())
        bad_ = "--" + name + "=" + it->second + ": expected a number in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]";
      return def;
    }
    return v;
  }
  /// Call after reading every option: unknown options and bad values.
  std::string error() const {
    if (!bad_.empty()) return bad_;
    for (const auto& [k, v] : values_) {
      (void)v;
      if (std::find(used_.begin(), used_.end(), k) == used_.end()) return "unknown option --" + k;
    }
    return {};
  }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> used_;
  std::string bad_;
  bool help_ = false;
};

// -- the machine ------------------------------------------------------------------

inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  if (!(f >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

inline void print_header(const char* name, const std::string& what, const std::string& command) {
  std::printf("== %s ==\n", name);
  std::printf("what:      %s\n", what.c_str());
  std::printf("machine:   nproc=%ld, load average at start (1/5/15 min): %s\n", sysconf(_SC_NPROCESSORS_ONLN),
              load_average().c_str());
  std::printf("reproduce: %s\n\n", command.c_str());
  std::fflush(stdout);
}

inline void print_footer(double seconds) {
  std::printf("\nload average at end: %s; wall time %.1f s\n", load_average().c_str(), seconds);
  std::fflush(stdout);
}

// -- files and processes -----------------------------------------------------------

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data())) path_ = buf.data();
  }
  ~temp_dir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += it->file_size(ec2);
  }
  return total;
}

inline bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

inline std::string tail_of_file(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

struct command_output {
  int exit_code = -1;  // -1: did not run or was killed
  std::string text;    // stdout and stderr
};

/// Runs `cmd` through /bin/sh, stdout+stderr captured. Bound its time with
/// coreutils `timeout` in `cmd` itself.
inline command_output run_capture(const std::string& cmd) {
  command_output out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int st = pclose(p);
  if (st != -1 && WIFEXITED(st)) out.exit_code = WEXITSTATUS(st);
  return out;
}

inline bool on_path(const std::string& program) {
  return run_capture("command -v " + program + " >/dev/null").exit_code == 0;
}

/// A loopback port that was free a moment ago.
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  uint16_t port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

struct http_answer {
  int status = 0;  // 0: no answer
  std::string text;  // status line, headers and (the start of) the body
};

/// One blocking HTTP/1.1 request to 127.0.0.1 (Connection: close); at most
/// `max_bytes` of the answer are kept.
inline http_answer http_call(uint16_t port, const std::string& method, const std::string& path,
                             const std::string& extra_headers = "", const std::string& body = "",
                             int timeout_ms = 2000, size_t max_bytes = 16384) {
  http_answer out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
    if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      while (out.text.size() < max_bytes) {  // Connection: close ends it; recv times out otherwise
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.text.append(buf, static_cast<size_t>(n));
      }
      int code = 0;
      if (std::sscanf(out.text.c_str(), "HTTP/1.%*d %d", &code) == 1) out.status = code;
    }
  }
  ::close(fd);
  return out;
}

inline int http_get_status(uint16_t port, const std::string& path, int timeout_ms = 2000) {
  return http_call(port, "GET", path, "", "", timeout_ms).status;
}

/// The whole body of GET `path` with a bearer token (up to 8 MiB: a /metrics
/// page is tens of KB); empty when there is no 200 answer.
inline std::string http_get_body(uint16_t port, const std::string& path, const std::string& token,
                                 int timeout_ms = 5000) {
  auto a = http_call(port, "GET", path, "Authorization: Bearer " + token + "\r\n", "", timeout_ms, size_t{8} << 20);
  if (a.status != 200) return {};
  const auto body = a.text.find("\r\n\r\n");
  return body == std::string::npos ? std::string{} : a.text.substr(body + 4);
}

/// CPU time (user + system) a process has used so far, in seconds; -1 when unreadable.
inline double process_cpu_seconds(pid_t pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && (fields >> field); ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  if (!fields) return -1;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(utime + stime) / static_cast<double>(ticks) : -1;
}

/// Resident set size (VmRSS) or peak (VmHWM) of a process in KiB; 0 if unknown.
inline long proc_status_kib(pid_t pid, const char* field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string want = std::string(field) + ":";
  while (std::getline(f, line)) {
    if (line.rfind(want, 0) == 0) return std::strtol(line.c_str() + want.size(), nullptr, 10);
  }
  return 0;
}

/// `leadbase serve` as a child process, its output in a log file.
class server_process {
 public:
  server_process() = default;
  ~server_process() { stop(); }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// Starts `LEADBASE_BIN serve --data DIR --listen 127.0.0.1:PORT [--config FILE]`
  /// and waits (at most `timeout_s`) until GET /healthz answers 200.
  bool start(const std::string& data_dir, const std::string& config_file, const std::string& log_file,
             double timeout_s = 30) {
    log_file_ = log_file;
    port_ = free_port();
    if (port_ == 0) {
      error_ = "no free loopback port";
      return false;
    }
    std::vector<std::string> argv_s = {LEADBASE_BIN, "serve", "--data", data_dir, "--listen",
                                       "127.0.0.1:" + std::to_string(port_)};
    if (!config_file.empty()) {
      argv_s.push_back("--config");
      argv_s.push_back(config_file);
    }
    command_ = join_command(argv_s);
    pid_t pid = spawn_logged(argv_s, log_file, error_);
    if (pid < 0) return false;
    pid_ = pid;
    const auto t0 = clock_type::now();
    while (seconds_since(t0) < timeout_s) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "the server exited during start-up; its log ends with:\n" + tail_of_file(log_file_);
        return false;
      }
      if (http_get_status(port_, "/healthz", 500) == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "the server did not answer /healthz within " + std::to_string(timeout_s) + " s; its log ends with:\n" +
             tail_of_file(log_file_);
    stop();
    return false;
  }

  /// SIGTERM, then at most `timeout_s` for a clean exit, then SIGKILL. True if it exited 0.
  bool stop(double timeout_s = 30) {
    if (pid_ <= 0) return exited_cleanly_;
    ::kill(pid_, SIGTERM);
    const auto t0 = clock_type::now();
    int st = 0;
    bool done = false;
    while (seconds_since(t0) < timeout_s) {
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        done = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!done) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &st, 0);
    }
    exited_cleanly_ = done && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    stop_seconds_ = seconds_since(t0);
    pid_ = -1;
    return exited_cleanly_;
  }

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  const std::string& command() const { return command_; }
  const std::string& log_file() const { return log_file_; }
  double stop_seconds() const { return stop_seconds_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_file_, error_, command_;
  bool exited_cleanly_ = false;
  double stop_seconds_ = 0;
};

// -- the server's configuration --------------------------------------------------------

/// The built-in development config (app/default_config.cpp default_config_toml()) with
/// `key = old` lines replaced; checked by parsing it back.
struct dev_config {
  std::string toml;
  std::string ingest_token;
  std::string error;
};

inline bool replace_setting(std::string& toml, const std::string& from, const std::string& to) {
  auto pos = toml.find(from);
  if (pos == std::string::npos) return false;
  toml.replace(pos, from.size(), to);
  return true;
}

/// With `providers_off` the [discovery.instagram] and [discovery.youtube]
/// sections are dropped: the dev config points them at a local simulator that
/// the benchmarks do not start, and enrichment calls are not what they measure.
inline dev_config make_dev_config(std::optional<bool> sync, std::optional<uint32_t> passivate_after_ms,
                                  bool providers_off = true) {
  dev_config out;
  out.toml = leadbase::default_config_toml();
  if (providers_off) {
    const auto from = out.toml.find("[discovery.instagram]"), to = out.toml.find("[discovery.retry]");
    if (from == std::string::npos || to == std::string::npos || to < from)
      out.error = "cannot find the [discovery.instagram] ... [discovery.retry] sections in the dev config";
    else
      out.toml.erase(from, to - from);
  }
  if (sync && !replace_setting(out.toml, "sync = true", std::string("sync = ") + (*sync ? "true" : "false")))
    out.error = "the dev config has no 'sync = true' line";
  if (passivate_after_ms &&
      !replace_setting(out.toml, "passivate_after_ms = 60000", "passivate_after_ms = " + std::to_string(*passivate_after_ms)))
    out.error = "the dev config has no 'passivate_after_ms = 60000' line";
  auto cfg = leadbase::parse_config(out.toml, "benchmark config");
  if (!cfg) {
    out.error = cfg.err().message;
    return out;
  }
  if (sync && cfg->sync != *sync) out.error = "durability.sync did not take";
  if (providers_off && (cfg->discovery.instagram || cfg->discovery.youtube))
    out.error = "the discovery providers are still configured";
  if (passivate_after_ms && cfg->actors.passivate_after_ms != *passivate_after_ms)
    out.error = "actors.passivate_after_ms did not take";
  for (const auto& t : cfg->tokens)
    if (t.scopes.count("ingest")) {
      out.ingest_token = t.token;
      break;
    }
  if (out.ingest_token.empty() && out.error.empty()) out.error = "the dev config has no token with scope ingest";
  return out;
}

// -- db_bench ----------------------------------------------------------------------------

struct db_bench_result {
  bool ok = false;
  std::string command, error;
  int batch_size = 0;
  double micros_per_op = 0;  // db_bench's "op" is one key
  double ops_per_sec = 0;    // keys per second
  uint64_t ops = 0;
  double seconds = 0;
  double micros_per_batch() const { return micros_per_op * batch_size; }  // one synced Write per batch
};

/// `db_bench --benchmarks=fillrandom --sync=1 --batch_size=B` in a fresh
/// directory under `dir`, single thread, ~300-byte values (sync = false: no
/// fsync, so the figure is RocksDB's CPU cost per key).
inline db_bench_result run_db_bench(const std::string& dir, int batch_size, uint64_t batches, int value_size = 300,
                                    int timeout_s = 300, bool sync = true) {
  db_bench_result r;
  r.batch_size = batch_size;
  const std::string db = dir + "/db_bench_b" + std::to_string(batch_size);
  r.command = std::string("db_bench --benchmarks=fillrandom --sync=") + (sync ? "1" : "0") +
              " --batch_size=" + std::to_string(batch_size) +
              " --num=" + std::to_string(batches * static_cast<uint64_t>(batch_size)) +
              " --value_size=" + std::to_string(value_size) + " --threads=1 --compression_type=lz4 --db=" + db;
  auto out = run_capture("timeout " + std::to_string(timeout_s) + " " + r.command);
  std::error_code ec;
  std::filesystem::remove_all(db, ec);
  auto pos = out.text.find("fillrandom   :");
  if (out.exit_code != 0 || pos == std::string::npos) {
    r.error = "db_bench failed (exit " + std::to_string(out.exit_code) + "): " +
              out.text.substr(out.text.size() > 1500 ? out.text.size() - 1500 : 0);
    return r;
  }
  unsigned long long ops = 0;
  if (std::sscanf(out.text.c_str() + pos, "fillrandom : %lf micros/op %lf ops/sec %lf seconds %llu operations",
                  &r.micros_per_op, &r.ops_per_sec, &r.seconds, &ops) < 3) {
    r.error = "cannot parse db_bench's output: " + out.text.substr(pos, 200);
    return r;
  }
  r.ops = ops;
  r.ok = r.micros_per_op > 0;
  if (!r.ok) r.error = "db_bench reported 0 micros/op";
  return r;
}

inline void print_db_bench(const db_bench_result& r) {
  if (!r.ok) {
    std::printf("  db_bench batch %-4d FAILED: %s\n", r.batch_size, r.error.c_str());
    return;
  }
  std::printf("  db_bench fillrandom sync=1 batch %-4d %9.0f keys/s  %8.0f us per synced batch (%.0f batches/s)\n",
              r.batch_size, r.ops_per_sec, r.micros_per_batch(), 1e6 / r.micros_per_batch());
}

/// RocksDB's CPU cost per key: db_bench fillrandom without fsync, batch 128,
/// 100-byte values, one thread (in a fresh directory under `dir`); prints its
/// line (print_db_bench_cpu_per_key, also for a results table).
inline void print_db_bench_cpu_per_key(const db_bench_result& puts) {
  if (puts.ok)
    std::printf("  db_bench fillrandom sync=0 batch 128  %9.0f keys/s  (one thread: RocksDB's CPU per key)\n",
                puts.ops_per_sec);
  else
    std::printf("  db_bench sync=0 FAILED: %s\n", puts.error.c_str());
  std::fflush(stdout);
}

inline db_bench_result run_db_bench_cpu_per_key(const std::string& dir) {
  auto puts = run_db_bench(dir, 128, 8000, 100, 300, /*sync=*/false);
  print_db_bench_cpu_per_key(puts);
  return puts;
}

// -- what a server wrote -------------------------------------------------------------------

/// What the server wrote: every key of every column family of its (stopped)
/// data dir, and the number of leads (keys of `heads`).
struct written {
  bool ok = false;
  std::string error;
  uint64_t keys = 0, leads = 0;
  double keys_per_lead() const { return leads ? static_cast<double>(keys) / static_cast<double>(leads) : 0; }
};

inline written count_keys(const std::string& dir) {
  written w;
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (s.ok()) s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, cfs, &handles, &raw);
  if (!s.ok()) {
    w.error = "open " + dir + ": " + s.ToString();
    return w;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  for (size_t i = 0; i < handles.size(); ++i) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    w.keys += n;
    if (names[i] == "heads") w.leads = n;
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  w.ok = w.leads > 0;
  if (!w.ok) w.error = "no lead in " + dir;
  return w;
}

// -- wrk ----------------------------------------------------------------------------

/// The Lua `done` that prints one machine-readable line (latencies in microseconds).
/// Numbers wrk's threads: each thread's Lua state gets `tid` (0, 1, …).
inline const char* wrk_thread_ids_lua() {
  return R"lua(
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
)lua";
}

inline const char* wrk_done_lua() {
  return R"lua(
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LBRESULT requests=%d duration_us=%d status=%d connect=%d read=%d write=%d timeout=%d p50=%d p90=%d p99=%d max=%d mean=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(90)), math.floor(latency:percentile(99)),
    math.floor(latency.max), math.floor(latency.mean)))
end
)lua";
}

/// GET `path` on every request (a request() function, like the signup script, so
/// the client does the same kind of work per request).
inline std::string wrk_get_script(const std::string& path) {
  return "local req = wrk.format(\"GET\", \"" + path + "\")\nfunction request()\n  return req\nend\n" +
         wrk_done_lua();
}

/// POST /v1/signups with a unique event and lead id per request:
/// "<run>-<thread>-<n>". With `limit_per_thread` > 0 each wrk thread stops
/// once it has sent that many and an answer arrives.
inline std::string wrk_signup_script(const std::string& token, const std::string& run, uint64_t limit_per_thread) {
  std::string s = std::string(wrk_thread_ids_lua()) + R"lua(
n = 0
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer @TOKEN@" }
function request()
  n = n + 1
  local id = string.format("@RUN@-%d-%d", tid, n)
  local body = string.format(
    '{"event_id":"sg-%s","lead_id":"u-%s","occurred_at":"2025-11-28T12:00:00.000Z",' ..
    '"email":"ana.%s@exemplo.com.br","name":"Ana Souza","phone":"+5511912345678",' ..
    '"country":"BR","locale":"pt-BR","document":"52998224725",' ..
    '"social":{"instagram":"anasouza%d","youtube":"@anasouza%d","tiktok":"anasouza"},' ..
    '"source":{"utm_source":"ads","utm_medium":"cpc","utm_campaign":"bf26"}}',
    id, id, id, n, n)
  return wrk.format("POST", "/v1/signups", headers, body)
end
)lua";
  replace_setting(s, "@TOKEN@", token);
  replace_setting(s, "@RUN@", run);
  if (limit_per_thread > 0)
    s += "function response(status, headers, body)\n  if n >= " + std::to_string(limit_per_thread) +
         " then wrk.thread:stop() end\nend\n";
  return s + wrk_done_lua();
}

/// The body the signup script sends, for a one-off check before the load.
inline std::string signup_json(const std::string& id, uint64_t n) {
  std::string ns = std::to_string(n);
  return "{\"event_id\":\"sg-" + id + "\",\"lead_id\":\"u-" + id +
         "\",\"occurred_at\":\"2025-11-28T12:00:00.000Z\",\"email\":\"ana." + id +
         "@exemplo.com.br\",\"name\":\"Ana Souza\",\"phone\":\"+5511912345678\",\"country\":\"BR\","
         "\"locale\":\"pt-BR\",\"document\":\"52998224725\",\"social\":{\"instagram\":\"anasouza" + ns +
         "\",\"youtube\":\"@anasouza" + ns + "\",\"tiktok\":\"anasouza\"},"
         "\"source\":{\"utm_source\":\"ads\",\"utm_medium\":\"cpc\",\"utm_campaign\":\"bf26\"}}";
}

/// POSTs one signup; "" when it was acknowledged (202), else what went wrong.
inline std::string check_one_signup(uint16_t port, const std::string& token, const std::string& id) {
  auto a = http_call(port, "POST", "/v1/signups",
                     "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n", signup_json(id, 0),
                     10000);
  if (a.status == 202) return {};
  return "POST /v1/signups answered " + std::to_string(a.status) + ": " + a.text.substr(0, 600);
}

struct wrk_result {
  bool ok = false;
  std::string command, error, raw;
  uint64_t requests = 0, status_errors = 0, socket_errors = 0;
  double seconds = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0, mean_us = 0;
  uint64_t good() const { return requests >= status_errors ? requests - status_errors : 0; }
  double good_per_sec() const { return seconds > 0 ? static_cast<double>(good()) / seconds : 0; }
};

/// Runs wrk against 127.0.0.1:port with `script` (written to `script_file`).
/// When `finished` is given it is polled twice a second and, once it says yes,
/// wrk gets SIGINT and reports what it did so far (wrk's own thread:stop() does
/// not end the run: its main thread sleeps the whole duration).
inline wrk_result run_wrk(uint16_t port, const std::string& path, const std::string& script,
                          const std::string& script_file, int connections, int threads, double duration_s,
                          const std::function<bool()>& finished = {}) {
  wrk_result r;
  if (!write_file(script_file, script)) {
    r.error = "cannot write " + script_file;
    return r;
  }
  const long d = std::lround(duration_s);
  std::vector<std::string> argv_s = {"wrk", "-t" + std::to_string(threads), "-c" + std::to_string(connections),
                                     "-d" + std::to_string(d) + "s", "--timeout", "30s", "--latency", "-s",
                                     script_file, "http://127.0.0.1:" + std::to_string(port) + path};
  r.command = join_command(argv_s);
  const std::string out_file = script_file + ".out";
  const pid_t pid = spawn_logged(argv_s, out_file, r.error, SIGKILL);
  if (pid < 0) return r;
  const auto t0 = clock_type::now();
  int st = 0;
  bool exited = false, interrupted = false;
  while (seconds_since(t0) < static_cast<double>(d) + 60) {
    if (waitpid(pid, &st, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (finished && !interrupted && seconds_since(t0) > 1 && finished()) {
      ::kill(pid, SIGINT);
      interrupted = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  const int exit_code = exited && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream f(out_file, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  r.raw = ss.str();
  auto pos = r.raw.find("LBRESULT ");
  if (exit_code != 0 || pos == std::string::npos) {
    r.error = "wrk failed (exit " + std::to_string(exit_code) + "): " + r.raw.substr(0, 1500);
    return r;
  }
  unsigned long long req = 0, dur = 0, sterr = 0, c = 0, rd = 0, wr = 0, to = 0, p50 = 0, p90 = 0, p99 = 0, mx = 0,
                     mean = 0;
  int got = std::sscanf(r.raw.c_str() + pos,
                        "LBRESULT requests=%llu duration_us=%llu status=%llu connect=%llu read=%llu write=%llu "
                        "timeout=%llu p50=%llu p90=%llu p99=%llu max=%llu mean=%llu",
                        &req, &dur, &sterr, &c, &rd, &wr, &to, &p50, &p90, &p99, &mx, &mean);
  if (got != 12) {
    r.error = "cannot parse wrk's result line: " + r.raw.substr(pos, 200);
    return r;
  }
  r.requests = req;
  r.seconds = static_cast<double>(dur) / 1e6;
  r.status_errors = sterr;
  r.socket_errors = c + rd + wr + to;
  r.p50_us = static_cast<double>(p50);
  r.p90_us = static_cast<double>(p90);
  r.p99_us = static_cast<double>(p99);
  r.max_us = static_cast<double>(mx);
  r.mean_us = static_cast<double>(mean);
  r.ok = true;
  return r;
}

inline void print_wrk(const char* label, const wrk_result& r) {
  if (!r.ok) {
    std::printf("  %-34s FAILED: %s\n", label, r.error.c_str());
    return;
  }
  std::printf("  %-34s %9.0f ok/s   p50 %7.2f ms  p99 %7.2f ms  (%llu ok, %llu non-2xx, %llu socket errors, %.1f s)\n",
              label, r.good_per_sec(), r.p50_us / 1000, r.p99_us / 1000, static_cast<unsigned long long>(r.good()),
              static_cast<unsigned long long>(r.status_errors), static_cast<unsigned long long>(r.socket_errors),
              r.seconds);
}

/// HTTP alone: GET /healthz on the server at `port` under wrk's load (the
/// same connections and threads as the load it is compared with); prints
/// wrk's command after "[name]" and the result.
inline wrk_result run_healthz(uint16_t port, const std::string& name, const std::string& script_file,
                              int connections, int threads, double seconds) {
  auto r = run_wrk(port, "/healthz", wrk_get_script("/healthz"), script_file, connections, threads, seconds);
  std::printf("  [%s] %s\n", name.c_str(), r.command.c_str());
  print_wrk("GET /healthz", r);
  std::fflush(stdout);
  return r;
}

/// The most this machine could do per second with nothing else done at all,
/// for items that each cost `http_requests` HTTP exchanges (client and server
/// both here: the cores over the /healthz rate, wrk included) plus RocksDB's
/// CPU for the keys each item writes (db_bench's sync=0 rate). In core-µs.
struct ceiling_estimate {
  unsigned cores = 1;
  double http_requests = 1;        // HTTP exchanges per item
  double http_us_per_request = 0;  // cores * 1e6 / healthz rate
  double keys_per_item = 0;        // keys written per item, counted in a data dir
  double keys_per_sec = 0;         // RocksDB's CPU: db_bench fillrandom sync=0
  double http_us() const { return http_requests * http_us_per_request; }
  double store_us() const { return keys_per_item * 1e6 / keys_per_sec; }
  double per_second() const { return cores * 1e6 / (http_us() + store_us()); }
};

inline ceiling_estimate estimate_ceiling(double healthz_rate, double http_requests, const written& w,
                                         double keys_per_sec) {
  ceiling_estimate c;
  c.cores = std::max(1u, std::thread::hardware_concurrency());
  c.http_requests = http_requests;
  c.http_us_per_request = c.cores * 1e6 / healthz_rate;
  c.keys_per_item = w.keys_per_lead();
  c.keys_per_sec = keys_per_sec;
  return c;
}

inline std::string fmt_ratio(double num, double den) {
  if (den <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", num / den);
  return buf;
}

/// Percentile of unsorted samples (sorts a copy).
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

} // namespace bench
