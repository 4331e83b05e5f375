#pragma once
// One connection: reads a request (session_read.cpp: header, routing and auth
// before the body, the body, the handler), answers it (session_write.cpp: the
// response, a streamed response, keep-alive or close), on its own strand.
// Internal to the HTTP server (http/server.cpp, session_read.cpp,
// session_write.cpp, stream_queue.cpp): Beast and Asio types, never included
// outside http/server*.cpp and http/session*.cpp.
#include "http/stream_queue.hpp"

namespace leadbase::http {

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

  void start();

  // -- called on the strand -------------------------------------------------------

  /// The server is stopping: close if idle, else close after the current answer.
  void on_server_stop();

  void force_close() { close_now(); }

  /// Our slot went to a newer connection (connection_slots): close now if we
  /// still wait for a request header, else after the answer in progress.
  void evict();

  /// The answer of request `seq` (from a responder).
  void deliver(uint64_t seq, response res);

  void begin_stream(uint64_t seq, response head, std::shared_ptr<stream_impl> st);

  void stream_flush();

 private:
  enum class state { reading, handling, writing, streaming, closing };

  std::chrono::microseconds elapsed() const;

  void access_log(int status);

  // -- read ------------------------------------------------------------------------

  void do_read();

  void on_idle_read(beast::error_code ec, std::size_t n);

  void read_header();

  /// The header is complete: decide on it alone (request_gate), then read the body.
  void on_header(beast::error_code ec, std::size_t);

  void read_body();

  void on_read_error(beast::error_code ec);

  void on_read(beast::error_code ec, std::size_t);

  // -- handle ----------------------------------------------------------------------

  void handle_request();

  std::shared_ptr<detail::reply_channel> make_channel();

  void on_handler_timeout(uint64_t seq, beast::error_code ec);

  // -- write -----------------------------------------------------------------------

  void write_response(response r, bool linger);

  void on_write(bool close, beast::error_code ec, std::size_t);

  /// Reads and drops the body of a request refused on its header, in small
  /// pieces (nothing is held), then reads the next request. Meanwhile the
  /// connection may give its slot up like an idle one.
  void discard_body();

  void release_body();
  void release_output();

  // -- streaming ------------------------------------------------------------------

  void on_stream_header(beast::error_code ec, std::size_t);

  void peer_watch();

  void on_stream_write(beast::error_code ec, std::size_t);

  void end_stream();

  // -- close -----------------------------------------------------------------------

  void do_close(bool linger);

  void linger_read();

  void close_now();

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

} // namespace leadbase::http
