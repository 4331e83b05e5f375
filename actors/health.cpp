#include "actors/health.hpp"

#include "actors/lead_service.hpp"
#include "projections/runner.hpp"
#include "storage/event_log.hpp"

namespace leadbase {
namespace {

/// How far behind the log a projection may be and still serve (docs/http-api.md, /readyz).
constexpr double ready_lag_s = 5.0;

readiness not_ready(std::string why) { return {false, std::move(why)}; }

readiness lag_readiness(const projections::runner_info& i) {
  // A page that keeps failing (not damage: that is skipped and recorded, and
  // the instance stays ready, the rest serving; the alert LeadbaseDamagedEvents
  // reports it) is not ready even when the lag cannot be measured.
  if (i.failed && i.failing_seconds > ready_lag_s)
    return not_ready("the projections cannot apply the log (failing for more than 5 s)");
  if (i.lag_seconds > ready_lag_s) return not_ready("the projections are more than 5 s behind the log");
  return {};
}

readiness views_readiness(const projections::projection_runner& views) {
  auto i = views.info();
  if (i.state == projections::runner_state::stopped) return not_ready("the projection runner is not running");
  if (!i.caught_up) return not_ready("the projections are catching up with the log after the start");
  return lag_readiness(i);
}

} // namespace

readiness stats_readiness(const projections::projection_runner& stats) {
  auto i = stats.info();
  if (i.state == projections::runner_state::stopped) return not_ready("the stats projection is not running");
  if (!i.caught_up) return not_ready("the stats are catching up with the log after the start");
  return {};
}

readiness check_readiness(const health_parts& parts) {
  if (parts.log == nullptr) return not_ready("the event log is not open");
  if (parts.log->write_failure())
    return not_ready("the event log cannot write; nothing is acknowledged until it can (retrying)");
  if (parts.leads && parts.leads->failure())
    return not_ready("the write side has stopped; appends answer errors until the service is restarted");
  if (parts.stats) {
    if (auto r = stats_readiness(*parts.stats); !r.ready) return r;
    if (auto r = lag_readiness(parts.stats->info()); !r.ready) return r;
  }
  if (parts.views == nullptr) return {};
  return views_readiness(*parts.views);
}

} // namespace leadbase
