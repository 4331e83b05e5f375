#include "projections/lead_views.hpp"

#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <unordered_map>

#include "events/logging.hpp"
#include "events/snapshot.hpp"
#include "projections/index_keys.hpp"
#include "projections/view_store.hpp"
#include "storage/db_snapshot.hpp"

namespace leadbase::projections {
namespace {

using namespace view_index;

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("projections");
  return logger;
}

/// A lead a page touches: what its committed row put in the index, taken
/// before the page's events are folded into it, so the row itself can be
/// folded in place (no copy of the state).
struct touched_lead {
  bool existed = false;                  // had a committed row
  bool was_erased = false;               // ... whose personal data was erased
  std::optional<index_attrs> old_attrs;  // nullopt: the row was in no queue
  std::vector<std::string> old_tokens;   // its q tokens (only when queued or for compact_lead)
  lead_state now;
};

/// The leads of a page, each folded through its events of the page.
struct touched_leads {
  std::unordered_map<std::string, touched_lead> rows;
  std::vector<const std::string*> order;  // first-touch order, for a deterministic batch
};

/// Reads the committed row of each lead the page touches and folds the page's events into it.
result<touched_leads> fold_page(const view_store& store, const lead_views_options& opts,
                                const std::vector<storage::stored_event>& events) {
  touched_leads t;
  rocksdb::ReadOptions ro;
  for (const auto& se : events) {
    const std::string& lead_id = se.ev.meta.lead_id;
    auto it = t.rows.find(lead_id);
    if (it == t.rows.end()) {
      auto before = store.read_row(lead_id, ro);
      if (!before) return before.err();
      touched_lead r;
      if (*before) {
        r.existed = true;
        r.was_erased = (*before)->personal_erased;
        r.old_attrs = attrs_of(**before, opts);
        // The old q keys are needed to delete them (queued) or to compact them
        // after an erasure; an erased row has no tokens anyway.
        if (r.old_attrs || !r.was_erased) r.old_tokens = view_keys::search_tokens(**before);
        r.now = std::move(**before);
      } else {
        r.now = initial(lead_id);
      }
      it = t.rows.emplace(lead_id, std::move(r)).first;
      t.order.push_back(&it->first);
    }
    evolve(it->second.now, se.ev);
  }
  return t;
}

/// The page's writes. They go into the batch in key order, family by family:
/// RocksDB inserts a batch into the memtable skiplist in batch order, reusing
/// the search path of the previous insert, so sorted keys cost fewer
/// comparisons (and cache misses) than keys in lead order.
struct page_writes {
  std::vector<std::pair<std::string, const std::string*>> row_puts;   // key -> value
  std::vector<std::pair<std::string, const std::string*>> index_ops;  // key -> value, nullptr = delete
  std::vector<std::string> row_values;
  std::vector<entries> keep;  // owns the index values
  entries old_keys;           // scratch
};

/// Adds a lead's row and the index operations that turn its old keys into its new ones.
void add_lead(const touched_lead& r, const std::string& lead_id, const lead_views_options& opts, page_writes& w) {
  w.row_values.push_back(encode_snapshot(r.now));
  w.row_puts.emplace_back(view_keys::row_key(lead_id), &w.row_values.back());
  // The same keys and values as diffing index_entries(before) with
  // index_entries(now), in two independent parts (attrs keys and q keys
  // never share a key); the q part is skipped when the tokens are the same
  // on both sides, as for an enrichment or a qualification change.
  const auto new_attrs = attrs_of(r.now, opts);
  std::vector<std::string> new_tokens;
  if (new_attrs) new_tokens = view_keys::search_tokens(r.now);
  w.old_keys.clear();
  if (r.old_attrs) append_attr_entries(*r.old_attrs, lead_id, w.old_keys);
  w.keep.emplace_back();
  if (new_attrs) append_attr_entries(*new_attrs, lead_id, w.keep.back());
  diff_entries(w.old_keys, w.keep.back(), w.index_ops);
  if (!(r.old_attrs && new_attrs && r.old_tokens == new_tokens)) {
    w.old_keys.clear();
    if (r.old_attrs) append_q_entries(r.old_tokens, lead_id, w.old_keys);
    w.keep.emplace_back();
    if (new_attrs) append_q_entries(new_tokens, lead_id, w.keep.back());
    diff_entries(w.old_keys, w.keep.back(), w.index_ops);
  }
}

/// Writes the page into the batch in key order; `raise` gets the best
/// claimable entry written (for the claim hint).
status write_page(const view_store& store, page_writes& w, rocksdb::WriteBatch& batch,
                  std::optional<std::string>& raise) {
  auto by_key = [](const auto& x, const auto& y) { return x.first < y.first; };
  std::sort(w.row_puts.begin(), w.row_puts.end(), by_key);
  std::sort(w.index_ops.begin(), w.index_ops.end(), by_key);
  for (const auto& [k, v] : w.row_puts) {
    if (auto s = store.put(batch, view_family::views, k, *v); !s) return s;
  }
  static const std::string claimable_prefix = index_prefix(dim_score, std::string_view(&claimable_scope, 1));
  for (const auto& [k, v] : w.index_ops) {
    if (v && k.compare(0, claimable_prefix.size(), claimable_prefix) == 0) {
      std::string_view suffix = std::string_view(k).substr(claimable_prefix.size());
      if (!raise || std::string_view(*raise) < suffix) raise = std::string(suffix);
    }
    auto s = v ? store.put(batch, view_family::index, k, *v) : store.erase(batch, view_family::index, k);
    if (!s) return s;
  }
  return ok();
}

} // namespace

