#include "projections/lead_views.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <unordered_map>

#include "events/logging.hpp"
#include "events/snapshot.hpp"
#include "projections/index_keys.hpp"
#include "projections/view_store.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("projections");
  return logger;
}

} // namespace

using namespace view_index;
using storage::storage_error;

// -- lead_views --------------------------------------------------------------------------

lead_views::lead_views(storage::event_log& log, lead_views_options opts)
    : log_(log), opts_(std::move(opts)), walks_(log.raw_rocksdb(), walk_limits{opts_.max_walks, opts_.walk_idle}) {}

std::string lead_views::fingerprint() const {
  const auto& p = opts_.priority;
  return "lead_views/6 weights " + std::to_string(p.weight_reach) + "," + std::to_string(p.weight_engagement) +
         "," + std::to_string(p.weight_activity) + "," + std::to_string(p.weight_completeness) + " thresholds " +
         std::to_string(p.threshold_a) + "," + std::to_string(p.threshold_b) + " rules " + opts_.rules_version;
}

status lead_views::apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) {
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  // What a lead's committed row put in the index, taken before the page's
  // events are folded into it, so the row itself can be folded in place (no
  // copy of the state).
  struct row {
    bool existed = false;             // had a committed row
    bool was_erased = false;          // ... whose personal data was erased
    std::optional<index_attrs> old_attrs;  // nullopt: the row was in no queue
    std::vector<std::string> old_tokens;   // its q tokens (only when queued or for compact_lead)
    lead_state now;
  };
  std::unordered_map<std::string, row> rows;
  std::vector<const std::string*> order;  // first-touch order, for a deterministic batch
  rocksdb::ReadOptions ro;
  for (const auto& se : events) {
    const std::string& lead_id = se.ev.meta.lead_id;
    auto it = rows.find(lead_id);
    if (it == rows.end()) {
      auto before = read_row(log_.raw_rocksdb(), views, ro, lead_id);
      if (!before) return before.err();
      row r;
      if (*before) {
        r.existed = true;
        r.was_erased = (*before)->personal_erased;
        r.old_attrs = attrs_of(**before, opts_);
        // The old q keys are needed to delete them (queued) or to compact them
        // after an erasure; an erased row has no tokens anyway.
        if (r.old_attrs || !r.was_erased) r.old_tokens = view_keys::search_tokens(**before);
        r.now = std::move(**before);
      } else {
        r.now = initial(lead_id);
      }
      it = rows.emplace(lead_id, std::move(r)).first;
      order.push_back(&it->first);
    }
    evolve(it->second.now, se.ev);
  }
  // The page's writes go into the batch in key order, family by family:
  // RocksDB inserts a batch into the memtable skiplist in batch order, reusing
  // the search path of the previous insert, so sorted keys cost fewer
  // comparisons (and cache misses) than keys in lead order.
  std::vector<std::pair<std::string, const std::string*>> row_puts;      // key -> value
  std::vector<std::pair<std::string, const std::string*>> index_ops;     // key -> value, nullptr = delete
  std::vector<std::string> row_values;
  std::vector<entries> keep;  // owns the index values
  row_values.reserve(order.size());
  keep.reserve(2 * order.size());
  entries old_keys;
  for (const std::string* lead_id : order) {
    row& r = rows.at(*lead_id);
    row_values.push_back(encode_snapshot(r.now));
    row_puts.emplace_back(view_keys::row_key(*lead_id), &row_values.back());
    // The same keys and values as diffing index_entries(before) with
    // index_entries(now), in two independent parts (attrs keys and q keys
    // never share a key); the q part is skipped when the tokens are the same
    // on both sides, as for an enrichment or a qualification change.
    const auto new_attrs = attrs_of(r.now, opts_);
    std::vector<std::string> new_tokens;
    if (new_attrs) new_tokens = view_keys::search_tokens(r.now);
    old_keys.clear();
    if (r.old_attrs) append_attr_entries(*r.old_attrs, *lead_id, old_keys);
    keep.emplace_back();
    if (new_attrs) append_attr_entries(*new_attrs, *lead_id, keep.back());
    diff_entries(old_keys, keep.back(), index_ops);
    if (!(r.old_attrs && new_attrs && r.old_tokens == new_tokens)) {
      old_keys.clear();
      if (r.old_attrs) append_q_entries(r.old_tokens, *lead_id, old_keys);
      keep.emplace_back();
      if (new_attrs) append_q_entries(new_tokens, *lead_id, keep.back());
      diff_entries(old_keys, keep.back(), index_ops);
    }
    if (r.now.personal_erased && r.existed && !r.was_erased) {
      // Remember every q key the lead may have held, for compact_lead().
      std::vector<std::string> keys;
      keys.reserve(r.old_tokens.size());
      for (const auto& t : r.old_tokens) keys.push_back(q_key_of(t, *lead_id));
      std::lock_guard<std::mutex> lock(erased_mutex_);
      erased_keys_[*lead_id] = std::move(keys);
    }
  }
  auto by_key = [](const auto& x, const auto& y) { return x.first < y.first; };
  std::sort(row_puts.begin(), row_puts.end(), by_key);
  std::sort(index_ops.begin(), index_ops.end(), by_key);
  for (const auto& [k, v] : row_puts) {
    auto s = batch.Put(views, k, *v);
    if (!s.ok()) return storage_error(s, "batch view");
  }
  static const std::string claimable_prefix = index_prefix(dim_score, std::string_view(&claimable_scope, 1));
  for (const auto& [k, v] : index_ops) {
    if (v && k.compare(0, claimable_prefix.size(), claimable_prefix) == 0) {
      std::string_view suffix = std::string_view(k).substr(claimable_prefix.size());
      if (!pending_raise_ || std::string_view(*pending_raise_) < suffix) pending_raise_ = std::string(suffix);
    }
    auto s = v ? batch.Put(index, k, *v) : batch.Delete(index, k);
    if (!s.ok()) return storage_error(s, "batch index");
  }
  return ok();
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
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  auto s = batch.DeleteRange(views, "v/", "v0");
  if (s.ok()) s = batch.DeleteRange(index, "i", "j");
  if (s.ok()) s = batch.DeleteRange(index, "a", "b");
  if (s.ok()) s = batch.DeleteRange(index, "q", "r");
  if (!s.ok()) return storage_error(s, "batch clear");
  return ok();
}

