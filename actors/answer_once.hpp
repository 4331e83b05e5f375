#pragma once
// A caller's append callback that is called exactly once. If every copy of
// the message carrying it is dropped unanswered (the actor it went to died,
// the system is stopping), its destructor still answers `internal`, so no
// caller (an HTTP request) waits forever, and the in-flight slot it holds is
// given back.
#include <atomic>
#include <utility>

#include "actors/lead_service.hpp"

namespace leadbase::actors {

class answer_once {
 public:
  answer_once(append_callback done, std::atomic<size_t>& in_flight) : done_(std::move(done)), in_flight_(in_flight) {}
  answer_once(const answer_once&) = delete;
  answer_once& operator=(const answer_once&) = delete;

  ~answer_once() {
    if (answered_.load(std::memory_order_acquire)) return;
    append_outcome o;
    o.code = errc::internal;
    o.message = "the write path stopped before answering";
    answer(std::move(o));
  }

  /// The first call answers; any later one is ignored.
  void answer(append_outcome o) {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return;
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    done_(std::move(o));
  }

 private:
  append_callback done_;
  std::atomic<size_t>& in_flight_;
  std::atomic<bool> answered_{false};
};

} // namespace leadbase::actors