// -- lead_views --------------------------------------------------------------------------

lead_views::lead_views(storage::event_log& log, lead_views_options opts)
    : store_(log),
      opts_(std::move(opts)),
      walks_([this] { return store_.snapshot(); }, walk_limits{opts_.max_walks, opts_.walk_idle}) {}

std::string lead_views::fingerprint() const {
  const auto& p = opts_.priority;
  return "lead_views/6 weights " + std::to_string(p.weight_reach) + "," + std::to_string(p.weight_engagement) +
         "," + std::to_string(p.weight_activity) + "," + std::to_string(p.weight_completeness) + " thresholds " +
         std::to_string(p.threshold_a) + "," + std::to_string(p.threshold_b) + " rules " + opts_.rules_version;
}

status lead_views::apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) {
  if (!store_.has_families()) return error{errc::internal, "the log has no views/index families"};
  auto touched = fold_page(store_, opts_, events);
  if (!touched) return touched.err();
  page_writes w;
  w.row_values.reserve(touched->order.size());
  w.keep.reserve(2 * touched->order.size());
  for (const std::string* lead_id : touched->order) {
    const touched_lead& r = touched->rows.at(*lead_id);
    add_lead(r, *lead_id, opts_, w);
    if (r.now.personal_erased && r.existed && !r.was_erased) {
      // Remember every q key the lead may have held, for compact_lead().
      std::vector<std::string> keys;
      keys.reserve(r.old_tokens.size());
      for (const auto& t : r.old_tokens) keys.push_back(q_key_of(t, *lead_id));
      std::lock_guard<std::mutex> lock(erased_mutex_);
      erased_keys_[*lead_id] = std::move(keys);
    }
  }
  return write_page(store_, w, batch, pending_raise_);
}

void lead_views::committed() {
  if (pending_raise_) hint_.raise(*pending_raise_);
  pending_raise_.reset();
}

void lead_views::replaced() {
  pending_raise_.reset();
  hint_.reset();
}

lead_views::lead_rows lead_views::rows_of(const lead_state& s) const {
  lead_rows out;
  out.row_key = view_keys::row_key(s.lead_id);
  out.row_value = encode_snapshot(s);
  out.index = index_entries(s, opts_);
  return out;
}

status lead_views::clear(rocksdb::WriteBatch& batch) {
  if (!store_.has_families()) return error{errc::internal, "the log has no views/index families"};
  return store_.clear(batch);
}

result<std::optional<lead_state>> lead_views::get(const std::string& lead_id) const {
  if (!store_.has_families()) return error{errc::internal, "the log has no views family"};
  return store_.read_row(lead_id, rocksdb::ReadOptions());
}

status lead_views::compact_lead(const std::string& lead_id) {
  if (!store_.has_families()) return error{errc::internal, "the log has no views/index families"};
  // A walk's snapshot would keep the lead's old rows and keys alive through
  // the compactions below.
  walks_.end_all();
  // Flush every family: a WAL file is dropped only once all of them are.
  if (auto s = store_.flush_all(); !s) return s;
  const std::string row = view_keys::row_key(lead_id);
  if (auto s = store_.compact(view_family::views, row, row, /*force=*/true, "compact view row"); !s) return s;

  std::optional<std::vector<std::string>> keys;
  {
    std::lock_guard<std::mutex> lock(erased_mutex_);
    auto it = erased_keys_.find(lead_id);
    if (it != erased_keys_.end()) {
      keys = std::move(it->second);
      erased_keys_.erase(it);
    }
  }
  // The data key's range again: event_log::destroy_key compacted it, but a
  // snapshot open then (a rebuild's, a queue walk's) kept the key alive in a
  // table file; compacting now, after the views applied the erasure, drops it.
  if (auto s = store_.compact_data_key(lead_id); !s) return s;
  if (keys) {
    for (const auto& k : *keys) {
      if (auto s = store_.compact(view_family::index, k, k, /*force=*/true, "compact search keys"); !s) return s;
    }
  } else {
    // Not known (e.g. erased before a restart): the whole search index.
    const std::string b(1, search_prefix), e = prefix_successor(b);
    if (auto s = store_.compact(view_family::index, b, e, /*force=*/true, "compact search index"); !s) return s;
  }
  log()->debug("compacted the views of erased lead {}", lead_id);
  return ok();
}

} // namespace leadbase::projections
