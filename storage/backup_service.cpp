#include "storage/backup_service.hpp"

#include <spdlog/spdlog.h>

#include "events/logging.hpp"

namespace leadbase::storage {

namespace {
std::shared_ptr<spdlog::logger> blog() {
  static auto logger = module_logger("backup");
  return logger;
}
} // namespace

backup_service::backup_service(event_log& log, std::string root, size_t keep)
    : log_(log), root_(std::move(root)), keep_(keep) {
  if (auto all = list_backups(root_))
    for (const auto& b : *all)
      if (b.verified) {
        figures_.last_success = b.created_at;
        figures_.last_success_bytes = b.size_bytes;
      }
}

backup_service::~backup_service() { wait_idle(); }

void backup_service::wait_idle() {
  std::thread t;
  {
    std::lock_guard<std::mutex> g(m_);
    t = std::move(worker_);
  }
  if (t.joinable()) t.join();
}

status backup_service::start(taken_fn taken) {
  std::lock_guard<std::mutex> g(m_);
  if (figures_.running) return error{errc::conflict, "a backup is in progress"};
  if (worker_.joinable()) worker_.join();  // the last one has ended (running is false)
  figures_.running = true;
  worker_ = std::thread([this, taken = std::move(taken)]() mutable { run(std::move(taken)); });
  return ok();
}

void backup_service::run(taken_fn taken) {
  auto b = create_backup(log_, root_, now_millis());
  if (taken) taken(b);
  bool good = false;
  uint64_t size = 0;
  millis at{0};
  if (!b) {
    blog()->error("backup failed: {}", b.err().message);
  } else if (auto v = verify_backup(root_, b->id); !v) {
    blog()->error("backup {}: cannot record its verification: {}", b->id, v.err().message);
  } else if (v->verified) {
    good = true;
    size = v->size_bytes;
    at = v->created_at;
    if (auto st = prune_backups(root_, keep_); !st) blog()->error("pruning old backups failed: {}", st.err().message);
  }
  std::lock_guard<std::mutex> g(m_);
  if (good) {
    figures_.last_success = at;
    figures_.last_success_bytes = size;
  } else {
    ++figures_.failures;
  }
  figures_.running = false;
}

backup_service::figures backup_service::current() const {
  std::lock_guard<std::mutex> g(m_);
  return figures_;
}

} // namespace leadbase::storage
