#pragma once
// Routes: (method, path pattern with {param} segments, scope, handler).
//
// A handler is `void(request&, responder)`. It may answer at once or keep the
// responder (it is copyable and thread-safe) and answer later from any thread,
// e.g. from an actor after the journal write. Calling a responder after the
// client or the server went away is a harmless no-op; only the first call of a
// request's responder counts. A handler that never answers does not leak the
// connection: the server answers 503 after `server_options::handler_timeout`.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/errc.hpp"
#include "http/auth.hpp"
#include "http/message.hpp"

namespace leadbase::http {

// -- streaming (Server-Sent Events) ----------------------------------------------

/// The body of a streaming response (chunked transfer encoding), e.g.
/// `text/event-stream` for GET /v1/feed/stream. All members are thread-safe.
///
/// Backpressure: at most `server_options::stream_queue_limit` bytes wait to be
/// written; past that `write` refuses (returns false, queues nothing). Producers
/// either poll `queued_bytes()` or register `on_drain` and resume from it.
class event_stream {
 public:
  virtual ~event_stream() = default;
  /// Queues `chunk` for sending. False when the stream is closed or the queue is full.
  virtual bool write(std::string chunk) = 0;
  /// Bytes queued and not yet written to the socket.
  virtual std::size_t queued_bytes() const = 0;
  /// False once the client went away, the server is stopping, or close() was called.
  virtual bool is_open() const = 0;
  /// Called (on an I/O thread, without locks held) each time the queue becomes empty.
  /// Replaces an earlier callback.
  virtual void on_drain(std::function<void()> cb) = 0;
  /// Called once (on an I/O thread) when the stream ends for any reason.
  /// Called at once if it already ended.
  virtual void on_close(std::function<void()> cb) = 0;
  /// Ends the response after the queued bytes; the connection then closes.
  virtual void close() = 0;
};

/// One SSE message: "id: ID\nevent: EVENT\ndata: line\n…\n\n". Empty id/event are
/// left out; `data` is split on newlines.
std::string sse_message(std::string_view id, std::string_view event, std::string_view data);

namespace detail {
/// Implemented by the server's session for one request.
class reply_channel {
 public:
  virtual ~reply_channel() = default;
  virtual void send(response res) = 0;
  virtual std::shared_ptr<event_stream> start_stream(response head) = 0;
  virtual bool connected() const = 0;
};
}  // namespace detail

// -- responder ------------------------------------------------------------------

/// Sends the answer to one request. Copyable, thread-safe; the first call wins.
class responder {
 public:
  responder() = default;
  explicit responder(std::shared_ptr<detail::reply_channel> ch) : ch_(std::move(ch)) {}

  /// Sends `res` (posts onto the connection's strand; never blocks, never throws).
  void operator()(response res) const { send(std::move(res)); }
  void send(response res) const;
  /// Starts a streaming response with `head`'s status, content type and headers
  /// (its body is ignored). Returns nullptr if the request was already answered
  /// or the connection is gone.
  std::shared_ptr<event_stream> start_stream(response head) const;
  /// False once the connection is known to be gone (a hint; send stays safe).
  bool connected() const;

 private:
  std::shared_ptr<detail::reply_channel> ch_;
};

using handler = std::function<void(request&, responder)>;

// -- per-route statistics -----------------------------------------------------------

/// Latency histogram upper bounds in seconds (Prometheus-style, cumulative on export).
/// Starts at 100 µs: a read served from the projection takes tens of µs, and
/// the read target (docs/performance.md: p99 < 1 ms) cannot be read off a first bucket of 0.5 ms.
inline constexpr std::array<double, 14> latency_buckets_s = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                              0.005,  0.01,    0.025,  0.05,  0.1,
                                                              0.25,   0.5,     1.0,    5.0};

/// Lock-free counters of one route.
struct route_stats {
  std::array<std::atomic<uint64_t>, 5> by_class{};  ///< [0]=1xx … [4]=5xx
  std::atomic<uint64_t> latency_sum_us{0};
  std::array<std::atomic<uint64_t>, latency_buckets_s.size() + 1> buckets{};  ///< last = +Inf; not cumulative

  void record(int status, std::chrono::microseconds latency) noexcept;
};

struct route_stats_snapshot {
  std::string method;   ///< "" for requests that matched no route
  std::string pattern;  ///< e.g. "/v1/leads/{lead_id}", or "unmatched"
  std::array<uint64_t, 5> by_class{};
  uint64_t count = 0;
  double latency_sum_s = 0;
  std::array<uint64_t, latency_buckets_s.size() + 1> cumulative_buckets{};  ///< last = +Inf = count
};

// -- router -------------------------------------------------------------------------

struct route_options {
  /// Media types accepted for a request body on POST/PUT/PATCH (lower case). Others
  /// → 415. Empty list: anything. A request with neither a body nor a
  /// Content-Type passes (e.g. POST …/enrichment/retry).
  std::vector<std::string> content_types = {"application/json"};
};

struct route {
  std::string method;
  std::string pattern;
  std::optional<scope> required_scope;  ///< std::nullopt: public route, no token needed
  handler fn;
  route_options options;
  std::vector<std::string> segments;  ///< pattern split on '/', "{x}" kept as is
  std::shared_ptr<route_stats> stats = std::make_shared<route_stats>();
};

class router {
 public:
  /// Registers a route. `pattern` starts with '/', segments "{name}" capture one
  /// decoded path segment. A literal segment wins over a parameter. A `{lead_id}`
  /// that fails the id rule (events/ids.hpp) is answered 422 (field "lead_id")
  /// before the handler runs.
  ///
  /// The same method and pattern twice is refused (errc::conflict), the first
  /// route stays: a second registration silently winning once hid which handler
  /// served GET /v1/leads/{id}. The refusal is also kept in refused(), and
  /// server::start() fails while there is one, so a caller that does not look
  /// at the status still cannot serve a half-wired API.
  status add(std::string method, std::string pattern, std::optional<scope> required_scope, handler fn,
             route_options options = {});

  /// Every refused registration, one line each ("GET /v1/x: registered twice").
  const std::vector<std::string>& refused() const noexcept { return refused_; }

  enum class match_kind { found, not_found, method_not_allowed, bad_path };
  struct match_result {
    match_kind kind = match_kind::not_found;
    const route* matched = nullptr;  ///< found
    std::string allow;               ///< method_not_allowed: "GET, POST"
  };
  /// Finds the route for `method` and the raw `path`; on success fills `params`
  /// with decoded values. bad_path: a malformed percent escape.
  match_result match(std::string_view method, std::string_view path,
                     std::map<std::string, std::string>& params) const;

  bool has(std::string_view method, std::string_view pattern) const;
  const std::vector<route>& routes() const noexcept { return routes_; }

  /// Counters of every route, plus one "unmatched" row.
  std::vector<route_stats_snapshot> stats() const;
  route_stats& unmatched_stats() const noexcept { return *unmatched_; }

 private:
  std::vector<route> routes_;
  std::vector<std::string> refused_;
  std::shared_ptr<route_stats> unmatched_ = std::make_shared<route_stats>();
};

}  // namespace leadbase::http
