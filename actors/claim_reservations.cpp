#include "actors/claim_reservations.hpp"

namespace leadbase::actors {

bool claim_reservations::try_hold(const std::string& lead_id, clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.emplace(lead_id, hold{0, now}).second;
}

void claim_reservations::drop(const std::string& lead_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(lead_id);
}

void claim_reservations::claimed(const std::string& lead_id, global_position position) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = held_.find(lead_id);
  if (it != held_.end()) it->second.position = position;
}

void claim_reservations::forget_applied(global_position applied, clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = held_.begin(); it != held_.end();) {
    const bool shown = it->second.position != 0 && it->second.position <= applied;
    if (shown || now - it->second.since > max_hold_)
      it = held_.erase(it);
    else
      ++it;
  }
}

size_t claim_reservations::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.size();
}

} // namespace leadbase::actors
