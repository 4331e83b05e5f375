// A session's read path: a request header, routing and auth before the body
// (http/request_gate.hpp), the body within its budget, then the handler with its
// timeout; idle keep-alive and eviction (http/session.hpp).
#include "http/session.hpp"

namespace leadbase::http {

void session::start() {
  {
    std::lock_guard<std::mutex> g(core_->m);
    core_->sessions.emplace(id_, weak_from_this());
  }
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
}

void session::on_server_stop() {
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

void session::evict() {
  evicted_ = true;
  if (state_ == state::reading && !(parser_ && parser_->is_header_done())) {
    http_log()->debug("connection {} from {} gave its slot to a new connection", id_, remote_);
    close_now();
  }
}

std::chrono::microseconds session::elapsed() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
}

void session::access_log(int status) {
  if (http_log()->should_log(spdlog::level::debug))
    http_log()->debug("{} {} {} {}us cid={} conn={}", method_, path_, status, elapsed().count(), correlation_id_, id_);
}

void session::do_read() {
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

void session::on_idle_read(beast::error_code ec, std::size_t n) {
  if (ec == net::error::eof) return do_close(false);
  if (ec) return on_read_error(ec);
  buffer_.commit(n);
  read_header();
}

void session::read_header() {
  stream_.expires_after(core_->opts.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_header(beast::error_code ec, std::size_t) {
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

void session::read_body() {
  stream_.expires_after(core_->opts.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read_error(beast::error_code ec) {
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

void session::on_read(beast::error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  handle_request();
}

void session::handle_request() {
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

void session::on_handler_timeout(uint64_t seq, beast::error_code ec) {
  if (ec || seq != seq_ || state_ != state::handling) return;
  http_log()->warn("{} {} got no answer within {} ms (cid={})", method_, path_,
              core_->opts.handler_timeout.count(), correlation_id_);
  auto res = to_response(make_problem(problem_kind::overloaded, "the request was not answered in time"));
  res.close = true;
  write_response(std::move(res), false);
}

} // namespace leadbase::http
