#pragma once
// The Boost.Beast HTTP/1.1 server. Beast and Asio stay in
// the server's own files (server.cpp: acceptor, threads, stop; session_read.cpp
// and session_write.cpp: one connection; stream_queue.*: a streamed answer's
// queue; their internal headers server_core.hpp and session.hpp): this header
// shows only leadbase types.
//
// Operation
//   Each connection has its own strand. Per request: a fresh parser with
//   body_limit/header_limit, a read timeout, then route → auth → content type →
//   handler. The handler answers through a responder (now or later, from any
//   thread); the answer is written on the strand with a write timeout, then the
//   connection reads the next request (keep-alive) or closes.
//
// Hostile clients (issue 10): every request is routed and authenticated on its
// header (http/request_gate.hpp) before its body is read, and no 100 Continue
// goes to a refused request. A header must arrive within header_timeout; an
// idle keep-alive connection is closed after idle_timeout. Connection slots,
// request bodies in flight and response bytes queued for slow readers are
// bounded (http/admission.hpp); past a bound the answer is 503 + Retry-After,
// never a connection closed unanswered while a reject slot is free.
//
// Answers made here (all RFC 9457 problem documents):
//   400 malformed HTTP / bad header / bad percent escape / a repeated query
//   parameter / two Authorization headers, 413 Content-Length or body over
//   body_limit, 415 wrong Content-Type, 401 / 403 auth, 404, 405 with Allow
//   (a refusal made before the body was read closes the connection);
//   503 + Retry-After over the connection, body or output budgets, when not
//   ready (/readyz), when a handler did not answer within handler_timeout, and
//   while stopping. HEAD is answered by a GET route, without the body.
//
// X-Correlation-Id: when present and matching [A-Za-z0-9._:-]{1,64} it is used;
// when absent or malformed a random 16-hex-digit id is made (docs/http-api.md: "else a
// new one is made and returned"). Either way it is in request::correlation_id
// and in every response.
//
// Concurrency
//   All public members are thread-safe. stop() blocks until the I/O threads
//   have ended; called from an I/O thread (a handler) it only requests the stop.
//
// Limitations
//   No TLS, no HTTP/2, no pipelining beyond one request at a time per connection.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/health.hpp"
#include "events/errc.hpp"
#include "http/auth.hpp"
#include "http/router.hpp"

namespace leadbase::http {

using readiness = ::leadbase::readiness;  // actors/health.hpp

struct server_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  ///< 0: the OS picks one; see server::port().
  unsigned io_threads = 2;
  std::size_t body_limit = 1024 * 1024;  ///< 1 MiB → 413 beyond (docs/http-api.md)
  std::size_t header_limit = 16 * 1024;
  /// A request header must be complete this long after the connection opened
  /// (or, on a keep-alive connection, after its first byte); else it is closed.
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds idle_timeout{30000};     ///< Keep-alive: the next request must start by then.
  std::chrono::milliseconds read_timeout{30000};     ///< The body of one request.
  std::chrono::milliseconds write_timeout{30000};    ///< Per write (each chunk of a stream).
  std::chrono::milliseconds handler_timeout{60000};  ///< No answer by then → 503.
  std::chrono::milliseconds stop_grace{10000};       ///< stop(): in-flight requests get this long.
  /// Ordinary connection slots; at the limit the connection that has waited
  /// longest for a request header gives its slot up (http/admission.hpp).
  std::size_t max_connections = 10000;
  /// Further connections, each answered 503 + Retry-After (probes are served),
  /// when every ordinary slot is busy. Counts towards the descriptors in use.
  std::size_t reject_slots = 64;
  /// Request bodies held at once (Content-Length, or body_limit when chunked);
  /// a request that does not fit gets 503 + Retry-After before its body is read.
  std::size_t max_body_bytes_in_flight = 64 * 1024 * 1024;
  /// Response bytes not yet taken by the clients (bodies being written, stream
  /// queues); an answer that does not fit is replaced by 503 + Retry-After, a
  /// stream write that does not fit is refused like a full queue.
  std::size_t max_output_bytes_in_flight = 256 * 1024 * 1024;
  std::size_t stream_queue_limit = 1024 * 1024;      ///< event_stream backpressure threshold.
  /// Backs GET /readyz; unset means always ready.
  std::function<readiness()> ready_check;
  /// run() stops gracefully on SIGINT/SIGTERM when true.
  bool handle_signals = true;
};

class server {
 public:
  /// Takes the routes and tokens. Adds GET /healthz and GET /readyz unless the
  /// router already has them.
  server(server_options options, router routes, token_table tokens);
  ~server();  ///< Stops (gracefully) if still running.
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts the I/O threads. Fails with errc::internal and the
  /// reason (address in use, bad host, a route the router refused, …). Call once.
  status start();
  /// Graceful stop: closes the listener, closes idle connections, lets in-flight
  /// requests finish for up to stop_grace, then closes the rest and joins the I/O
  /// threads. Idempotent.
  void stop();
  /// start(), then block until stop() (or a signal, with handle_signals).
  status run();

  /// The bound port (valid after start()).
  uint16_t port() const noexcept;
  /// Open connections right now.
  std::size_t connections() const noexcept;
  /// Per-route counters (for /metrics).
  std::vector<route_stats_snapshot> stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace leadbase::http
