#pragma once
// "Claim next" (docs/http-api.md POST /v1/queue/claim): the best unassigned lead that
// matches the filters, in queue order, claimed through its own actor. The
// queue (the current-view projection) may be a little behind the leads: a
// candidate someone else claimed meanwhile answers 409 and the next one is
// tried, so concurrent callers never get the same lead (its actor decides
// one claim at a time). Candidates held by another claim in flight, or
// claimed but not yet out of the queue, are skipped without asking their
// actor (actors/claim_reservations.hpp: why).
#include <cstddef>
#include <string>

#include "actors/claim_reservations.hpp"
#include "actors/lead_service.hpp"
#include "projections/lead_views.hpp"

namespace leadbase::actors {

struct claim_next_options {
  size_t page = 50;             // candidates read from the queue at a time
  size_t max_candidates = 500;  // tried at most before answering that none is left
  size_t max_skipped = 100000;  // held by other claims and skipped, at most
};

/// Where a claim next looks and what it must not hand out twice.
struct claim_desk {
  lead_service& leads;
  const projections::lead_views& views;
  claim_reservations* held = nullptr;   ///< null: every lost race goes through the lead's actor
  global_position queue_position = 0;   ///< what the queue projection has applied now
};

/// Claims the first candidate of `filters` (owner and stage are set here:
/// unassigned, the default stages) for `by`. `done` hears the claimed lead's
/// outcome and state; success without a state when no candidate is left; an
/// error when the queue cannot be read or a claim fails for another reason
/// than a lost race. The desk's service, views and reservations must outlive
/// the call's answer.
void claim_next(const claim_desk& desk, projections::queue_query filters, acting_person by,
                std::string correlation_id, work_callback done, claim_next_options opts = {});

} // namespace leadbase::actors
