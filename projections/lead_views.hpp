#pragma once
// The current-view projection and the SDR/LDR work queue (docs/http-api.md GET /v1/leads,
// GET /v1/leads/{id}; docs/domain.md prioritisation).
//
// Operation: keys (all written by the projection runner, one WriteBatch a page;
//   every prefix and scope byte is declared once, in projections/view_store.hpp)
//   views  v/<lead_id>                                 -> encode_snapshot(lead_state), the folded view
//   index  i<dim><scope>\0<value:8><lead_id>           -> index_attrs (below)
//          dim   'S' score (score×10), 'T' signed_up_at, 'F' followers; values are
//                order-preserving big-endian (sign bit flipped), so bytewise order is
//                numeric order; the lead id is the tiebreaker
//          scope "*" every queued lead; the score index (the default sort, the one
//                SDR/LDR teams page with a team or level filter) also has
//                "t<team>" ("tsdr", "tldr") and "l<level>" ("lA"…), so those
//                filters are prefix scans; other sorts walk "*" and filter.
//                "u" (score only): the claimable leads (unassigned, not
//                disqualified, work not over), the candidates of "claim next"
//                (claim_candidates()), so a claim never steps over leads
//                already taken
//          a<lead_id>                                   -> index_attrs (for searches)
//          q<bucket:8><lead_id>\0<token hash:8>         -> token
//          token: lower-cased (ASCII and Latin-1 letters) full name, each further
//          word of the name, email, and every handle without a leading '@';
//          bucket: one key per token, nesting FNV-1a hashes of its first 1, 3 and
//          6 bytes (2 + 2 + 4 bytes, big-endian), so tokens sharing their first
//          1 (3, 6) bytes share the bucket's first 2 (4, 8) bytes. A search for n
//          bytes scans the key prefix of the longest level L in {1, 3, 6} <= n,
//          keeps tokens that start with the text and reads the candidates'
//          a<lead_id> in one MultiGet. q values hold no
//          attributes, so an enrichment (new score, status) leaves them alone.
//          Keys hold no personal data in plaintext: RocksDB records table files'
//          boundary keys in the MANIFEST, which compaction does not rewrite, so a
//          plaintext key could outlive an erasure there (values are compacted away).
//   Only leads in a queue (prioritise() gives a value: qualified, not
//   disqualified, not erased), and disqualified leads not erased (listed only
//   with status=disqualified: score 0, level '-', no team), have index keys. The value of every index key holds
//   what the other filters need (status, level, team, tier, country, followers,
//   signed_up_at, score), so a page reads no view row it does not return.
//   When a lead's row changes the keys of its old row that the new row has not
//   are deleted, in the same batch; a page's writes are added in key order
//   (cheaper memtable inserts).
//
// Queue pages: a walk of the chosen index (one scope, or for the score sort a
//   merge of one scope per requested level) in sort order, starting strictly
//   after the cursor (sort value + lead id of the last item seen). Filters the
//   index cannot seek (status, creator_tier, country, team and level outside the
//   score sort, and followers/signup bounds unless the sort is
//   on that value, where they become seek bounds) are applied to the index value
//   while scanning. A page examines at most max(limit × scan_cap_factor,
//   min_scan_cap) index entries: if that many are examined before `limit`
//   matches are found the page is shorter and next_cursor continues after the
//   last entry examined. So a page costs a bounded number of reads, and a walk
//   still sees every matching lead.
//   With `q` the candidates are the leads of the q bucket scan (at most
//   q_candidate_cap index entries; beyond that the search is truncated, which
//   only one- and two-letter searches are likely to hit at scale), filtered,
//   sorted by the requested sort and cut at the cursor.
//   Cursor stability: a walk reads the index under the snapshot its first page
//   took (projections/queue_walks.hpp: kept under a walk id, bounded in number
//   and idle time), seeking strictly after the sort key of the last item, so
//   concurrent writes never make a walk return an item twice or skip one that
//   was queued when it began, whatever its score or followers do meanwhile.
//   The items are read as they are now (an erased lead is left out).
//
// Erasure: after `erased` a lead is in no queue, so all its index keys (the q
//   keys hold its name, email and handles) are deleted, and its row, re-folded,
//   keeps no personal data. compact_lead() then flushes and compacts those key
//   ranges so no file keeps the old values.
//
// Concurrency: apply() runs on the runner's thread only; get(), query(),
//   open_walks() and compact_lead() on any thread (RocksDB reads are
//   thread-safe; the index of a page is read under its walk's snapshot).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "events/lead_state.hpp"
#include "projections/claim_hint.hpp"
#include "projections/priority.hpp"
#include "projections/queue_walks.hpp"
#include "projections/runner.hpp"
#include "projections/view_store.hpp"
#include "storage/event_log.hpp"

namespace rocksdb {
class Snapshot;
} // namespace rocksdb

