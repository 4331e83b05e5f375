#pragma once
// "Claim next" (API.md POST /v1/queue/claim): the best unassigned lead that
// matches the filters, in queue order, claimed through its own actor. The
// queue (the current-view projection) may be a little behind the leads: a
// candidate someone else claimed meanwhile answers 409 and the next one is
// tried, so concurrent callers never get the same lead (its actor decides
// one claim at a time).
#include <cstddef>
#include <string>

#include "actors/lead_service.hpp"
#include "projections/lead_views.hpp"

namespace leadbase::actors {

struct claim_next_options {
  size_t page = 50;            // candidates read from the queue at a time
  size_t max_candidates = 500; // tried at most before answering that none is left
};

/// Claims the first candidate of `filters` (owner and stage are set here:
/// unassigned, the default stages) for `by`. `done` hears the claimed lead's
/// outcome and state; success without a state when no candidate is left; an
/// error when the queue cannot be read or a claim fails for another reason
/// than a lost race. `leads` and `views` must outlive the call's answer.
void claim_next(lead_service& leads, const projections::lead_views& views, projections::queue_query filters,
                acting_person by, std::string correlation_id, work_callback done,
                claim_next_options opts = {});

} // namespace leadbase::actors