result<std::optional<lead_state>> lead_views::get(const std::string& lead_id) const {
  auto* views = log_.cf(storage::key_space::views);
  if (!views) return error{errc::internal, "the log has no views family"};
  return read_row(log_.raw_rocksdb(), views, rocksdb::ReadOptions(), lead_id);
}
status lead_views::compact_lead(const std::string& lead_id) {
  rocksdb::DB* db = log_.raw_rocksdb();
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  // A walk's snapshot would keep the lead's old rows and keys alive through
  // the compactions below.
  walks_.end_all();
  // Flush every family: a WAL file is dropped only once all of them are.
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (storage::key_space space : storage::all_key_spaces) families.push_back(log_.cf(space));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = db->Flush(fo, families);
  if (!s.ok()) return storage_error(s, "flush");

  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const std::string row = view_keys::row_key(lead_id);
  rocksdb::Slice rb(row);
  s = db->CompactRange(co, views, &rb, &rb);
  if (!s.ok()) return storage_error(s, "compact view row");

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
  {
    const std::string kb = lead_id, ke = storage::keys::lead_upper_bound(lead_id);
    rocksdb::Slice kbs(kb), kes(ke);
    if (auto* data_keys = log_.cf(storage::key_space::keys)) {
      s = db->CompactRange(co, data_keys, &kbs, &kes);
      if (!s.ok()) return storage_error(s, "compact the data key");
    }
  }
  if (keys) {
    for (const auto& k : *keys) {
      rocksdb::Slice kb(k);
      s = db->CompactRange(co, index, &kb, &kb);
      if (!s.ok()) return storage_error(s, "compact search keys");
    }
  } else {
    // Not known (e.g. erased before a restart): the whole search index.
    const std::string b = "q", e = "r";
    rocksdb::Slice bs(b), es(e);
    s = db->CompactRange(co, index, &bs, &es);
    if (!s.ok()) return storage_error(s, "compact search index");
  }
  log()->debug("compacted the views of erased lead {}", lead_id);
  return ok();
}

} // namespace leadbase::projections
