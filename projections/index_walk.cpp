#include "projections/index_walk.hpp"

#include <rocksdb/options.h>
#include <rocksdb/iterator.h>

#include <algorithm>

#include "storage/rocksdb_util.hpp"

namespace leadbase::projections::view_index {

using storage::storage_error;

char dim_of(queue_sort s) {
  switch (s) {
    case queue_sort::score_desc:
    case queue_sort::score_asc: return dim_score;
    case queue_sort::signed_up_desc:
    case queue_sort::signed_up_asc: return dim_signup;
    case queue_sort::followers_desc: return dim_followers;
  }
  return dim_score;
}

bool descending(queue_sort s) {
  return s == queue_sort::score_desc || s == queue_sort::signed_up_desc || s == queue_sort::followers_desc;
}

bool matches(const queue_query& q, const index_attrs& a) {
  // Disqualified leads are listed only when asked for by status.
  if (!q.status && a.status == lead_status::disqualified) return false;
  if (q.owner && a.owner != *q.owner) return false;
  if (q.stages.empty() ? (a.stage == work_stage::meeting_booked || a.stage == work_stage::closed)
                       : std::find(q.stages.begin(), q.stages.end(), a.stage) == q.stages.end())
    return false;
  if (q.team && a.team != *q.team) return false;
  if (!q.levels.empty() && std::find(q.levels.begin(), q.levels.end(), a.level) == q.levels.end()) return false;
  if (q.status && a.status != *q.status) return false;
  if (q.creator_tier && a.tier != *q.creator_tier) return false;
  if (q.country && a.country != upper_ascii(*q.country)) return false;
  if (q.min_followers && a.followers < *q.min_followers) return false;
  if (q.max_followers && a.followers > *q.max_followers) return false;
  if (q.signed_up_after && a.signed_up_at < *q.signed_up_after) return false;
  if (q.signed_up_before && a.signed_up_at >= *q.signed_up_before) return false;
  return true;
}

namespace {

/// One bounded scan of one index scope, in either direction.
struct scope_scan {
  std::string prefix, lower, upper;
  rocksdb::Slice lower_s, upper_s;
  std::unique_ptr<rocksdb::Iterator> it;

  std::string_view suffix() const {
    auto k = it->key();
    return std::string_view(k.data() + prefix.size(), k.size() - prefix.size());
  }
};

/// One scope's iterator, bounded by lo/hi (value:8 bounds, hi exclusive) and
/// positioned at its first entry after `after` (or at it, `inclusive`) in the
/// walk's direction.
result<std::unique_ptr<scope_scan>> open_scope(const view_store& store, const rocksdb::ReadOptions& ro,
                                               std::string prefix,
                                               const std::optional<std::string>& lo,
                                               const std::optional<std::string>& hi,
                                               const std::optional<std::string>& after, bool inclusive, bool desc) {
  auto sc = std::make_unique<scope_scan>();
  sc->prefix = std::move(prefix);
  sc->lower = sc->prefix + (lo ? *lo : std::string());
  sc->upper = hi ? sc->prefix + *hi : prefix_successor(sc->prefix);
  sc->lower_s = rocksdb::Slice(sc->lower);
  sc->upper_s = rocksdb::Slice(sc->upper);
  rocksdb::ReadOptions sro = ro;
  sro.iterate_lower_bound = &sc->lower_s;
  sro.iterate_upper_bound = &sc->upper_s;
  sc->it = store.iterator(view_family::index, sro);
  auto& it = *sc->it;
  if (!desc) {
    std::string target = after ? std::max(sc->prefix + *after, sc->lower) : sc->lower;
    it.Seek(target);
    if (after && !inclusive && it.Valid() && it.key().ToStringView() == sc->prefix + *after) it.Next();
  } else {
    std::string target = after ? std::min(sc->prefix + *after, sc->upper) : sc->upper;
    it.SeekForPrev(target);
    while (it.Valid() && (it.key().ToStringView() >= std::string_view(sc->upper) ||
                          (after && !inclusive && it.key().ToStringView() == sc->prefix + *after)))
      it.Prev();
  }
  if (!it.status().ok()) return storage_error(it.status(), "queue index seek");
  return sc;
}

/// The index scopes a walk of dimension `dim` merges for q's filters.
std::vector<std::string> scopes_of(const queue_query& q, char dim, bool claimable_only) {
  std::vector<std::string> scopes;
  if (claimable_only) {
    scopes.push_back(std::string(1, claimable_scope));  // only the score sort has it
  } else if (dim != dim_score) {
    scopes.push_back(std::string(1, scope_all));  // only the score index has team and level scopes
  } else if (!q.levels.empty()) {
    for (char l : q.levels) {
      std::string s = level_scope(l);
      if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.push_back(std::move(s));
    }
  } else if (q.team) {
    scopes.push_back(team_scope(*q.team));
  } else {
    scopes.push_back(std::string(1, scope_all));
  }
  return scopes;
}

} // namespace

result<index_walk> walk_index(const view_store& store, const rocksdb::ReadOptions& ro, const queue_query& q,
                              const std::optional<std::string>& after, size_t limit, size_t cap, bool claimable_only,
                              bool inclusive) {
  const bool desc = descending(q.sort);
  const char dim = claimable_only ? dim_score : dim_of(q.sort);
  index_walk w;
  const std::vector<std::string> scopes = scopes_of(q, dim, claimable_only);
  // Range filters on the sorted value become seek bounds.
  std::optional<std::string> lo, hi;  // value:8 bounds, hi exclusive
  if (dim == dim_signup) {
    if (q.signed_up_after) lo = ordered(*q.signed_up_after);
    if (q.signed_up_before) hi = ordered(*q.signed_up_before);
  } else if (dim == dim_followers) {
    if (q.min_followers) lo = ordered(*q.min_followers);
    if (q.max_followers && *q.max_followers < INT64_MAX) hi = ordered(*q.max_followers + 1);
  }
  std::vector<std::unique_ptr<scope_scan>> scans;
  for (const auto& scope : scopes) {
    auto sc = open_scope(store, ro, index_prefix(dim, scope), lo, hi, after, inclusive, desc);
    if (!sc) return sc.err();
    scans.push_back(std::move(*sc));
  }
  bool capped = false;
  for (;;) {
    scope_scan* best = nullptr;
    for (auto& sc : scans) {
      if (!sc->it->Valid()) continue;
      if (!best || (desc ? sc->suffix() > best->suffix() : sc->suffix() < best->suffix())) best = sc.get();
    }
    if (!best || w.ids.size() >= limit) break;
    if (w.examined >= cap) {
      capped = true;
      break;
    }
    if (w.examined++ == 0) w.first_suffix.assign(best->suffix());
    w.last_suffix.assign(best->suffix());
    index_attrs a;
    if (!decode_attrs(best->it->value().ToStringView(), a)) return error{errc::corrupt_data, "corrupt index value"};
    if (matches(q, a)) w.ids.push_back(w.last_suffix.substr(8));
    if (desc)
      best->it->Prev();
    else
      best->it->Next();
  }
  w.more = capped;
  for (auto& sc : scans) {
    if (!sc->it->status().ok()) return storage_error(sc->it->status(), "queue index scan");
    w.more |= sc->it->Valid();
  }
  return w;
}

} // namespace leadbase::projections::view_index
