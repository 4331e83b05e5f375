#pragma once
// Starts the write side: the actor system, the journal, the lead registry, the
// enrichment service and the work scheduler, behind the CAF-free lead_service.
#include <chrono>
#include <memory>
#include <string>

#include "actors/erasure.hpp"
#include "actors/lead_service.hpp"
#include "discovery/options.hpp"
#include "events/qualification_options.hpp"
#include "storage/event_log.hpp"

namespace leadbase::actors {

struct service_options {
  size_t max_in_flight = 20000;   // appends waiting for the journal before 503
  size_t max_live_leads = 20000;  // lead actors kept alive (LRU)
  size_t max_batch = 4096;        // appends in one journal write
  std::chrono::milliseconds passivate_after{60000};
  std::chrono::milliseconds journal_timeout{30000};
  size_t scheduler_threads = 2;
  uint32_t snapshot_every = 50;   // events between two snapshots of a lead; 0 = never

  /// Qualify and enrich after each signup (off: the lead only records what it is told).
  bool follow_ups = true;
  qualification_options qualification;
  discovery::options discovery;   // providers whose section is absent are off
  uint32_t refresh_days = 30;
  millis claim_ttl_ms = 24LL * 60 * 60 * 1000;  // work.claim_ttl_hours
  size_t provider_queue = 10000;  // requests waiting for a provider call slot before `busy`
};

/// The service with its own CAF actor system. The log must outlive it. Fails
/// when a configured provider cannot be set up, the disposable-domain file
/// cannot be read, or (with follow-ups) the owed work cannot be read. An
/// erasure answers only once `read_side` (if any) dropped the lead's personal
/// data (actors/erasure.hpp); both must outlive the service.
result<std::unique_ptr<lead_service>> start_lead_service(storage::event_log& log, const service_options& opts,
                                                         erasure_read_side read_side = {});

} // namespace leadbase::actors
