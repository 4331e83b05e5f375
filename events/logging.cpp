#include "events/logging.hpp"

#include <mutex>

namespace leadbase {

std::shared_ptr<spdlog::logger> module_logger(const std::string& name) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> guard(mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::default_logger()->clone(name);
  spdlog::register_logger(logger);
  return logger;
}

} // namespace leadbase
