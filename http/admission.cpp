#include "http/admission.hpp"

namespace leadbase::http {

bool byte_budget::try_acquire(std::size_t n) noexcept {
  std::size_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (n > limit_ || cur > limit_ - n) return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  return true;
}

void byte_budget::release(std::size_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }

void connection_slots::unqueue(entry& e) {
  if (!e.ticket) return;
  (e.reject ? waiting_rejects_ : waiting_).erase(*e.ticket);
  e.ticket.reset();
}

std::optional<uint64_t> connection_slots::evict_oldest(queue& q) {
  if (q.empty()) return std::nullopt;
  auto it = q.begin();
  uint64_t id = it->second;
  q.erase(it);
  auto& e = entries_.at(id);
  e.ticket.reset();
  e.evicted = true;
  // The slot is free from now on; the connection's ended() does not free it again.
  --(e.reject ? rejecting_ : admitted_);
  return id;
}

connection_slots::decision connection_slots::on_accept(uint64_t id) {
  std::lock_guard<std::mutex> g(m_);
  decision d;
  entry e;
  if (admitted_ >= max_) {
    d.evict = evict_oldest(waiting_);
    if (!d.evict) {
      e.reject = true;
      if (rejecting_ >= reserve_) d.evict = evict_oldest(waiting_rejects_);
      if (rejecting_ >= reserve_) return decision{verdict::refuse, std::nullopt};
      d.v = verdict::reject;
    }
  }
  ++(e.reject ? rejecting_ : admitted_);
  e.ticket = next_ticket_++;
  (e.reject ? waiting_rejects_ : waiting_).emplace(*e.ticket, id);
  entries_[id] = e;
  return d;
}

void connection_slots::waiting(uint64_t id) {
  std::lock_guard<std::mutex> g(m_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.evicted) return;
  unqueue(it->second);
  it->second.ticket = next_ticket_++;
  (it->second.reject ? waiting_rejects_ : waiting_).emplace(*it->second.ticket, id);
}

void connection_slots::busy(uint64_t id) {
  std::lock_guard<std::mutex> g(m_);
  auto it = entries_.find(id);
  if (it != entries_.end()) unqueue(it->second);
}

void connection_slots::ended(uint64_t id) {
  std::lock_guard<std::mutex> g(m_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  unqueue(it->second);
  if (!it->second.evicted) --(it->second.reject ? rejecting_ : admitted_);
  entries_.erase(it);
}

std::size_t connection_slots::admitted() const {
  std::lock_guard<std::mutex> g(m_);
  return admitted_;
}

std::size_t connection_slots::rejecting() const {
  std::lock_guard<std::mutex> g(m_);
  return rejecting_;
}

}  // namespace leadbase::http
