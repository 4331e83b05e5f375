#pragma once
// A responder for unit tests of route handlers: it hands the handler's answer
// to a function of the test instead of a connection. Test-owned, like
// failing_disk.hpp: production code has no such seam. Only the first answer
// counts (as on a connection); an exception of the test's function propagates
// to the handler's caller, so a failing REQUIRE inside it is not swallowed.
#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "http/router.hpp"

namespace leadbase::test {

class captured_channel final : public http::detail::reply_channel {
 public:
  explicit captured_channel(std::function<void(http::response)> fn) : fn_(std::move(fn)) {}
  void send(http::response res) override {
    if (done_.exchange(true)) return;
    if (fn_) fn_(std::move(res));
  }
  std::shared_ptr<http::event_stream> start_stream(http::response) override { return nullptr; }
  bool connected() const override { return !done_.load(); }

 private:
  std::function<void(http::response)> fn_;
  std::atomic<bool> done_{false};
};

/// A responder that calls `fn` with the first answer.
inline http::responder capture_responder(std::function<void(http::response)> fn) {
  return http::responder{std::make_shared<captured_channel>(std::move(fn))};
}

} // namespace leadbase::test
