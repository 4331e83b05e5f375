#include "actors/eraser.hpp"

#include "actors/caf_error.hpp"
#include "events/logging.hpp"

namespace leadbase::actors {
namespace {

eraser_actor::behavior_type eraser(eraser_actor::pointer self, storage::event_log* log) {
  self->set_default_handler(caf::print_and_drop);
  return {
      [log](purge_atom, const std::string& lead_id) -> caf::result<void> {
        if (auto s = log->purge_deleted_key(lead_id); !s) {
          module_logger("journal")->error("purging a destroyed data key failed: {}", s.err().message);
          return to_caf(s.err());
        }
        return caf::unit;
      },
  };
}

} // namespace

eraser_actor spawn_eraser(caf::actor_system& sys, storage::event_log& log) {
  return sys.spawn<caf::detached>(eraser, &log);
}

} // namespace leadbase::actors
