#pragma once
// The enrichment actor's interface (actors/enrichment.hpp spawns it). Every
// request is answered exactly once, to the registry, as (result_atom, enrich_result).
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace leadbase::actors {

using enrichment_actor = caf::typed_actor<
    /// A lead asks for one network's data: called now, queued behind the
    /// provider's call slots, or answered at once (busy, breaker open, disabled).
    caf::reacts_to<enrich_atom, enrich_request>,
    /// A provider answered (sent from its I/O thread).
    caf::reacts_to<fetched_atom, fetched_msg>>;

} // namespace leadbase::actors
