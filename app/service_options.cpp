#include "app/service_options.hpp"

namespace leadbase::app {

actors::service_options service_options_from(const config& cfg) {
  actors::service_options so;
  so.max_in_flight = cfg.limits.max_in_flight_appends;
  so.max_live_leads = cfg.actors.max_live_leads;
  so.max_batch = cfg.journal.max_batch;
  so.passivate_after = std::chrono::milliseconds(cfg.actors.passivate_after_ms);
  so.snapshot_every = cfg.actors.snapshot_every;
  so.qualification = cfg.qualification;
  so.discovery = cfg.discovery;
  so.refresh_days = cfg.priority.refresh_days;
  so.claim_ttl_ms = static_cast<millis>(cfg.work.claim_ttl_hours * 3600000.0);
  return so;
}

projections::view_settings view_settings_from(const config& cfg) {
  projections::view_settings vs;
  vs.priority = cfg.priority;
  vs.rules_version = cfg.qualification.rules_version;
  return vs;
}

storage::log_options log_options_from(const config& cfg) {
  storage::log_options lo;
  lo.dir = cfg.data_dir;
  lo.sync = cfg.sync;
  lo.max_open_files = static_cast<int>(cfg.storage.max_open_files);
  lo.min_free_bytes = uint64_t{cfg.storage.min_free_disk_mb} << 20;
  return lo;
}

} // namespace leadbase::app
