#pragma once
// The leads a "claim next" is trying now, or has claimed while the queue
// projection does not show them as taken yet (actors/claim_next.hpp).
//
// Why: concurrent "claim next" calls read the same top of the queue. Without
// this set they all try its first lead: one wins, and the others wait in that
// lead's mailbox until the winner's append is durable (an fsync) before they
// lose and move on to the next lead, where the same happens. N callers then
// take N fsyncs one after another (claim_bench, 32 clients, 100k leads: p50
// 102 ms, p99 159 ms). Holding a lead here first makes each caller skip the
// leads another one is trying, so their appends share one group commit.
//
// The set only saves lost races: the lead's actor still decides every claim,
// so a lead the set no longer holds (dropped after max_hold while the
// projection lags) is refused there with 409 and the walk moves on.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "events/lead_state.hpp"

namespace leadbase::actors {

class claim_reservations {
 public:
  using clock = std::chrono::steady_clock;

  explicit claim_reservations(std::chrono::milliseconds max_hold = std::chrono::seconds(30)) : max_hold_(max_hold) {}

  /// Holds `lead_id` for a claim being tried; false when another claim holds it.
  bool try_hold(const std::string& lead_id, clock::time_point now = clock::now());
  /// The claim was refused or lost: the lead is free for other claims again.
  void drop(const std::string& lead_id);
  /// The claim was appended at `position`: held until the queue has applied it.
  void claimed(const std::string& lead_id, global_position position);
  /// Forgets the claims the queue has applied (position <= applied) and any
  /// held longer than max_hold.
  void forget_applied(global_position applied, clock::time_point now = clock::now());
  size_t size() const;

 private:
  struct hold {
    global_position position = 0;  // 0: still being tried
    clock::time_point since;
  };
  std::chrono::milliseconds max_hold_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, hold> held_;
};

} // namespace leadbase::actors
