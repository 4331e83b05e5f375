#include "projections/lead_views.hpp"

#include <rocksdb/options.h>

#include <algorithm>

#include "projections/index_walk.hpp"

namespace leadbase::projections {

using namespace view_index;

result<lead_views::candidate_page> lead_views::claim_candidates(const queue_query& q, const std::string& after,
                                                               size_t limit) const {
  if (!store_.has_families()) return error{errc::internal, "the log has no index family"};
  queue_query cq = q;
  cq.sort = queue_sort::score_desc;
  cq.owner = std::string();  // the scope holds unassigned leads only; the filters say so again
  cq.stages.clear();
  cq.status.reset();
  // A first page starts at the hint (claim_hint.hpp: above it are only the
  // tombstones of leads claimed before), the next ones after the last entry.
  const bool first_page = after.empty();
  const claim_hint::seen hint = first_page ? hint_.read() : claim_hint::seen{};
  const std::optional<std::string> from = first_page ? hint.from : std::optional<std::string>(after);
  limit = std::max<size_t>(limit, 1);
  auto w = walk_index(store_, rocksdb::ReadOptions(), cq, from, limit,
                      std::max(limit * opts_.scan_cap_factor, opts_.min_scan_cap), /*claimable_only=*/true,
                      /*inclusive=*/first_page);
  if (!w) return w.err();
  if (first_page && !w->first_suffix.empty()) hint_.found(hint, w->first_suffix);
  candidate_page page;
  page.ids = std::move(w->ids);
  if (w->more && !w->last_suffix.empty()) page.next_after = std::move(w->last_suffix);
  return page;
}

} // namespace leadbase::projections
