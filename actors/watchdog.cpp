#include "actors/watchdog.hpp"

#include "actors/messages.hpp"
#include "events/logging.hpp"

namespace leadbase::actors {
namespace {

caf::behavior watchdog(caf::event_based_actor* self, std::vector<std::pair<std::string, caf::actor>> core,
                       std::shared_ptr<core_failure> out) {
  std::vector<std::pair<std::string, caf::actor_addr>> watched;
  for (auto& [name, a] : core) {
    self->monitor(a);
    watched.emplace_back(name, a.address());
  }
  self->set_down_handler([self, watched, out](caf::down_msg& dm) {
    if (out->stopping.load()) return;
    for (const auto& [name, addr] : watched) {
      if (dm.source != addr) continue;
      const std::string why = "the " + name + " actor stopped (" + self->system().render(dm.reason) + ")";
      module_logger("actors")->critical("{}: the service cannot take writes until it is restarted", why);
      std::lock_guard<std::mutex> lock(out->mutex);
      if (!out->why) out->why = why;
    }
  });
  return {[](stop_atom) {}};  // it only watches
}

} // namespace

caf::actor spawn_watchdog(caf::actor_system& sys, std::vector<std::pair<std::string, caf::actor>> core,
                          std::shared_ptr<core_failure> out) {
  return sys.spawn(watchdog, std::move(core), std::move(out));
}

} // namespace leadbase::actors
