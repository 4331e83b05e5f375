// The server (http/server.hpp): the acceptor, connection admission, the I/O
// threads, start and the graceful stop. A connection is a session (http/session.hpp).
#include "http/server.hpp"
#include "discovery/io_loop.hpp"

#include "http/session.hpp"

namespace leadbase::http {

namespace {

thread_local const void* tl_io_owner = nullptr;  // the server whose I/O thread this is

}  // namespace

// -- server --------------------------------------------------------------------------------

struct server::impl {
  impl(server_options o, router r, token_table t)
      : core_(std::make_shared<core>(std::move(o), std::move(r), std::move(t))), retry_timer_(ioc_) {}

  // Declaration order matters: the io_context dies before `core_`, and the
  // acceptor/timers/signals before the io_context.
  std::shared_ptr<core> core_;
  net::io_context ioc_;
  std::optional<tcp::acceptor> acceptor_;
  net::steady_timer retry_timer_;
  std::optional<net::signal_set> signals_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<uint16_t> port_{0};

  std::mutex stop_m_;  ///< serializes start() and stop()
  bool started_ = false;
  bool stopped_ = false;

  std::mutex req_m_;
  std::condition_variable req_cv_;
  bool stop_requested_ = false;

  void request_stop() {
    {
      std::lock_guard<std::mutex> g(req_m_);
      stop_requested_ = true;
    }
    req_cv_.notify_all();
  }

  status start() {
    std::lock_guard<std::mutex> g(stop_m_);
    if (started_) return error{errc::internal, "server already started"};
    // A route registered twice means the API is wired wrong: serve none of it.
    if (const auto& refused = core_->routes.refused(); !refused.empty())
      return error{errc::internal, "refused route " + refused.front()};
    const auto& o = core_->opts;
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(o.host, std::to_string(o.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
      return error{errc::internal, "cannot resolve listen host '" + o.host + "': " + ec.message()};
    tcp::endpoint ep = results.begin()->endpoint();
    acceptor_.emplace(net::make_strand(ioc_));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.reset();
      return error{errc::internal, "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message()};
    }
    port_ = acceptor_->local_endpoint(ec).port();
    work_.emplace(net::make_work_guard(ioc_));
    net::post(acceptor_->get_executor(), [this] { do_accept(); });
    unsigned n = std::max(1u, o.io_threads);
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] {
      name_this_thread("lb-http");
      io_thread();
    });
    started_ = true;
    http_log()->info("listening on {}:{} with {} I/O threads", ep.address().to_string(), port_.load(), n);
    return ok();
  }

  void io_thread() {
    tl_io_owner = this;
    discovery::run_io_loop(ioc_, *http_log(), "HTTP I/O thread");
  }

  void do_accept() {
    if (!acceptor_ || !acceptor_->is_open()) return;
    acceptor_->async_accept(net::make_strand(ioc_),
                            [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || core_->stopping.load()) return;
      http_log()->warn("accept failed: {}", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(50));
      retry_timer_.async_wait([this](beast::error_code e) {
        if (!e) net::post(acceptor_->get_executor(), [this] { do_accept(); });
      });
      return;
    }
    if (core_->stopping.load()) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    uint64_t id = ++core_->next_id;
    auto d = core_->slots.on_accept(id);
    if (d.evict) evict(*d.evict);
    switch (d.v) {
      case connection_slots::verdict::admit:
        std::make_shared<session>(std::move(socket), core_, id, false)->start();
        break;
      case connection_slots::verdict::reject:
        core_->overload_log.note("every one of the " + std::to_string(core_->opts.max_connections) +
                                 " connection slots is busy; answering 503");
        std::make_shared<session>(std::move(socket), core_, id, true)->start();
        break;
      case connection_slots::verdict::refuse:
        core_->overload_log.note("every connection slot and reject slot is busy; answering 503 unread");
        answer_unread(std::move(socket));
        break;
    }
    do_accept();
  }

  /// Closes the connection of session `id` (on its strand) if it still waits for a header.
  void evict(uint64_t id) {
    std::shared_ptr<session> s;
    {
      std::lock_guard<std::mutex> g(core_->m);
      auto it = core_->sessions.find(id);
      if (it != core_->sessions.end()) s = it->second.lock();
    }
    if (s) net::post(s->executor(), [s] { s->evict(); });
  }

