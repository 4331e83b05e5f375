#pragma once
// Online backups for a running server (POST /v1/admin/backups): one at a time,
// on a thread of their own, while the log keeps serving.
//
// A backup is taken (storage/backup.hpp: a checkpoint, answered to the caller
// with its id and position), then verified (the copy opened read-only, every
// chain audited), then older backups are pruned (only after a newer one verified).
// The figures for /metrics (last success, its size, failures) start from the
// backups already in the root, so they survive a restart.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/backup.hpp"

namespace leadbase::storage {

class backup_service {
 public:
  backup_service(event_log& log, std::string root, size_t keep);
  ~backup_service();  ///< waits for a backup in progress
  backup_service(const backup_service&) = delete;
  backup_service& operator=(const backup_service&) = delete;

  /// Called once the checkpoint is taken (or failed), from the backup thread.
  using taken_fn = std::function<void(const result<backup_info>&)>;
  /// Starts a backup; errc::conflict while one is in progress. `taken` is
  /// called before the verification starts.
  status start(taken_fn taken);

  struct figures {
    std::optional<millis> last_success;  ///< created_at of the newest verified backup
    uint64_t last_success_bytes = 0;
    uint64_t failures = 0;  ///< backups that failed (taking or verifying) since start
    bool running = false;
  };
  figures current() const;

  const std::string& root() const noexcept { return root_; }
  /// Waits until no backup is in progress (tests, shutdown).
  void wait_idle();

 private:
  void run(taken_fn taken);

  event_log& log_;
  const std::string root_;
  const size_t keep_;
  mutable std::mutex m_;
  figures figures_;
  std::thread worker_;
};

} // namespace leadbase::storage
