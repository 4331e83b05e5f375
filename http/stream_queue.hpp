#pragma once
// The queue of one streaming response (event_stream, http/router.hpp): what the
// producers wrote and the session has not sent yet, bounded by
// stream_queue_limit and the server's output budget, with its drain and close
// callbacks. Producers call it from any thread; the session takes from it on its strand.
// Internal to the HTTP server (http/server.cpp, session_read.cpp,
// session_write.cpp, stream_queue.cpp): Beast and Asio types, never included
// outside http/server*.cpp and http/session*.cpp.
#include "http/server_core.hpp"

namespace leadbase::http {

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

} // namespace leadbase::http
