// GET /v1/leads pages (projections/lead_views.hpp, "Queue pages"): the cursor
// and its walk, a search's candidates, a walk of the queue index, the rows.
#include "projections/lead_views.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <set>

#include "projections/index_keys.hpp"
#include "projections/index_walk.hpp"
#include "projections/view_store.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

using namespace view_index;
using storage::storage_error;

/// The ids of a page in sort order and where a next page continues (the
/// sort key of its last entry; nullopt: no next page).
struct page_ids {
  std::vector<std::string> ids;
  std::optional<std::string> next_after;
};

/// The lead ids whose q keys hold a token starting with `text` (at most
/// `cap` q entries examined: beyond, the page is `truncated`).
result<std::set<std::string>> search_candidates(const view_store& store, const rocksdb::ReadOptions& ro,
                                                const std::string& text, size_t cap, queue_page& page) {
  const std::string prefix = q_search_prefix(text);
  std::string upper = prefix_successor(prefix);
  rocksdb::Slice lower_s(prefix), upper_s(upper);
  rocksdb::ReadOptions sro = ro;
  sro.iterate_lower_bound = &lower_s;
  sro.iterate_upper_bound = upper.empty() ? nullptr : &upper_s;
  auto it = store.iterator(view_family::index, sro);
  std::set<std::string> found;  // lead ids whose token starts with the text
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (page.examined >= cap) {
      page.truncated = true;
      break;
    }
    ++page.examined;
    auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    const auto lead = q_key_lead(key);
    if (!lead) continue;
    const std::string_view token = it->value().ToStringView();
    if (token.substr(0, text.size()) != text) continue;  // same bucket, other prefix
    found.emplace(*lead);
  }
  if (!it->status().ok()) return storage_error(it->status(), "search index");
  return found;
}

/// A search: the candidates of the q index, filtered on their attributes,
/// sorted by the requested sort and cut after `after`.
result<page_ids> search_page(const view_store& store, const rocksdb::ReadOptions& ro, const queue_query& q,
                             const std::optional<std::string>& after, size_t limit, size_t cap, queue_page& page) {
  const bool desc = descending(q.sort);
  const char dim = dim_of(q.sort);
  auto found = search_candidates(store, ro, view_keys::normalise_search(q.q), cap, page);
  if (!found) return found.err();
  // The candidates' filter attributes, in one MultiGet (keys in order).
  std::vector<std::string> akeys;
  akeys.reserve(found->size());
  for (const auto& lead_id : *found) akeys.push_back(attrs_key(lead_id));
  std::vector<rocksdb::PinnableSlice> avalues;
  std::vector<rocksdb::Status> astatus;
  store.read_index(ro, akeys, avalues, astatus);
  std::vector<std::string> hits;  // suffixes: value:8 lead_id
  size_t i = 0;
  for (const auto& lead_id : *found) {
    const auto& st = astatus[i];
    const auto& value = avalues[i++];
    if (st.IsNotFound()) continue;  // left the queue after its q key was read: cannot happen under one snapshot
    if (!st.ok()) return storage_error(st, "search attributes");
    index_attrs a;
    if (!decode_attrs(value.ToStringView(), a)) return error{errc::corrupt_data, "corrupt index value"};
    if (!matches(q, a)) continue;
    std::string suffix = dim_value(dim, a) + lead_id;
    // Strictly after the cursor in the walk's direction.
    if (!after || (desc ? suffix < std::string_view(*after) : suffix > std::string_view(*after)))
      hits.push_back(std::move(suffix));
  }
  if (desc)
    std::sort(hits.begin(), hits.end(), std::greater<>());
  else
    std::sort(hits.begin(), hits.end());
  page_ids out;
  for (size_t h = 0; h < hits.size() && h < limit; ++h) out.ids.push_back(hits[h].substr(8));
  if (hits.size() > limit) out.next_after = hits[limit - 1];
  return out;
}

