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

namespace {

/// The module's logger: a clone of the default logger (same sinks) named "http",
/// or the one the application registered under that name.
std::shared_ptr<spdlog::logger> http_log() {
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

std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }
std::string_view sv(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

const beast::error_category& http_error_category() {
  static const auto& cat = bhttp::make_error_code(bhttp::error::bad_target).category();
  return cat;
}

thread_local const void* tl_io_owner = nullptr;  // the server whose I/O thread this is

constexpr std::size_t linger_max_bytes = 8 * 1024 * 1024;
constexpr auto linger_timeout = std::chrono::seconds(3);

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

}  // namespace

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

// -- streaming state -----------------------------------------------------------------

class stream_impl final : public event_stream {
 public:
  stream_impl(std::weak_ptr<session> s, std::shared_ptr<core> c, std::size_t limit)
      : session_(std::move(s)), core_(std::move(c)), limit_(limit) {}

  bool write(std::string chunk) override {
    if (chunk.empty()) return is_open();
    {
      std::lock_guard<std::mutex> g(m_);
      if (!open_ || close_requested_) return false;
      if (queued_ > 0 && queued_ + chunk.size() > limit_) return false;
      // Refused like a full queue when the server's output budget is spent.
      if (!core_->output_budget.try_acquire(chunk.size())) return false;
      pending_.append(chunk);
      queued_ += chunk.size();
      if (scheduled_) return true;
      scheduled_ = true;
    }
    post_flush();
    return true;
  }

  std::size_t queued_bytes() const override {
    std::lock_guard<std::mutex> g(m_);
    return queued_;
  }

  bool is_open() const override {
    std::lock_guard<std::mutex> g(m_);
    return open_ && !close_requested_;
  }

  void on_drain(std::function<void()> cb) override {
    std::lock_guard<std::mutex> g(m_);
    drain_cb_ = std::move(cb);
  }

  void on_close(std::function<void()> cb) override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (open_) {
        close_cb_ = std::move(cb);
        return;
      }
    }
    if (cb) cb();
  }

  void close() override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (!open_ || close_requested_) return;
      close_requested_ = true;
      if (scheduled_) return;
      scheduled_ = true;
    }
    post_flush();
  }

  // -- used by the session, on its strand --------------------------------------
  struct taken {
    std::string data;
    bool close = false;
  };
  taken take() {
    std::lock_guard<std::mutex> g(m_);
    taken t{std::move(pending_), close_requested_};
    pending_.clear();
    if (t.data.empty()) scheduled_ = false;
    return t;
  }
  void written(std::size_t n) {
    std::function<void()> cb;
    {
      std::lock_guard<std::mutex> g(m_);
      auto k = std::min(queued_, n);
      queued_ -= k;
      core_->output_budget.release(k);
      if (queued_ == 0 && open_) cb = drain_cb_;
    }
    if (cb) invoke(cb);
  }
  void ended() {
    std::function<void()> cb;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!open_) return;
      open_ = false;
      cb = std::move(close_cb_);
      drain_cb_ = nullptr;
      pending_.clear();
      core_->output_budget.release(queued_);
      queued_ = 0;
    }
    if (cb) invoke(cb);
  }

 private:
  static void invoke(const std::function<void()>& cb) {
    try {
      cb();
    } catch (const std::exception& e) {
      http_log()->error("event_stream callback threw: {}", e.what());
    } catch (...) {
      http_log()->error("event_stream callback threw");
    }
  }
  void post_flush();

  std::weak_ptr<session> session_;
  std::shared_ptr<core> core_;
  const std::size_t limit_;
  mutable std::mutex m_;
  std::string pending_;
  std::size_t queued_ = 0;
  bool open_ = true;
  bool close_requested_ = false;
  bool scheduled_ = false;  ///< a flush is posted or a write is in progress
  std::function<void()> drain_cb_;
  std::function<void()> close_cb_;
};

