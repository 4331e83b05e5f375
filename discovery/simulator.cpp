// The simulator's HTTP server: Beast's async session shape (as http/server.cpp) on
// its own io_context. What to answer is decided in simulator_answers.cpp.
#include "discovery/simulator.hpp"
#include "discovery/io_loop.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "discovery/log.hpp"
#include "discovery/simulator_answers.hpp"

namespace leadbase::discovery {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Named (not anonymous) namespace: simulator::impl, which has external
// linkage, refers to these types.
namespace sim_detail {

/// Shared by every session: options, counters, and the per-handle request
/// counts that drive flaky_N_ handles and fail_rate draws.
struct shared_state {
  simulator_options opts;
  std::atomic<uint64_t> served{0};
  std::mutex attempts_mutex;
  std::unordered_map<std::string, uint64_t> attempts;

  uint64_t next_attempt(const sim_request& req) {
    if (!sim_needs_attempts(req.handle, opts.fail_rate)) return 0;
    const std::string key = (req.network == network::instagram ? "ig:" : "yt:") + req.handle;
    std::lock_guard<std::mutex> guard(attempts_mutex);
    return attempts[key]++;
  }
};

/// One client connection: read -> (delay) -> write -> read ..., until the
/// client closes, asks for close, idles out, or the server stops.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), state_(std::move(state)) {}

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();  // a fresh parser per message
    parser_->body_limit(64 * 1024);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(30));  // idle keep-alive connections go away
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec) return;  // timeout (socket already closed), reset, parse error: drop the connection
    auto req = parser_->release();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    state_->served.fetch_add(1, std::memory_order_relaxed);

    sim_answer answer;
    if (req.method() != http::verb::get) {
      answer.status = 405;
      answer.body = R"({"error":{"message":"Only GET is supported","type":"GraphMethodException","code":100}})";
      answer.headers.emplace_back("Allow", "GET");
    } else {
      auto routed = route_simulated(std::string_view(req.target().data(), req.target().size()));
      if (auto* a = std::get_if<sim_answer>(&routed)) {
        answer = std::move(*a);
      } else {
        const auto& call = std::get<sim_request>(routed);
        const uint64_t attempt = state_->next_attempt(call);
        answer = answer_simulated(call, state_->opts.seed, attempt, state_->opts.fail_rate);
      }
    }
    if (answer.hold) return hold();

    res_ = {static_cast<http::status>(answer.status), version};
    res_.set(http::field::server, "leadbase-simulator");
    res_.set(http::field::content_type, "application/json; charset=UTF-8");
    for (const auto& [name, value] : answer.headers) res_.set(name, value);
    res_.keep_alive(keep_alive);
    res_.body() = std::move(answer.body);
    res_.prepare_payload();

    if (state_->opts.latency_ms == 0) return do_write();
    timer_.expires_after(std::chrono::milliseconds(state_->opts.latency_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code waited) {
      if (!waited) self->do_write();
    });
  }

  /// err_timeout: keep the connection open and silent, then close it.
  void hold() {
    stream_.expires_never();
    timer_.expires_after(std::chrono::milliseconds(state_->opts.hold_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->do_close(); });
  }

  void do_write() {
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&session::on_write, shared_from_this(), res_.need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec) return;
    if (close) return do_close();
    res_ = {};
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<shared_state> state_;
};

} // namespace sim_detail

using sim_detail::session;
using sim_detail::shared_state;

struct simulator::impl {
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  std::string host;
  std::atomic<uint16_t> port{0};
  std::mutex lifecycle;
  bool started = false;
  bool stopped = false;

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<session>(std::move(socket), state)->run();
      do_accept();  // a failed accept (e.g. out of descriptors) must not stop the server
    });
  }

  void run() { run_io_loop(ioc, *logger(), "simulator"); }
};

simulator::simulator(simulator_options opts) : impl_(std::make_shared<impl>()) {
  impl_->state->opts = std::move(opts);
}

simulator::~simulator() { stop(); }

status simulator::start() {
  std::lock_guard<std::mutex> guard(impl_->lifecycle);
  if (impl_->started) return error{errc::conflict, "simulator already started"};
  const auto& opts = impl_->state->opts;
  if (!(opts.fail_rate >= 0 && opts.fail_rate <= 1)) return error{errc::validation, "fail_rate must be within 0..1"};
  auto listen = parse_listen(opts.listen);
  if (!listen) return listen.err();
  beast::error_code ec;
  const auto address = net::ip::make_address(listen->first, ec);
  if (ec) return error{errc::validation, "listen host must be an IP address: " + listen->first};
  const tcp::endpoint endpoint(address, listen->second);
  auto& acc = impl_->acceptor;
  if (acc.open(endpoint.protocol(), ec); ec) return error{errc::internal, "open: " + ec.message()};
  if (acc.set_option(net::socket_base::reuse_address(true), ec); ec)
    return error{errc::internal, "reuse_address: " + ec.message()};
  if (acc.bind(endpoint, ec); ec) return error{errc::internal, "bind " + opts.listen + ": " + ec.message()};
  if (acc.listen(net::socket_base::max_listen_connections, ec); ec)
    return error{errc::internal, "listen: " + ec.message()};
  impl_->port = acc.local_endpoint(ec).port();
  impl_->host = listen->first;
  impl_->started = true;
  impl_->do_accept();
  const unsigned n = std::max(1u, opts.threads);
  for (unsigned i = 0; i < n; ++i) impl_->threads.emplace_back([p = impl_.get()] { p->run(); });
  logger()->info("simulator listening on {}:{}", impl_->host, impl_->port.load());
  return ok();
}

uint16_t simulator::port() const noexcept { return impl_->port.load(); }

void simulator::stop() {
  std::lock_guard<std::mutex> guard(impl_->lifecycle);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  // Abandon the sessions rather than drain them: a simulator owes nobody a
  // graceful goodbye, and held (err_timeout) connections would otherwise keep
  // it alive for hold_ms. With the threads gone, the listener can be closed
  // directly, so the port is free even before the simulator is destroyed.
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  // Sessions still queued in the io_context are destroyed (and their sockets
  // closed) with it, when the impl goes.
}

uint64_t simulator::requests_served() const noexcept { return impl_->state->served.load(); }

std::string simulator::instagram_base_url() const {
  const bool v6 = impl_->host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(port()) + "/v21.0";
}

std::string simulator::youtube_base_url() const {
  const bool v6 = impl_->host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(port()) + "/youtube/v3";
}

int run_simulator(const simulator_options& opts) {
  // Catch the signals before serving, on an io_context of this thread's own.
  net::io_context signals_ioc;
  net::signal_set signals(signals_ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int) {});
  simulator sim(opts);
  if (auto st = sim.start(); !st) {
    std::cerr << "simulate-discovery: " << st.err().message << "\n";
    return 1;
  }
  std::cout << "simulate-discovery listening on " << parse_listen(opts.listen)->first << ":" << sim.port()
            << std::endl;
  signals_ioc.run();  // returns once a signal arrived
  sim.stop();
  logger()->info("simulator stopped after {} requests", sim.requests_served());
  return 0;
}

} // namespace leadbase::discovery
