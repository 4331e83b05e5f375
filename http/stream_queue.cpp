#include "http/stream_queue.hpp"

#include "http/session.hpp"

namespace leadbase::http {

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

} // namespace leadbase::http
