#pragma once
// Walks of the queue index (projections/lead_views.hpp, "Queue pages"): the
// scopes of a sort merged in sort order, filtered on the index values, bounded
// in the entries they examine. Shared by queue pages and "claim next" candidates.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "projections/index_keys.hpp"
#include "projections/lead_views.hpp"
#include "projections/view_store.hpp"

namespace rocksdb {
struct ReadOptions;
} // namespace rocksdb

namespace leadbase::projections::view_index {

/// The index dimension of a sort.
char dim_of(queue_sort s);
bool descending(queue_sort s);
/// Whether a lead's index value passes q's filters.
bool matches(const queue_query& q, const index_attrs& a);

/// What one walk of the queue index found: the ids of up to `limit` matching
/// leads in sort order, the sort key (value:8 + lead id) of the last entry
/// examined, and whether entries are left after it.
struct index_walk {
  std::vector<std::string> ids;
  std::string first_suffix;  // of the first entry examined (a live one: iterators skip tombstones)
  std::string last_suffix;
  bool more = false;
  size_t examined = 0;
};

/// Walks the index scope(s) of q's sort in order, strictly after `after` (or
/// from it, `inclusive`), under `ro` (a walk's snapshot, or none), examining
/// at most `cap` entries. `claimable_only` walks the scope of unassigned,
/// claimable leads instead of the sort's own (score sort only).
result<index_walk> walk_index(const view_store& store, const rocksdb::ReadOptions& ro, const queue_query& q, const std::optional<std::string>& after, size_t limit,
                              size_t cap, bool claimable_only, bool inclusive = false);

} // namespace leadbase::projections::view_index