  /// No slot at all: a 503 written at once (it fits the new socket's empty send
  /// buffer; never waits), then the connection is closed.
  static void answer_unread(tcp::socket socket) {
    static const std::string busy = [] {
      std::string body = to_json(make_problem(problem_kind::overloaded, "too many open connections"));
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
             "Connection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    if (!ec) socket.write_some(net::buffer(busy), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  void stop() {
    request_stop();
    if (tl_io_owner == this) {
      // From a handler: cannot join our own thread. Start the stop; the thread in
      // run() or the destructor finishes it.
      core_->stopping = true;
      net::post(ioc_, [this] { begin_shutdown(); });
      return;
    }
    std::lock_guard<std::mutex> g(stop_m_);
    if (stopped_) return;
    stopped_ = true;
    if (!started_) return;
    http_log()->info("stopping: {} open connections, grace {} ms", core_->active.load(), core_->opts.stop_grace.count());
    core_->stopping = true;
    begin_shutdown();
    auto deadline = std::chrono::steady_clock::now() + core_->opts.stop_grace;
    {
      std::unique_lock<std::mutex> lk(core_->m);
      core_->cv.wait_until(lk, deadline, [&] { return core_->active.load() == 0; });
    }
    if (core_->active.load() != 0) {
      http_log()->warn("stop grace over; closing {} connections", core_->active.load());
      for_each_session([](const std::shared_ptr<session>& s) {
        net::post(s->executor(), [s] { s->force_close(); });
      });
      std::unique_lock<std::mutex> lk(core_->m);
      core_->cv.wait_for(lk, std::chrono::seconds(1), [&] { return core_->active.load() == 0; });
    }
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
    std::unique_lock<std::shared_mutex> gate(core_->gate);
    core_->closed = true;
    http_log()->info("stopped");
  }

  /// Closes the listener and tells every session; safe from any thread.
  void begin_shutdown() {
    if (acceptor_)
      net::post(acceptor_->get_executor(), [this] {
        beast::error_code ec;
        if (acceptor_->is_open()) acceptor_->close(ec);
        retry_timer_.cancel();
      });
    if (signals_)
      net::post(ioc_, [this] {
        beast::error_code ec;
        signals_->cancel(ec);
      });
    for_each_session([](const std::shared_ptr<session>& s) {
      net::post(s->executor(), [s] { s->on_server_stop(); });
    });
  }

  template <class F>
  void for_each_session(F f) {
    std::vector<std::shared_ptr<session>> live;
    {
      std::lock_guard<std::mutex> g(core_->m);
      for (auto& [id, w] : core_->sessions)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) f(s);
    // `live` may hold the last reference: released here, outside the lock.
  }

  status run() {
    // Signals first: once start() accepts, /healthz answers, and a SIGTERM
    // sent as soon as it does must stop the server cleanly, not kill it
    // (the default action, until the handler is installed).
    if (core_->opts.handle_signals) {
      signals_.emplace(ioc_, SIGINT, SIGTERM);
      signals_->async_wait([this](beast::error_code ec, int sig) {
        if (ec) return;
        http_log()->info("signal {}: stopping", sig);
        request_stop();
      });
    }
    if (auto st = start(); !st) return st;
    {
      std::unique_lock<std::mutex> lk(req_m_);
      req_cv_.wait(lk, [&] { return stop_requested_; });
    }
    stop();
    return ok();
  }
};

server::server(server_options options, router routes, token_table tokens) {
  if (!routes.has("GET", "/healthz"))
    routes.add("GET", "/healthz", std::nullopt,
               [](request&, responder r) { r(json_response(200, R"({"status":"ok"})")); });
  if (!routes.has("GET", "/readyz")) {
    auto check = options.ready_check;
    routes.add("GET", "/readyz", std::nullopt, [check](request&, responder r) {
      readiness rd = check ? check() : readiness{};
      if (rd.ready)
        r(json_response(200, R"({"status":"ready"})"));
      else
        r(problem_response(problem_kind::overloaded, rd.detail.empty() ? "not ready" : rd.detail));
    });
  }
  impl_ = std::make_unique<impl>(std::move(options), std::move(routes), std::move(tokens));
}

server::~server() {
  stop();
  // If stop() was only requested from an I/O thread earlier, this call (from the
  // owning thread) completed it; a destructor running on an I/O thread would be a
  // misuse that stop() cannot repair.
}

status server::start() { return impl_->start(); }
void server::stop() { impl_->stop(); }
status server::run() { return impl_->run(); }
uint16_t server::port() const noexcept { return impl_->port_.load(); }
std::size_t server::connections() const noexcept { return impl_->core_->active.load(); }
std::vector<route_stats_snapshot> server::stats() const { return impl_->core_->routes.stats(); }

}  // namespace leadbase::http