namespace leadbase::projections {

/// How the queue is ordered (docs/http-api.md `sort`).
enum class queue_sort : uint8_t { score_desc, score_asc, signed_up_desc, signed_up_asc, followers_desc };
/// "-score", "score", "-signed_up_at", "signed_up_at", "-followers".
const char* to_string(queue_sort s) noexcept;
std::optional<queue_sort> queue_sort_from_string(std::string_view s) noexcept;

/// One page request; every filter optional. The HTTP layer validates the values.
struct queue_query {
  std::optional<std::string> team;    ///< "sdr" | "ldr"
  std::vector<char> levels;           ///< 'A', 'B', 'C'; empty = any
  std::optional<lead_status> status;
  std::optional<std::string> creator_tier;  ///< the reach network's tier (Instagram, else YouTube)
  std::optional<std::string> country;       ///< compared case-insensitively
  std::optional<int64_t> min_followers;     ///< inclusive
  std::optional<int64_t> max_followers;     ///< inclusive
  std::optional<millis> signed_up_after;    ///< inclusive (signed_up_at >= it)
  std::optional<millis> signed_up_before;   ///< exclusive (signed_up_at < it)
  std::string q;                            ///< prefix of name, email or handle; empty = none
  std::optional<std::string> owner;         ///< the owner's name; "" = unassigned
  std::vector<work_stage> stages;           ///< empty = every stage but meeting_booked and closed
  queue_sort sort = queue_sort::score_desc;
  size_t limit = 50;
  std::string cursor;  ///< as returned in next_cursor; empty = first page
};

struct queue_page {
  std::vector<lead_state> items;
  std::optional<std::string> next_cursor;
  size_t examined = 0;     ///< index entries read (for tests and metrics)
  bool truncated = false;  ///< q search hit q_candidate_cap
};

struct lead_views_options {
  priority_options priority;
  std::string rules_version = "2026-11-01";
  size_t scan_cap_factor = 20;        ///< entries examined per page: limit × this …
  size_t min_scan_cap = 1000;         ///< … but at least this many
  size_t q_candidate_cap = 10000;     ///< q-index entries read per search
  size_t max_walks = 1000;            ///< cursor walks kept open (queue_walks.hpp) …
  std::chrono::milliseconds walk_idle{std::chrono::minutes(10)};  ///< … each for this long without a page
};

class lead_views final : public projection {
 public:
  /// Uses the log's "views" and "index" families; the log outlives this.
  lead_views(storage::event_log& log, lead_views_options opts);

  // -- projection -------------------------------------------------------------
  std::string name() const override { return "lead_views"; }
  std::string fingerprint() const override;
  status apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) override;
  status clear(rocksdb::WriteBatch& batch) override;
  /// Raises the claim hint to the best claimable entry the last batch wrote.
  void committed() override;
  /// Resets the claim hint: the store was replaced.
  void replaced() override;

  // -- reads (any thread) --------------------------------------------------------

  /// The lead's current view; nullopt when the projection has no event of it.
  result<std::optional<lead_state>> get(const std::string& lead_id) const;
  /// One queue page. errc::validation for a cursor that is not ours, was made
  /// for another sort, or whose walk ended (idle, evicted, an erasure, a restart).
  result<queue_page> query(const queue_query& q) const;
  /// Candidates for "claim next" (actors/claim_next.hpp): the ids of up to
  /// `limit` claimable leads (unassigned, not disqualified, work not over)
  /// matching q's other filters, best score first, strictly after the sort key
  /// `after` (empty: from the top). Read as the index is now: no walk, no
  /// snapshot kept, no view row decoded. `next_after` continues; nullopt at the end.
  struct candidate_page {
    std::vector<std::string> ids;
    std::optional<std::string> next_after;
  };
  result<candidate_page> claim_candidates(const queue_query& q, const std::string& after, size_t limit) const;
  /// Cursor walks open now.
  size_t open_walks() const { return walks_.size(); }
  /// Ends every cursor walk, releasing its snapshot: before the log closes.
  void end_walks() { walks_.end_all(); }

  /// Ends every open cursor walk (their snapshots would keep the old rows in
  /// table files), flushes the views and index (and every other family, so no
  /// WAL keeps the old rows) and compacts, with bottommost kForce, the lead's row and the q
  /// keys it held before it was erased (all q keys when they are not known,
  /// e.g. after a restart).
  status compact_lead(const std::string& lead_id);

  const lead_views_options& options() const noexcept { return opts_; }
  /// Its rows and keys (bulk rebuild, verify).
  const view_store& store() const noexcept { return store_; }

  /// What one lead's folded state puts in the store: its row in the "views"
  /// family and its keys in the "index" family (empty for a lead in no queue),
  /// the index sorted by key. apply() writes exactly these; a bulk rebuild may
  /// write them directly.
  struct lead_rows {
    std::string row_key, row_value;
    std::vector<std::pair<std::string, std::string>> index;
  };
  lead_rows rows_of(const lead_state& s) const;

 private:
  view_store store_;
  lead_views_options opts_;
  mutable std::mutex erased_mutex_;
  std::map<std::string, std::vector<std::string>> erased_keys_;  ///< lead -> q keys to compact
  mutable queue_walks walks_;
  mutable claim_hint hint_;                     ///< where claim_candidates starts (claim_hint.hpp)
  std::optional<std::string> pending_raise_;   ///< apply() → committed(), on the runner's thread
};

// -- key helpers (exposed for tests and tools) --------------------------------------

namespace view_keys {
std::string row_key(std::string_view lead_id);
/// The q tokens of a state (lower-cased, deduplicated); empty once erased.
std::vector<std::string> search_tokens(const lead_state& s);
/// Lower-cases ASCII and the Latin-1 letters À–Þ (UTF-8), strips a leading '@'.
std::string normalise_search(std::string_view text);
} // namespace view_keys

} // namespace leadbase::projections
