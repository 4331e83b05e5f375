#include "storage/event_log_impl.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "events/time.hpp"
#include "storage/keys.hpp"

namespace leadbase::storage {

void event_log::impl::note_write(const rocksdb::Status& s) {
  if (s.ok()) {
    if (failing.load(std::memory_order_acquire)) recovered("a write succeeded");
    return;
  }
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(failure_mutex);
    ++health.failed_writes_total;
    ++health.failed_writes;
    if (!health.failure) {
      first = true;
      health.failing_since = now_millis();
      health.failed_writes = 1;
    }
    health.failure = s.ToString();
    failing.store(true, std::memory_order_release);
  }
  if (first) {
    storage_log()->error("event log cannot write: {}; nothing is acknowledged until it can (resuming in the background)",
                 s.ToString());
    recovery_cv.notify_all();
  }
}

void event_log::impl::recovered(const char* how) {
  write_health ended;
  {
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (!health.failure) return;
    ended = health;
    health.recovered_at = now_millis();
    health.recovered_after_failed_writes = health.failed_writes;
    health.recovered_from = *health.failure;
    ++health.recoveries;
    health.failure.reset();
    health.failed_writes = 0;
    health.restart_needed = false;
    health.failing_since = 0;
    failing.store(false, std::memory_order_release);
  }
  storage_log()->warn("event log writable again after {} failed writes in {:.1f} s ({})", ended.failed_writes,
              static_cast<double>(now_millis() - ended.failing_since) / 1000.0, how);
}

void event_log::impl::recover_writes() {
  using namespace std::chrono_literals;
  constexpr auto first_wait = 100ms, max_wait = 5000ms;
  auto wait = first_wait;
  std::unique_lock<std::mutex> lock(failure_mutex);
  while (!stopping) {
    if (!health.failure) {
      wait = first_wait;
      recovery_cv.wait(lock, [this] { return stopping || health.failure.has_value(); });
      continue;
    }
    if (recovery_cv.wait_for(lock, wait, [this] { return stopping; })) break;
    wait = std::min<std::chrono::milliseconds>(wait * 2, max_wait);
    if (!memtables_hold_data()) {
      // Resuming now would keep the failed WAL; its next write would abort.
      // Stay refusing writes (RocksDB does, without touching the WAL).
      if (!health.restart_needed) {
        health.restart_needed = true;
        storage_log()->critical("event log cannot resume without a restart: no unflushed data to start a new WAL with");
      }
      continue;
    }
    lock.unlock();
    rocksdb::Status s = db->Resume();
    if (s.ok()) s = write_marker();  // the probe: the log writes again
    if (s.ok()) recovered("resumed");
    else if (!s.IsBusy()) storage_log()->debug("resuming the event log failed: {}", s.ToString());
    lock.lock();
  }
}

bool event_log::impl::memtables_hold_data() const {
  uint64_t active = 0, immutable = 0;
  if (!db->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumEntriesActiveMemTable, &active) ||
      !db->GetAggregatedIntProperty(rocksdb::DB::Properties::kNumEntriesImmMemTables, &immutable))
    return false;
  return active + immutable > 0;
}

rocksdb::Status event_log::impl::write_marker() {
  rocksdb::WriteOptions wo;
  wo.sync = write_opts.sync;
  return db->Put(wo, cf(key_space::marker), marker_key, keys::be64(static_cast<uint64_t>(now_millis())));
}

void event_log::impl::stop_recovery() {
  {
    std::lock_guard<std::mutex> lock(failure_mutex);
    stopping = true;
  }
  recovery_cv.notify_all();
  if (recovery.joinable()) recovery.join();
}

std::optional<std::string> event_log::write_failure() const {
  if (!impl_->failing.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard<std::mutex> lock(impl_->failure_mutex);
  return impl_->health.failure;
}

write_health event_log::write_status() const {
  std::lock_guard<std::mutex> lock(impl_->failure_mutex);
  return impl_->health;
}

} // namespace leadbase::storage
