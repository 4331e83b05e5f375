#pragma once
// The state the server and its sessions share (core), the module logger and the
// small helpers every server file uses.
// Internal to the HTTP server (http/server.cpp, session_read.cpp,
// session_write.cpp, stream_queue.cpp): Beast and Asio types, never included
// outside http/server*.cpp and http/session*.cpp.
#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "events/ids.hpp"
#include "events/thread_name.hpp"
#include "http/admission.hpp"
#include "http/request_gate.hpp"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace leadbase::http {

/// The module's logger: a clone of the default logger (same sinks) named "http",
/// or the one the application registered under that name.
inline std::shared_ptr<spdlog::logger> http_log() {
  static const std::shared_ptr<spdlog::logger> lg = [] {
    if (auto existing = spdlog::get("http")) return existing;
    auto l = spdlog::default_logger()->clone("http");
    try {
      spdlog::register_logger(l);
    } catch (const spdlog::spdlog_ex&) {
      if (auto existing = spdlog::get("http")) return existing;
    }
    return l;
  }();
  return lg;
}

inline std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }
inline std::string_view sv(beast::string_view s) { return std::string_view(s.data(), s.size()); }

inline bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

inline const beast::error_category& http_error_category() {
  static const auto& cat = bhttp::make_error_code(bhttp::error::bad_target).category();
  return cat;
}

inline constexpr std::size_t linger_max_bytes = 8 * 1024 * 1024;
inline constexpr auto linger_timeout = std::chrono::seconds(3);

/// A bound being hit is logged at most once per interval, with how often it
/// was hit meanwhile: a flood of refused requests must not flood the log.
class throttled_warning {
 public:
  void note(const std::string& what) {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_.load(std::memory_order_relaxed);
    auto n = count_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (last != 0 && now - last < interval_ns) return;
    if (!last_.compare_exchange_strong(last, now)) return;
    count_.fetch_sub(n, std::memory_order_relaxed);
    http_log()->warn("{} ({} times since the last report)", what, n);
  }

 private:
  static constexpr int64_t interval_ns = 10'000'000'000;
  std::atomic<int64_t> last_{0};
  std::atomic<uint64_t> count_{0};
};

class session;

// -- core: state shared by the server and its sessions -----------------------------

struct core {
  core(server_options o, router r, token_table t)
      : opts(std::move(o)),
        routes(std::move(r)),
        tokens(std::move(t)),
        slots(opts.max_connections, opts.reject_slots),
        body_budget(opts.max_body_bytes_in_flight),
        output_budget(opts.max_output_bytes_in_flight) {}

  server_options opts;
  router routes;
  token_table tokens;
  connection_slots slots;
  byte_budget body_budget;    ///< request bodies being read or handled
  byte_budget output_budget;  ///< response bytes not yet taken by the clients
  throttled_warning overload_log;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> active{0};  ///< live sessions, rejecting ones included

  std::mutex m;  ///< guards `sessions`; cv signals `active` dropping
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<session>> sessions;
  uint64_t next_id = 0;  ///< the acceptor's strand only

  /// The io_context is alive while !closed; responders hold it shared while they
  /// touch a session, the server takes it exclusively before destroying the context.
  std::shared_mutex gate;
  bool closed = false;

  void session_ended(uint64_t id) {
    {
      std::lock_guard<std::mutex> g(m);
      sessions.erase(id);
      active.fetch_sub(1);
    }
    cv.notify_all();
  }
};

} // namespace leadbase::http
