// A session's write path: the answer of a responder (the reply channel), a
// response or a streamed one, then keep-alive, linger or close (http/session.hpp).
#include "http/session.hpp"

namespace leadbase::http {

void session::deliver(uint64_t seq, response res) {
  if (seq != seq_ || state_ != state::handling) {
    http_log()->debug("dropping a late answer (request {} on connection {})", seq, id_);
    return;
  }
  handler_timer_.cancel();
  write_response(std::move(res), false);
}

void session::begin_stream(uint64_t seq, response head, std::shared_ptr<stream_impl> st) {
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

void session::stream_flush() {
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

void session::write_response(response r, bool linger) {
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

void session::on_write(bool close, beast::error_code ec, std::size_t) {
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

void session::discard_body() {
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

void session::release_body() {
  core_->body_budget.release(body_reserved_);
  body_reserved_ = 0;
}

void session::release_output() {
  core_->output_budget.release(out_reserved_);
  out_reserved_ = 0;
}

void session::on_stream_header(beast::error_code ec, std::size_t) {
  stream_writing_ = false;
  if (ec || head_request_) {
    end_stream();
    return ec ? close_now() : do_close(false);
  }
  // Notice a client that goes away while the stream is quiet.
  peer_watch();
  stream_flush();
}

void session::peer_watch() {
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

void session::on_stream_write(beast::error_code ec, std::size_t) {
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

void session::end_stream() {
  if (stream_state_) stream_state_->ended();
}

void session::do_close(bool linger) {
  state_ = state::closing;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!linger || ec) return close_now();
  // Read and discard what the client still sends (e.g. the rest of an oversize
  // body) so that closing does not reset the connection before it read our answer.
  stream_.expires_after(linger_timeout);
  linger_read();
}

void session::linger_read() {
  auto self = shared_from_this();
  stream_.async_read_some(net::buffer(drain_buf_), [self](beast::error_code ec, std::size_t n) {
    self->lingered_ += n;
    if (ec || self->lingered_ > linger_max_bytes) return self->close_now();
    self->linger_read();
  });
}

void session::close_now() {
  state_ = state::closing;
  handler_timer_.cancel();
  end_stream();
  release_body();
  release_output();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
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

} // namespace leadbase::http
