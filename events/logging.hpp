#pragma once
// One named spdlog logger per module. Lives in the base
// library so every layer can use it; the pure model (fold, decide) never logs.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace leadbase {

/// The module's logger, created on first use with the default logger's sinks
/// and level. Safe from any thread.
std::shared_ptr<spdlog::logger> module_logger(const std::string& name);

} // namespace leadbase
