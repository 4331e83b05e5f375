#include "storage/rocksdb_logger.hpp"

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "events/logging.hpp"

namespace leadbase::storage {
namespace {

class spdlog_logger final : public rocksdb::Logger {
 public:
  spdlog_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::DEBUG_LEVEL), log_(module_logger("rocksdb")) {}

  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    const spdlog::level::level_enum to = map(level);
    if (!log_->should_log(to)) return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(buf, sizeof buf, format, copy);
    va_end(copy);
    if (n < 0) return;
    std::string_view text(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (to >= spdlog::level::warn) {
      size_t dropped = 0;
      if (!admit(dropped)) return;
      if (dropped > 0) log_->log(to, "{} ({} earlier RocksDB messages held back)", text, dropped);
      else log_->log(to, "{}", text);
      return;
    }
    log_->log(to, "{}", text);
  }

  void LogHeader(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::DEBUG_LEVEL, format, ap); }

 private:
  static spdlog::level::level_enum map(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::FATAL_LEVEL:
      case rocksdb::InfoLogLevel::ERROR_LEVEL: return spdlog::level::err;
      case rocksdb::InfoLogLevel::WARN_LEVEL: return spdlog::level::warn;
      default: return spdlog::level::debug;
    }
  }

  /// Whether a warning may be written now; `dropped`: those held back since the last one written.
  bool admit(size_t& dropped) {
    static constexpr size_t per_minute = 30;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    if (now - window_start_ >= std::chrono::minutes(1)) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= per_minute) {
      ++held_back_;
      return false;
    }
    ++in_window_;
    dropped = held_back_;
    held_back_ = 0;
    return true;
  }

  std::shared_ptr<spdlog::logger> log_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};
  size_t in_window_ = 0;
  size_t held_back_ = 0;
};

} // namespace

std::shared_ptr<rocksdb::Logger> make_rocksdb_logger() { return std::make_shared<spdlog_logger>(); }

} // namespace leadbase::storage