// -- session ---------------------------------------------------------------------------

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<core> c, uint64_t id, bool reject)
      : stream_(std::move(socket)),
        handler_timer_(stream_.get_executor()),
        core_(std::move(c)),
        id_(id),
        reject_(reject) {
    core_->active.fetch_add(1);
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~session() {
    if (stream_state_) stream_state_->ended();
    release_body();
    release_output();
    core_->slots.ended(id_);
    core_->session_ended(id_);
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

  void start() {
    {
      std::lock_guard<std::mutex> g(core_->m);
      core_->sessions.emplace(id_, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  // -- called on the strand -------------------------------------------------------

  /// The server is stopping: close if idle, else close after the current answer.
  void on_server_stop() {
    switch (state_) {
      case state::reading:
        if ((!parser_ || !parser_->got_some()) && buffer_.size() == 0) close_now();
        break;
      case state::streaming:
        if (stream_state_) stream_state_->close();
        break;
      default: break;  // handling / writing: on_write closes (stopping is set)
    }
  }

  void force_close() { close_now(); }

  /// Our slot went to a newer connection (connection_slots): close now if we
  /// still wait for a request header, else after the answer in progress.
  void evict() {
    evicted_ = true;
    if (state_ == state::reading && !(parser_ && parser_->is_header_done())) {
      http_log()->debug("connection {} from {} gave its slot to a new connection", id_, remote_);
      close_now();
    }
  }

  /// The answer of request `seq` (from a responder).
  void deliver(uint64_t seq, response res) {
    if (seq != seq_ || state_ != state::handling) {
      http_log()->debug("dropping a late answer (request {} on connection {})", seq, id_);
      return;
    }
    handler_timer_.cancel();
    write_response(std::move(res), false);
  }

  void begin_stream(uint64_t seq, response head, std::shared_ptr<stream_impl> st) {
    if (seq != seq_ || state_ != state::handling) {
      st->ended();
      return;
    }
    handler_timer_.cancel();
    release_body();
    state_ = state::streaming;
    stream_state_ = std::move(st);
    stats_->record(head.status, elapsed());
    access_log(head.status);
    stream_head_ = std::make_unique<bhttp::response<bhttp::empty_body>>();
    auto& h = *stream_head_;
    h.version(req_version_);
    h.result(static_cast<unsigned>(head.status >= 100 && head.status <= 999 ? head.status : 200));
    for (const auto& f : head.headers)
      if (!has_crlf(f.name) && !has_crlf(f.value)) h.insert(f.name, f.value);
    if (!head.content_type.empty()) h.set(bhttp::field::content_type, head.content_type);
    h.set("X-Correlation-Id", correlation_id_);
    h.keep_alive(false);
    if (req_version_ >= 11) h.chunked(true);
    stream_sr_ = std::make_unique<bhttp::response_serializer<bhttp::empty_body>>(h);
    stream_writing_ = true;
    stream_.expires_after(core_->opts.write_timeout);
    bhttp::async_write_header(stream_, *stream_sr_,
                              beast::bind_front_handler(&session::on_stream_header, shared_from_this()));
  }

  void stream_flush() {
    if (state_ != state::streaming || stream_writing_ || !stream_state_) return;
    auto t = stream_state_->take();
    if (!t.data.empty()) {
      stream_writing_ = true;
      stream_inflight_ = std::move(t.data);
      stream_.expires_after(core_->opts.write_timeout);
      if (req_version_ >= 11) {
        net::async_write(stream_, bhttp::make_chunk(net::buffer(stream_inflight_)),
                         beast::bind_front_handler(&session::on_stream_write, shared_from_this()));
      } else {
        net::async_write(stream_, net::buffer(stream_inflight_),
                         beast::bind_front_handler(&session::on_stream_write, shared_from_this()));
      }
      return;
    }
    if (t.close) {
      stream_writing_ = true;
      stream_.expires_after(core_->opts.write_timeout);
      auto self = shared_from_this();
      auto done = [self](beast::error_code, std::size_t) {
        self->stream_writing_ = false;
        self->end_stream();
        self->do_close(false);
      };
      if (req_version_ >= 11)
        net::async_write(stream_, bhttp::make_chunk_last(), std::move(done));
      else
        done({}, 0);
    }
  }

 private:
  enum class state { reading, handling, writing, streaming, closing };

  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
  }

  void access_log(int status) {
    if (http_log()->should_log(spdlog::level::debug))
      http_log()->debug("{} {} {} {}us cid={} conn={}", method_, path_, status, elapsed().count(), correlation_id_, id_);
  }

  // -- read ------------------------------------------------------------------------

  void do_read() {
    if (core_->stopping.load() && !reject_ && buffer_.size() == 0) return close_now();
    state_ = state::reading;
    method_.clear();
    path_.clear();
    head_request_ = false;
    route_ = nullptr;
    parser_.emplace();
    // No body limit while the header is read: Content-Length is judged after
    // routing and auth (so an anonymous client gets 401, not 413), and the limit
    // is set before the first body byte is parsed.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->header_limit(static_cast<std::uint32_t>(core_->opts.header_limit));
    if (!served_ || buffer_.size() > 0) return read_header();
    // Idle keep-alive: wait up to idle_timeout for the next request to start,
    // then give its header header_timeout like a new connection's.
    core_->slots.waiting(id_);
    stream_.expires_after(core_->opts.idle_timeout);
    stream_.async_read_some(buffer_.prepare(idle_read_bytes),
                            beast::bind_front_handler(&session::on_idle_read, shared_from_this()));
  }

  void on_idle_read(beast::error_code ec, std::size_t n) {
    if (ec == net::error::eof) return do_close(false);
    if (ec) return on_read_error(ec);
    buffer_.commit(n);
    read_header();
  }

  void read_header() {
    stream_.expires_after(core_->opts.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  /// The header is complete: decide on it alone (request_gate), then read the body.
  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    core_->slots.busy(id_);
    served_ = true;
    started_ = std::chrono::steady_clock::now();
    stats_ = &core_->routes.unmatched_stats();
    auto& msg = parser_->get();
    req_version_ = msg.version();
    request_head h;
    h.method = str(msg.method_string());
    h.target = str(msg.target());
    for (const auto& f : msg) h.headers.add(str(f.name_string()), str(f.value()));
    if (auto cl = parser_->content_length()) h.content_length = *cl;
    h.has_body = !parser_->is_done();
    h.remote_address = remote_;
    h.keep_alive = msg.keep_alive();
    req_keep_alive_ = h.keep_alive;
    method_ = h.method;
    path_ = h.target.substr(0, h.target.find('?'));
    const bool has_body = h.has_body;
    const auto content_length = h.content_length;
    const bool expect_continue = iequals(sv(msg[bhttp::field::expect]), "100-continue");
    head_request_ = method_ == "HEAD";
    // Over capacity the body stays unread: the connection closes after the
    // answer (lingering, so that the client reads it).
    if (reject_ && !is_probe(h.method, h.target)) {
      auto cid = h.headers.find("X-Correlation-Id");
      correlation_id_ = cid && is_valid_id(*cid) ? *cid : make_correlation_id();
      return write_response(to_response(make_problem(problem_kind::overloaded, "too many open connections")),
                            has_body);
    }
    auto v = check_request_head(std::move(h), core_->routes, core_->tokens, core_->opts.body_limit);
    correlation_id_ = v.rq.correlation_id;
    if (!v.correlation_note.empty()) http_log()->debug("{} {}: {}", method_, path_, v.correlation_note);
    if (v.matched) stats_ = v.matched->stats.get();
    if (v.refusal) {
      // The body is unread. One on its way (no 100-continue wait) and within the
      // limit is dropped unbuffered after the answer, keeping the connection;
      // otherwise the connection closes after the answer.
      bool keep = !has_body || (content_length && *content_length <= core_->opts.body_limit && !expect_continue);
      discard_ = has_body && keep ? *content_length : 0;
      return write_response(std::move(*v.refusal), !keep);
    }
    route_ = v.matched;
    rq_ = std::move(v.rq);
    if (has_body) {
      // Chunked: as much as the limit allows.
      std::size_t want = content_length ? static_cast<std::size_t>(*content_length) : core_->opts.body_limit;
      if (!core_->body_budget.try_acquire(want)) {
        core_->overload_log.note("request bodies in flight over " +
                                 std::to_string(core_->opts.max_body_bytes_in_flight) + " bytes; answering 503");
        return write_response(
            to_response(make_problem(problem_kind::overloaded, "too many request bodies in flight")), true);
      }
      body_reserved_ = want;
    }
    parser_->body_limit(core_->opts.body_limit);
    stream_.expires_after(core_->opts.read_timeout);
    if (parser_->is_done()) return on_read({}, 0);
    if (expect_continue) {
      static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      auto self = shared_from_this();
      net::async_write(stream_, net::buffer(cont), [self](beast::error_code ec2, std::size_t) {
        if (ec2) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(core_->opts.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return do_close(false);
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return;  // socket already closed
    bool header_done = parser_ && parser_->is_header_done();
    if (!header_done) {
      started_ = std::chrono::steady_clock::now();
      stats_ = &core_->routes.unmatched_stats();
      req_version_ = 11;
      correlation_id_ = make_correlation_id();
    }
    if (ec == bhttp::error::body_limit) {
      http_log()->info("request body over {} bytes from {}", core_->opts.body_limit, remote_);
      return write_response(to_response(make_problem(problem_kind::payload_too_large,
                                                     "the request body exceeds " +
                                                         std::to_string(core_->opts.body_limit) + " bytes")),
                            true);
    }
    if (&ec.category() == &http_error_category()) {
      http_log()->debug("malformed request from {}: {}", remote_, ec.message());
      std::string detail = ec == bhttp::error::header_limit ? "the request header is too large"
                                                            : "malformed HTTP request: " + ec.message();
      return write_response(to_response(make_problem(problem_kind::bad_request, std::move(detail))), true);
    }
    http_log()->debug("read from {} failed: {}", remote_, ec.message());
    close_now();
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    handle_request();
  }

  // -- handle ----------------------------------------------------------------------

  void handle_request() {
    ++seq_;
    state_ = state::handling;
    request rq = std::move(rq_);
    rq.body = std::move(parser_->get().body());
    const route& r = *route_;
    handler_timer_.expires_after(core_->opts.handler_timeout);
    handler_timer_.async_wait(beast::bind_front_handler(&session::on_handler_timeout, shared_from_this(), seq_));
    responder resp{make_channel()};
    try {
      r.fn(rq, resp);
    } catch (const std::exception& e) {
      http_log()->error("handler {} {} threw: {} (cid={})", r.method, r.pattern, e.what(), correlation_id_);
      resp(problem_response(problem_kind::internal));
    } catch (...) {
      http_log()->error("handler {} {} threw (cid={})", r.method, r.pattern, correlation_id_);
      resp(problem_response(problem_kind::internal));
    }
  }

  std::shared_ptr<detail::reply_channel> make_channel();

  void on_handler_timeout(uint64_t seq, beast::error_code ec) {
    if (ec || seq != seq_ || state_ != state::handling) return;
    http_log()->warn("{} {} got no answer within {} ms (cid={})", method_, path_,
                core_->opts.handler_timeout.count(), correlation_id_);
    auto res = to_response(make_problem(problem_kind::overloaded, "the request was not answered in time"));
    res.close = true;
    write_response(std::move(res), false);
  }

  // -- write -----------------------------------------------------------------------

  void write_response(response r, bool linger) {
    state_ = state::writing;
    release_body();
    if (!stats_) stats_ = &core_->routes.unmatched_stats();
    int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
    if (status < 200 || status == 204 || status == 304) r.body.clear();
    // The body stays in memory until the client has taken it: a client that
    // does not read holds it for up to write_timeout, so the total is bounded.
    std::size_t out = head_request_ ? 0 : r.body.size();
    if (out > 0 && !core_->output_budget.try_acquire(out)) {
      core_->overload_log.note("response bytes waiting for clients over " +
                               std::to_string(core_->opts.max_output_bytes_in_flight) + "; answering 503");
      r = to_response(make_problem(problem_kind::overloaded, "too many answers waiting for slow clients"));
      status = r.status;
      out = 0;
    }
    out_reserved_ = out;
    stats_->record(status, elapsed());
    access_log(status);
    linger_ = linger;
    try {
      res_ = {};
      res_.version(req_version_ ? req_version_ : 11);
      res_.result(static_cast<unsigned>(status));
      for (const auto& f : r.headers) {
        if (has_crlf(f.name) || has_crlf(f.value) || f.name.empty()) {
          http_log()->warn("dropping an invalid response header (cid={})", correlation_id_);
          continue;
        }
        res_.insert(f.name, f.value);
      }
      if (!r.content_type.empty() && !has_crlf(r.content_type)) res_.set(bhttp::field::content_type, r.content_type);
      if (!correlation_id_.empty()) res_.set("X-Correlation-Id", correlation_id_);
      res_.body() = std::move(r.body);
      bool keep = req_keep_alive_ && !r.close && !linger && !reject_ && !evicted_ && !core_->stopping.load();
      res_.keep_alive(keep);
      res_.prepare_payload();
      // HEAD: the header of the GET answer (its Content-Length included), no body.
      if (head_request_) res_.body().clear();
    } catch (const std::exception& e) {
      http_log()->error("building a response failed: {}", e.what());
      return close_now();
    }
    stream_.expires_after(core_->opts.write_timeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this(), res_.need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    release_output();
    if (ec) {
      http_log()->debug("write to {} failed: {}", remote_, ec.message());
      return close_now();
    }
    if (close || core_->stopping.load()) return do_close(linger_);
    res_ = {};
    correlation_id_.clear();
    if (discard_ > 0) return discard_body();
    do_read();
  }

  /// Reads and drops the body of a request refused on its header, in small
  /// pieces (nothing is held), then reads the next request. Meanwhile the
  /// connection may give its slot up like an idle one.
  void discard_body() {
    state_ = state::reading;
    parser_.reset();
    core_->slots.waiting(id_);
    auto n = std::min<std::size_t>(discard_, buffer_.size());
    buffer_.consume(n);
    discard_ -= n;
    if (discard_ == 0) return do_read();
    stream_.expires_after(core_->opts.read_timeout);
    stream_.async_read_some(net::buffer(drain_buf_.data(), std::min<std::size_t>(discard_, drain_buf_.size())),
                            [self = shared_from_this()](beast::error_code ec, std::size_t got) {
                              if (ec) return self->on_read_error(ec);
                              self->discard_ -= std::min<std::size_t>(got, self->discard_);
                              self->discard_body();
                            });
  }

  void release_body() {
    core_->body_budget.release(body_reserved_);
    body_reserved_ = 0;
  }
  void release_output() {
    core_->output_budget.release(out_reserved_);
    out_reserved_ = 0;
  }

  // -- streaming ------------------------------------------------------------------

  void on_stream_header(beast::error_code ec, std::size_t) {
    stream_writing_ = false;
    if (ec || head_request_) {
      end_stream();
      return ec ? close_now() : do_close(false);
    }
    // Notice a client that goes away while the stream is quiet.
    peer_watch();
    stream_flush();
  }

  void peer_watch() {
    auto self = shared_from_this();
    stream_.socket().async_read_some(net::buffer(drain_buf_), [self](beast::error_code ec, std::size_t) {
      if (self->state_ != state::streaming) return;
      if (ec) {
        self->end_stream();
        return self->close_now();
      }
      self->peer_watch();  // ignore anything the client sends meanwhile
    });
  }

  void on_stream_write(beast::error_code ec, std::size_t) {
    stream_writing_ = false;
    if (ec) {
      end_stream();
      return close_now();
    }
    auto n = stream_inflight_.size();
    stream_inflight_.clear();
    if (stream_state_) stream_state_->written(n);
    stream_flush();
  }

  void end_stream() {
    if (stream_state_) stream_state_->ended();
  }

  // -- close -----------------------------------------------------------------------

  void do_close(bool linger) {
    state_ = state::closing;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!linger || ec) return close_now();
    // Read and discard what the client still sends (e.g. the rest of an oversize
    // body) so that closing does not reset the connection before it read our answer.
    stream_.expires_after(linger_timeout);
    linger_read();
  }

  void linger_read() {
    auto self = shared_from_this();
    stream_.async_read_some(net::buffer(drain_buf_), [self](beast::error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > linger_max_bytes) return self->close_now();
      self->linger_read();
    });
  }

  void close_now() {
    state_ = state::closing;
    handler_timer_.cancel();
    end_stream();
    release_body();
    release_output();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  friend class channel_impl;

  static constexpr std::size_t idle_read_bytes = 1024;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  net::steady_timer handler_timer_;
  std::shared_ptr<core> core_;
  const uint64_t id_;
  uint64_t seq_ = 0;
  state state_ = state::reading;
  const bool reject_;
  bool served_ = false;        ///< a request header arrived before: waits are keep-alive idle
  bool evicted_ = false;       ///< the slot went to a newer connection: no keep-alive
  bool head_request_ = false;  ///< a HEAD request: the answer's header only
  bool req_keep_alive_ = true;
  unsigned req_version_ = 11;
  bool linger_ = false;
  std::size_t lingered_ = 0;
  uint64_t discard_ = 0;           ///< body bytes of a refused request still to drop
  std::size_t body_reserved_ = 0;  ///< from core::body_budget until the answer starts
  std::size_t out_reserved_ = 0;   ///< from core::output_budget until the answer is written
  request rq_;                     ///< the request, between its header and its body
  const route* route_ = nullptr;
  std::string correlation_id_;
  std::string method_, path_;
  std::string remote_;
  route_stats* stats_ = nullptr;
  std::chrono::steady_clock::time_point started_{};

  std::shared_ptr<stream_impl> stream_state_;
  std::unique_ptr<bhttp::response<bhttp::empty_body>> stream_head_;
  std::unique_ptr<bhttp::response_serializer<bhttp::empty_body>> stream_sr_;
  std::string stream_inflight_;
  bool stream_writing_ = false;
  std::array<char, 4096> drain_buf_{};
};

void stream_impl::post_flush() {
  std::shared_lock<std::shared_mutex> gate(core_->gate);
  if (core_->closed) return;
  auto s = session_.lock();
  if (!s) {
    ended();
    return;
  }
  net::post(s->executor(), [s] { s->stream_flush(); });
}

// -- reply channel: a responder's link to its session ------------------------------------

class channel_impl final : public detail::reply_channel {
 public:
  channel_impl(std::weak_ptr<session> s, uint64_t seq, std::shared_ptr<core> c)
      : session_(std::move(s)), seq_(seq), core_(std::move(c)) {}

  void send(response res) override {
    if (done_.exchange(true)) {
      http_log()->debug("responder called twice; the second answer is ignored");
      return;
    }
    std::shared_lock<std::shared_mutex> gate(core_->gate);
    if (core_->closed) return;
    auto s = session_.lock();
    if (!s) return;
    auto seq = seq_;
    // dispatch, not post: a handler that answers before it returns (every read
    // route) is running on the session's strand, so the answer is written at
    // once. Posted, it waited behind every completion already queued on the I/O
    // threads (with 64 busy connections, ~0.5 ms for a 50 µs GET /v1/leads/{id}).
    // An answer from another thread (an actor, a projection waiter) is still
    // posted to the strand. deliver() only starts the write, so running it here
    // cannot re-enter the handler.
    net::dispatch(s->executor(), [s, seq, res = std::move(res)]() mutable { s->deliver(seq, std::move(res)); });
  }

  std::shared_ptr<event_stream> start_stream(response head) override {
    if (done_.exchange(true)) return nullptr;
    std::shared_lock<std::shared_mutex> gate(core_->gate);
    if (core_->closed) return nullptr;
    auto s = session_.lock();
    if (!s) return nullptr;
    auto st = std::make_shared<stream_impl>(session_, core_, core_->opts.stream_queue_limit);
    auto seq = seq_;
    net::post(s->executor(),
              [s, seq, st, head = std::move(head)]() mutable { s->begin_stream(seq, std::move(head), st); });
    return st;
  }

  bool connected() const override {
    if (done_.load()) return false;
    return !session_.expired();
  }

 private:
  std::weak_ptr<session> session_;
  uint64_t seq_;
  std::shared_ptr<core> core_;
  std::atomic<bool> done_{false};
};

std::shared_ptr<detail::reply_channel> session::make_channel() {
  return std::make_shared<channel_impl>(weak_from_this(), seq_, core_);
}

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
    for (;;) {
      try {
        ioc_.run();
        break;
      } catch (const std::exception& e) {
        http_log()->error("I/O thread caught: {}", e.what());
      } catch (...) {
        http_log()->error("I/O thread caught an unknown exception");
      }
    }
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
    if (auto st = start(); !st) return st;
    if (core_->opts.handle_signals) {
      signals_.emplace(ioc_, SIGINT, SIGTERM);
      signals_->async_wait([this](beast::error_code ec, int sig) {
        if (ec) return;
        http_log()->info("signal {}: stopping", sig);
        request_stop();
      });
    }
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
