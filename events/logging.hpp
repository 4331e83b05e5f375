#pragma once
// One named spdlog logger per module. Lives in the base
// library so every layer can use it; the pure model (fold, decide) never logs.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "events/strong_count.hpp"

namespace leadbase {

/// The module's logger, created on first use with the default logger's sinks
/// and level. Safe from any thread.
std::shared_ptr<spdlog::logger> module_logger(const std::string& name);

} // namespace leadbase

/// Versions and positions log as their numbers.
template <class Tag>
struct fmt::formatter<leadbase::strong_count<Tag>> : fmt::formatter<uint64_t> {
  template <class Context>
  auto format(leadbase::strong_count<Tag> c, Context& ctx) const {
    return fmt::formatter<uint64_t>::format(c.value(), ctx);
  }
};