/// A walk of the queue index (no search).
result<page_ids> queue_ids(const view_store& store, claim_hint& hint, const lead_views_options& opts,
                           const rocksdb::ReadOptions& ro, const queue_query& q, std::optional<std::string> after,
                           size_t limit, queue_page& page) {
  // Unassigned leads in the default stages, best first (what an SDR looks at
  // before claiming): the claimable scope holds exactly those, without the
  // leads already taken, and a first page starts at the claim hint (below
  // the tombstones of the leads claimed before; claim_hint.hpp). A lead
  // claimed after the walk's snapshot was taken may be left out: it is no
  // longer unassigned.
  const bool claimable_view = dim_of(q.sort) == dim_score && q.owner && q.owner->empty() && q.stages.empty() &&
                              (!q.status || *q.status != lead_status::disqualified);
  const bool from_hint = claimable_view && descending(q.sort) && !after;
  if (from_hint) after = hint.read().from;
  auto w = walk_index(store, ro, q, after, limit, std::max(limit * opts.scan_cap_factor, opts.min_scan_cap),
                      claimable_view, /*inclusive=*/from_hint);
  if (!w) return w.err();
  page.examined = w->examined;
  page_ids out;
  out.ids = std::move(w->ids);
  if (w->more && !w->last_suffix.empty()) out.next_after = std::move(w->last_suffix);
  return out;
}

} // namespace

// -- names ------------------------------------------------------------------------------

const char* to_string(queue_sort s) noexcept {
  switch (s) {
    case queue_sort::score_desc: return "-score";
    case queue_sort::score_asc: return "score";
    case queue_sort::signed_up_desc: return "-signed_up_at";
    case queue_sort::signed_up_asc: return "signed_up_at";
    case queue_sort::followers_desc: return "-followers";
  }
  return "-score";
}

std::optional<queue_sort> queue_sort_from_string(std::string_view s) noexcept {
  for (auto v : {queue_sort::score_desc, queue_sort::score_asc, queue_sort::signed_up_desc,
                 queue_sort::signed_up_asc, queue_sort::followers_desc})
    if (s == to_string(v)) return v;
  return std::nullopt;
}

// -- pages ------------------------------------------------------------------------------

result<queue_page> lead_views::query(const queue_query& q) const {
  if (!store_.has_families()) return error{errc::internal, "the log has no views/index families"};
  const size_t limit = std::max<size_t>(q.limit, 1);
  // The index is read under the walk's snapshot (queue_walks.hpp): a first
  // page takes one, kept for the walk if the page has a next_cursor.
  std::optional<std::string> after;  // the cursor's suffix
  uint64_t walk = 0;
  queue_walks::pinned snap;
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor, static_cast<int>(q.sort));
    if (!c) return c.err();
    snap = walks_.find(c->walk);
    if (!snap)
      return error{errc::validation, "this walk has ended (idle for " +
                                         std::to_string(opts_.walk_idle.count() / 1000) +
                                         " s, too many walks open, an erasure, or a restart): start again without "
                                         "a cursor"};
    walk = c->walk;
    after = std::move(c->after);
  } else {
    snap = walks_.snapshot();
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snap->get();
  queue_page page;
  auto ids = q.q.empty() ? queue_ids(store_, hint_, opts_, ro, q, after, limit, page)
                         : search_page(store_, ro, q, after, limit, opts_.q_candidate_cap, page);
  if (!ids) return ids.err();
  if (ids->next_after) {
    if (walk == 0) walk = walks_.keep(snap);
    page.next_cursor = encode_cursor(static_cast<int>(q.sort), walk, *ids->next_after);
  }
  // The rows as they are now, not under the walk's snapshot: a walk lists the
  // leads queued when it began, each showing its current state.
  auto rows = store_.read_rows(ids->ids);
  if (!rows) return rows.err();
  page.items.reserve(rows->size());
  for (auto& row : *rows) {
    // Gone (a rebuild without the lead) or erased since the walk began: in no queue now.
    if (row && !row->personal_erased) page.items.push_back(std::move(*row));
  }
  return page;
}

} // namespace leadbase::projections
