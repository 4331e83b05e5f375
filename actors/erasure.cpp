#include "actors/erasure.hpp"

#include <chrono>

#include "events/logging.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"

namespace leadbase::actors {

void finish_erasure(const erasure_read_side& read_side, const std::string& lead_id, append_outcome outcome,
                    append_callback done) {
  if (read_side.runner == nullptr || read_side.views == nullptr) return done(std::move(outcome));
  const global_position position = outcome.position;
  read_side.runner->when_reached(
      position, std::chrono::seconds(10), [read_side, lead_id, outcome, done = std::move(done)](bool reached) {
        if (!reached)
          return done(append_outcome{
              errc::overloaded, "the erasure is stored; the views have not applied it yet, retry the call"});
        read_side.runner->run_maintenance([read_side, lead_id, outcome, done] {
          if (auto s = read_side.views->compact_lead(lead_id); !s) {
            module_logger("projections")->error("compaction after an erasure failed: {}", s.err().message);
            return done(append_outcome{s.err().code, s.err().message});
          }
          done(outcome);
        });
      });
}

} // namespace leadbase::actors
