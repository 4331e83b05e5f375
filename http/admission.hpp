#pragma once
// Admission control for the HTTP server: which connections get a slot, which
// idle one gives its slot up, and how many bytes of request and response bodies
// may be held at once. Plain accounting (no Beast, no Asio), so that the policy
// is unit-tested on its own; http/server.cpp and the sessions apply the decisions.
//
// Connection slots
//   `max_connections` ordinary slots plus a small reserve of "reject" slots. A
//   connection waiting for a request header (a fresh one, or an idle keep-alive
//   one) is *waiting*; once its header is complete it is *busy* until it waits
//   for the next header. At the limit a new connection takes the slot of the
//   connection that has waited longest (it is closed), so a flood of idle or
//   slow-header connections cannot keep a new client out. When every slot is
//   busy the new connection gets a reject slot: it is answered 503 with
//   Retry-After (GET/HEAD /healthz and /readyz are served), then closed. When
//   the reserve too is full the oldest waiting reject connection gives way;
//   only when none waits is a connection closed unanswered.
//
// Thread safety: every member is thread-safe (one mutex; O(log n) per call).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace leadbase::http {

/// A total of bytes shared by many holders (request bodies in flight, response
/// bytes queued for slow readers). Lock-free.
class byte_budget {
 public:
  explicit byte_budget(std::size_t limit) noexcept : limit_(limit) {}
  /// Takes `n` bytes when they fit under the limit; false (nothing taken) otherwise.
  bool try_acquire(std::size_t n) noexcept;
  void release(std::size_t n) noexcept;
  std::size_t in_use() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

class connection_slots {
 public:
  /// `reserve`: reject slots beyond max_connections (answer 503, serve probes).
  connection_slots(std::size_t max_connections, std::size_t reserve) noexcept
      : max_(max_connections), reserve_(reserve) {}

  enum class verdict {
    admit,   ///< an ordinary slot
    reject,  ///< a reject slot: answer 503 (probes are served), then close
    refuse,  ///< no slot at all: close at once
  };
  struct decision {
    verdict v = verdict::admit;
    std::optional<uint64_t> evict;  ///< close this waiting connection to make room
  };

  /// A new connection `id`; it starts waiting (for its first header).
  decision on_accept(uint64_t id);
  /// `id` waits for a request header (again); the order of these calls is the
  /// order of eviction.
  void waiting(uint64_t id);
  /// `id` has a complete request header.
  void busy(uint64_t id);
  /// `id` is gone (closed, for any reason).
  void ended(uint64_t id);

  std::size_t admitted() const;  ///< ordinary slots in use
  std::size_t rejecting() const;  ///< reject slots in use

 private:
  struct entry {
    bool reject = false;
    bool evicted = false;  ///< its slot was given to a newer connection
    std::optional<uint64_t> ticket;  ///< set while waiting: key in the waiting queue
  };
  using queue = std::map<uint64_t, uint64_t>;  ///< ticket (wait order) -> id

  void unqueue(entry& e);
  std::optional<uint64_t> evict_oldest(queue& q);

  const std::size_t max_;
  const std::size_t reserve_;
  mutable std::mutex m_;
  std::unordered_map<uint64_t, entry> entries_;
  queue waiting_, waiting_rejects_;
  uint64_t next_ticket_ = 0;
  std::size_t admitted_ = 0, rejecting_ = 0;
};

}  // namespace leadbase::http
