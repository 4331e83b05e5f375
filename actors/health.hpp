#pragma once
// Readiness (GET /readyz, /v1/admin/status), decided in one place beside the
// lead service facade: the log is open and can write, the write side's actors
// run, and every projection (the views and the stats) has caught up with the
// log after the start and stays within 5 s of its head.
//
// "Caught up after the start": until a projection has applied the position
// that was the log's head when it started, its figures come from part of the
// log, so the instance is not ready (docs/http-api.md, stats and readiness are
// never partial). Anonymous callers read the detail: it names the kind of
// trouble only, never a path or a storage error.
#include <string>

namespace leadbase {
class lead_service;
namespace storage {
class event_log;
}
namespace projections {
class projection_runner;
}

struct readiness {
  bool ready = true;
  std::string detail;  ///< Why not, for the 503 problem's detail.
};

/// What readiness looks at; a null part is not running (the log, the views
/// runner) or not part of this process (the lead service, the stats).
struct health_parts {
  const storage::event_log* log = nullptr;
  const lead_service* leads = nullptr;
  const projections::projection_runner* views = nullptr;
  /// The stats projection's runner (projections/stats_projection.hpp).
  const projections::projection_runner* stats = nullptr;
};

/// Whether the stats may answer (GET /v1/stats, /v1/stats/series): their runner
/// runs and has caught up with the log after the start; why not otherwise.
readiness stats_readiness(const projections::projection_runner& stats);

readiness check_readiness(const health_parts& parts);

} // namespace leadbase
