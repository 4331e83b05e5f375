#pragma once
// The watchdog over the write side's core actors (journal, registry,
// scheduler, enrichment): the first one to stop while the service runs (an
// exception, say) is recorded, so readiness can say the service cannot take
// writes. The actors themselves make sure no caller waits forever
// (answer_once, request errors).
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

namespace leadbase::actors {

/// The first core actor that stopped while the service ran, and why.
struct core_failure {
  std::atomic<bool> stopping{false};  // the service's own shutdown: not a failure
  mutable std::mutex mutex;
  std::optional<std::string> why;
};

/// Spawns the watchdog over `core` (name, actor). It monitors them (it must
/// not die with them) and writes the first failure into `out`.
caf::actor spawn_watchdog(caf::actor_system& sys, std::vector<std::pair<std::string, caf::actor>> core,
                          std::shared_ptr<core_failure> out);

} // namespace leadbase::actors
