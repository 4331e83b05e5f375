#pragma once
// The enrichment service: owns the Creator Discovery providers and, per
// provider, the circuit breaker, the bounded number of calls in flight and the
// bounded queue behind them (a full queue answers `busy`, it never drops).
// Every request is answered exactly once, to the registry, which routes the
// result to the lead; the lead turns it into `enriched` or `enrichment_failed`.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/enrichment_actor.hpp"
#include "actors/lead_service.hpp"
#include "actors/registry_actor.hpp"
#include "discovery/options.hpp"
#include "discovery/provider.hpp"

namespace leadbase::actors {

/// A provider and its limits.
struct provider_slot_config {
  std::unique_ptr<discovery::provider> provider;
  size_t max_in_flight = 32;
  size_t max_queue = 10000;
};

/// Figures the enrichment actor publishes for /metrics (guarded by `mutex`).
struct enrichment_status {
  mutable std::mutex mutex;
  std::map<network, provider_status> by_network;
};

/// Spawns the enrichment actor. Results go to `registry` as (result_atom, enrich_result).
enrichment_actor spawn_enrichment(caf::actor_system& sys, std::vector<provider_slot_config> providers,
                                  const discovery::breaker_options& breaker, registry_actor registry,
                                  std::shared_ptr<enrichment_status> status);

} // namespace leadbase::actors
