#pragma once
// The module's one spdlog logger (events/logging.hpp). Handles and tokens are
// personal or secret: log them at debug or below only (docs/domain.md).
#include <memory>

#include "events/logging.hpp"

namespace leadbase::discovery {

/// The "discovery" logger (the application's, if it registered one first).
inline std::shared_ptr<spdlog::logger> logger() { return module_logger("discovery"); }

} // namespace leadbase::discovery
