#include "projections/lead_views.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <algorithm>
#include <set>

#include "projections/index_keys.hpp"
#include "projections/index_walk.hpp"
#include "projections/view_store.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {

using namespace view_index;
using storage::storage_error;

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
result<queue_page> lead_views::query(const queue_query& q) const {
  rocksdb::DB* db = log_.raw_rocksdb();
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  const size_t limit = std::max<size_t>(q.limit, 1);
  const bool desc = descending(q.sort);
  const char dim = dim_of(q.sort);

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
  auto next_cursor = [&](std::string_view suffix) {
    if (walk == 0) walk = walks_.keep(snap);
    return encode_cursor(static_cast<int>(q.sort), walk, suffix);
  };
  rocksdb::ReadOptions ro;
  ro.snapshot = snap->get();
  queue_page page;
  std::vector<std::string> ids;

  // True when `suffix` comes strictly after the cursor in the walk's direction.
  auto past_cursor = [&](std::string_view suffix) {
    if (!after) return true;
    return desc ? suffix < std::string_view(*after) : suffix > std::string_view(*after);
  };

  if (!q.q.empty()) {
    // -- search: candidates from the q index, then filter, sort, cut ---------------
    const std::string text = view_keys::normalise_search(q.q);
    const std::string prefix = q_search_prefix(text);
    std::string upper = prefix_successor(prefix);
    rocksdb::Slice lower_s(prefix), upper_s(upper);
    rocksdb::ReadOptions sro = ro;
    sro.iterate_lower_bound = &lower_s;
    sro.iterate_upper_bound = upper.empty() ? nullptr : &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(sro, index));
    std::set<std::string> found;  // lead ids whose token starts with the text
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (page.examined >= opts_.q_candidate_cap) {
        page.truncated = true;
        break;
      }
      ++page.examined;
      auto key = it->key().ToStringView();
      if (key.substr(0, prefix.size()) != prefix) break;
      // The lead id follows the whole bucket (whose bytes may be 0x00).
      constexpr size_t id_at = 1 + 8;
      if (key.size() <= id_at) continue;
      auto sep = key.find('\0', id_at);
      if (sep == std::string_view::npos) continue;
      const std::string_view token = it->value().ToStringView();
      if (token.substr(0, text.size()) != text) continue;  // same bucket, other prefix
      found.emplace(key.substr(id_at, sep - id_at));
    }
    if (!it->status().ok()) return storage_error(it->status(), "search index");
    // The candidates' filter attributes, in one MultiGet (keys in order).
    std::vector<std::string> akeys;
    akeys.reserve(found.size());
    for (const auto& lead_id : found) akeys.push_back(attrs_key(lead_id));
    std::vector<rocksdb::Slice> aslices(akeys.begin(), akeys.end());
    std::vector<rocksdb::PinnableSlice> avalues(akeys.size());
    std::vector<rocksdb::Status> astatus(akeys.size());
    if (!akeys.empty())
      db->MultiGet(ro, index, akeys.size(), aslices.data(), avalues.data(), astatus.data(), /*sorted_input=*/true);
    std::vector<std::string> hits;  // suffixes: value:8 lead_id
    size_t i = 0;
    for (const auto& lead_id : found) {
      const auto& st = astatus[i];
      const auto& value = avalues[i++];
      if (st.IsNotFound()) continue;  // left the queue after its q key was read: cannot happen under one snapshot
      if (!st.ok()) return storage_error(st, "search attributes");
      index_attrs a;
      if (!decode_attrs(value.ToStringView(), a)) return error{errc::corrupt_data, "corrupt index value"};
      if (!matches(q, a)) continue;
      std::string suffix = dim_value(dim, a) + lead_id;
      if (past_cursor(suffix)) hits.push_back(std::move(suffix));
    }
    if (desc)
      std::sort(hits.begin(), hits.end(), std::greater<>());
    else
      std::sort(hits.begin(), hits.end());
    for (size_t h = 0; h < hits.size() && h < limit; ++h) ids.push_back(hits[h].substr(8));
    if (hits.size() > limit) page.next_cursor = next_cursor(hits[limit - 1]);
  } else {
    // Unassigned leads in the default stages, best first (what an SDR looks at
    // before claiming): the claimable scope holds exactly those, without the
    // leads already taken, and a first page starts at the claim hint (below
    // the tombstones of the leads claimed before; claim_hint.hpp). A lead
    // claimed after the walk's snapshot was taken may be left out: it is no
    // longer unassigned.
    const bool claimable_view = dim == dim_score && q.owner && q.owner->empty() && q.stages.empty() &&
                                (!q.status || *q.status != lead_status::disqualified);
    const bool from_hint = claimable_view && desc && !after;
    if (from_hint) after = hint_.read().from;
    auto w = walk_index(db, index, ro, q, after, limit, std::max(limit * opts_.scan_cap_factor, opts_.min_scan_cap),
                        claimable_view, /*inclusive=*/from_hint);
    if (!w) return w.err();
    page.examined = w->examined;
    ids = std::move(w->ids);
    if (w->more && !w->last_suffix.empty()) page.next_cursor = next_cursor(w->last_suffix);
  }

  // The page's rows in one MultiGet: it batches the block lookups of keys
  // that share table files and pins values instead of copying them.
  std::vector<std::string> row_keys;
  row_keys.reserve(ids.size());
  for (const auto& id : ids) row_keys.push_back(view_keys::row_key(id));
  std::vector<rocksdb::Slice> row_slices(row_keys.begin(), row_keys.end());
  std::vector<rocksdb::PinnableSlice> rows(row_keys.size());
  std::vector<rocksdb::Status> row_status(row_keys.size());
  // The rows as they are now, not under the walk's snapshot: a walk lists the
  // leads queued when it began, each showing its current state.
  if (!row_keys.empty())
    db->MultiGet(rocksdb::ReadOptions(), views, row_keys.size(), row_slices.data(), rows.data(), row_status.data());
  page.items.reserve(ids.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto row = decode_row(row_status[i], rows[i].ToStringView());
    if (!row) return row.err();
    // Gone (a rebuild without the lead) or erased since the walk began: in no queue now.
    if (*row && !(*row)->personal_erased) page.items.push_back(std::move(**row));
  }
  return page;
}

} // namespace leadbase::projections
