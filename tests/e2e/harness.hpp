#pragma once
// Process-level end-to-end test harness: the real `leadbase serve` as a child
// process on a free loopback port with a fresh data directory, and a small
// synchronous HTTP/1.1 client over POSIX sockets.
//
// server_process
//   start()   writes a TOML config (the dev tokens, sync = true, plus any
//             extra TOML the test gives), picks a free port (bind port 0),
//             fork/execs `LEADBASE_BIN serve --config F --data D --listen
//             127.0.0.1:P` (no shell) with stdout/stderr redirected to files in
//             the temp dir, and waits until GET /healthz answers 200 (20 s,
//             else it throws with the server's stderr). A port taken in the
//             meantime (rare) makes it retry on another one.
//   stop()    SIGTERM and wait (returns the exit code); kill() SIGKILL and
//             wait; restart() = start() again on the same data dir (and a new
//             port: ask port() again).
//   The temp dir (config, logs, data) is removed by the destructor unless
//   keep_files(true) or the environment has LEADBASE_E2E_KEEP=1.
//
// http_client
//   One keep-alive connection, reopened when the server closed it. request()
//   throws on I/O errors or timeout; try_request() returns status 0 with
//   `error` set instead (for the crash test). raw() writes arbitrary bytes
//   and reads one answer (malformed-HTTP tests). Bodies are read by
//   Content-Length, chunked, or until EOF.
//
// Everything is synchronous; timeouts are safety nets, not assertions.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace leadbase::e2e {

// The tokens of the configuration the harness writes (same values as the dev
// config in app/default_config.cpp).
inline constexpr const char* ingest_token = "dev-platform-token-0001";   // ingest
inline constexpr const char* read_token = "dev-sdr-token-0001";          // read
inline constexpr const char* audit_token = "dev-auditor-token-0001";     // read, audit
inline constexpr const char* admin_token = "dev-admin-token-0001";       // admin, read, audit, metrics, work
inline constexpr const char* ana_token = "dev-ana-token-0001";           // read, work (an SDR named "ana")
inline constexpr const char* bia_token = "dev-bia-token-0001";           // read, work (an SDR named "bia")

using header_pairs = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  int status = 0;           // 0: no answer (see error)
  std::string error;        // why there was no answer
  header_pairs headers;     // as received, in order
  std::string body;
  bool closed = false;      // the server closed the connection after this answer

  /// The first header of that name (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

class http_client {
 public:
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  http_client(http_client&& o) noexcept;
  http_client& operator=(http_client&& o) noexcept;

  /// Sends one request (Host and Content-Length added) and reads the answer.
  /// Throws std::runtime_error when no answer could be read.
  http_response request(const std::string& method, const std::string& target, const std::string& body = {},
                        const header_pairs& headers = {});
  /// Same, without throwing: status 0 and `error` on failure.
  http_response try_request(const std::string& method, const std::string& target, const std::string& body = {},
                            const header_pairs& headers = {}) noexcept;
  /// Writes `bytes` as they are (on a fresh connection unless keep-alive is
  /// open) and reads one answer. A write the server cut short is tolerated.
  http_response raw(const std::string& bytes);

  // Shorthands.
  http_response get(const std::string& target, const char* token = nullptr, header_pairs headers = {});
  http_response post_json(const std::string& target, const std::string& body, const char* token,
                          header_pairs headers = {});

  /// True when the server has closed the connection (EOF or reset) within `wait`.
  bool peer_closed(std::chrono::milliseconds wait);
  void close();
  void set_port(uint16_t port);
  uint16_t port() const { return port_; }

 private:
  void ensure_connected();
  void send_all(const std::string& bytes, bool tolerate_errors);
  http_response read_response(const std::string& method);
  bool fill(std::chrono::steady_clock::time_point deadline);  // false on EOF

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;
};

struct server_options {
  std::string extra_toml;       // appended to the config the harness writes
  bool builtin_config = false;  // run without --config (the built-in dev config)
  std::vector<std::string> extra_args;
};

class server_process {
 public:
  explicit server_process(server_options opts = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// Starts the server and waits until /healthz answers 200; throws with the
  /// server's stderr when it does not within 20 s.
  void start();
  /// SIGTERM, then waits (60 s, then SIGKILL and throw). Returns the exit code
  /// (128 + signal when killed by a signal).
  int stop();
  /// SIGKILL and wait.
  void kill();
  /// start() again on the same data dir (a new port).
  void restart() { start(); }
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path data_dir() const { return root_ / "data"; }
  std::filesystem::path config_file() const { return root_ / "leadbase.toml"; }
  /// The current (or last) run's stderr / stdout.
  std::string stderr_text() const;
  std::string stdout_text() const;
  void keep_files(bool keep) { keep_ = keep; }

  http_client client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return http_client(port_, timeout);
  }

 private:
  bool try_start_once(std::string& why, bool& port_taken);

  server_options opts_;
  std::filesystem::path root_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int run_ = 0;
  bool keep_ = false;
};

/// The result of running `leadbase ARGS...` to completion.
struct process_result {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out, err;
};
/// Runs LEADBASE_BIN with `args` (no shell), waits (timeout, then SIGKILL).
process_result run_leadbase(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// fork/exec of LEADBASE_BIN with `args` (no shell), stdout and stderr
/// appended to the given files (they may be the same). The child dies with the
/// test process (PR_SET_PDEATHSIG). Throws std::runtime_error when it cannot.
pid_t spawn_leadbase(const std::vector<std::string>& args, const std::filesystem::path& out_file,
                     const std::filesystem::path& err_file);

/// A free loopback TCP port (bind port 0, read it back, close).
uint16_t free_port();

/// Parses a JSON body; throws std::runtime_error with the text on error.
rapidjson::Document parse_json(const std::string& text);

/// A signup body with the given ids (email/name derived from the lead id
/// unless given).
std::string signup_body(const std::string& event_id, const std::string& lead_id, const std::string& email = {},
                        const std::string& name = {}, const std::string& occurred_at = "2026-11-28T12:00:00.000Z");

/// Bearer header for a token.
inline std::pair<std::string, std::string> bearer(const char* token) {
  return {"Authorization", std::string("Bearer ") + token};
}

/// A string unique to this process and call (for ids and needles).
std::string unique_suffix();

/// Every regular file under `dir` whose bytes contain `needle`.
std::vector<std::filesystem::path> files_containing(const std::filesystem::path& dir, const std::string& needle);

} // namespace leadbase::e2e
