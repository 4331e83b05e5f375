#pragma once
// A small asynchronous HTTP/1.1 GET client for the provider APIs. Beast and
// Asio stay inside http_client.cpp (pimpl): they are slow to compile, and the
// providers only need "GET this, call me back with the answer or why not".
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "events/errc.hpp"

namespace leadbase::discovery {

/// A provider's `base_url` taken apart: "https://graph.facebook.com/v21.0"
/// -> tls, "graph.facebook.com", 443, "/v21.0".
struct base_url {
  bool tls = false;
  std::string host;         ///< without IPv6 brackets
  uint16_t port = 0;        ///< 80 / 443 unless given
  std::string path_prefix;  ///< "" or "/v21.0": no trailing slash
  /// The Host header value: host, plus ":port" when not the scheme's default.
  std::string host_header() const;
};

/// Accepts http:// and https:// URLs with an optional port and path; no query,
/// fragment or user info. errc::validation, naming the problem, otherwise.
result<base_url> parse_base_url(std::string_view url);

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value
/// can go into a query string whatever it holds.
std::string url_encode(std::string_view s);

/// Decodes %XX escapes and '+' (as a space). Malformed escapes stay as they are.
std::string url_decode(std::string_view s);

/// A complete answer, whatever its status.
struct http_response {
  unsigned status = 0;
  std::string body;
  /// Field names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The first value of a header (name compared case-insensitively).
  std::optional<std::string> header(std::string_view name) const;
};

/// Why no complete answer arrived. The providers map these to error classes.
enum class transport_error : uint8_t {
  timeout,          ///< the call's deadline passed (resolve, connect, TLS, write or read)
  connect_refused,  ///< nothing listens there
  connect_failed,   ///< DNS failure, unreachable, ...
  tls_failed,       ///< handshake or certificate verification failed
  body_too_large,   ///< the body exceeded the client's body limit
  bad_response,     ///< the bytes are not an HTTP/1.1 response
  io,               ///< the connection broke mid-call
  shutdown,         ///< the client was destroyed with the call in flight
};

const char* to_string(transport_error e) noexcept;

struct http_failure {
  transport_error kind = transport_error::io;
  std::string detail;  ///< the system error's text, for debug logs
};

using http_outcome = std::variant<http_response, http_failure>;

struct http_client_options {
  /// Total time for one call: resolve + connect + TLS + write + read.
  std::chrono::milliseconds timeout{5000};
  /// Bodies above this fail with body_too_large (the answers we expect are KBs).
  std::size_t body_limit = 1024 * 1024;
  /// Keep-alive connections kept open for reuse.
  std::size_t max_idle = 8;
  /// An idle connection older than this is closed instead of reused: servers
  /// drop idle connections, and a fresh one is cheaper than a failed reuse.
  std::chrono::milliseconds idle_ttl{20000};
  std::string user_agent = "leadbase-discovery/0.1";
};

/// The options a provider's client runs with: its call timeout, and as many
/// idle keep-alive connections as it may have calls in flight. With fewer,
/// every burst past the pool closes connections and the next calls open new
/// ones (a TCP, and in production a TLS, handshake per call).
inline http_client_options provider_client_options(uint32_t timeout_ms, uint32_t max_in_flight) {
  http_client_options o;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.max_idle = std::max<std::size_t>(o.max_idle, max_in_flight);
  return o;
}

/**
 * GETs against one base URL, each call on a pooled keep-alive connection or a
 * new one.
 *
 * Operation: `get` queues the call on the client's I/O thread and returns.
 * `done` gets the response (any status) or a transport_error, exactly once,
 * on the I/O thread, within `timeout`. A reused connection the server had
 * already closed is retried once on a new connection, inside the same deadline.
 *
 * Concurrency: one io_context run by one thread owned by the client; `get` and
 * `post` may be called from any thread. Calls run concurrently without limit:
 * bounding them is the caller's job.
 *
 * TLS: OpenSSL with the system's default CA paths, peer verification and host
 * name checking, and SNI.
 *
 * Lifetime: the destructor aborts calls in flight (their `done` runs with
 * `shutdown`) and joins the thread. Never destroy the client from its own
 * I/O thread (inside `done`).
 */
class http_client {
 public:
  using callback = std::function<void(http_outcome)>;

  /// Starts the I/O thread. Fails (errc::internal) only if TLS cannot be set up.
  static result<std::unique_ptr<http_client>> create(base_url base, http_client_options opts);

  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// GETs `path_prefix + target`; `target` starts with '/' and carries the query.
  void get(std::string target, callback done);

  /// Runs `fn` on the I/O thread (for answers decided without a request).
  void post(std::function<void()> fn);

  const base_url& base() const noexcept;

  /// Connections opened so far: tests use it to see keep-alive reuse.
  uint64_t connections_opened() const noexcept;

  struct impl;

 private:
  explicit http_client(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;
};

} // namespace leadbase::discovery
