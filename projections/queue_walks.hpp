#pragma once
// Queue cursors and the walks they continue (docs/http-api.md GET /v1/leads: "a cursor
// is opaque, stable under concurrent writes (no item twice, none skipped that
// existed when the walk began)").
//
// Operation: a walk's first page reads the index under a RocksDB snapshot; if
//   the page has a next_cursor, that snapshot is kept (pinned) under a random
//   walk id, and every later page of the walk reads the index under it, seeking
//   strictly after the sort key (value:8 lead_id) of the last item. So the walk
//   lists exactly the leads queued when it began, each once, in the order they
//   had then, however scores, followers or levels change meanwhile; leads that
//   arrive later are not in it (a new walk sees them). The items themselves
//   are read as they are now (a lead erased since is left out).
//   Cursor: base64url("w" sort-digit walk:8 value:8 lead_id).
//
// Why a pinned snapshot (and its cost): the index is keyed by the sort value,
//   which changes under a walk; without the old keys the old order cannot be
//   reconstructed. The alternatives were a stable order (lead id: no
//   prioritised queue to work from) or a versioned index (every score change
//   keeps the old key until no walk can need it: more keys at every write and a
//   garbage collector). A snapshot costs nothing per walk in memory, but while
//   pinned RocksDB keeps the versions it can see: index keys and rows rewritten
//   since stay on disk until the walk ends. Hence the bounds: at most
//   max_walks walks (beyond, the least recently used ends), each ended after
//   `idle` without a page, and an erasure (lead_views::compact_lead) ends them
//   all, so no snapshot keeps an erased lead's values in any file. A page of a
//   walk that ended answers errc::validation ("start again without a cursor");
//   walks do not survive a restart.
//
// Concurrency: every member is thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "events/errc.hpp"

namespace leadbase::storage {
class db_snapshot;
} // namespace leadbase::storage

namespace leadbase::projections {

/// What a cursor carries.
struct queue_cursor {
  uint64_t walk = 0;
  std::string after;  ///< value:8 lead_id of the last item seen
};

/// `sort` is a small number naming the sort; a cursor is only valid for it.
std::string encode_cursor(int sort, uint64_t walk, std::string_view after);
/// errc::validation for a cursor that is not ours or was made for another sort.
result<queue_cursor> decode_cursor(std::string_view cursor, int sort);

struct walk_limits {
  size_t max_walks = 1000;
  std::chrono::milliseconds idle{std::chrono::minutes(10)};
};

class queue_walks {
 public:
  using pinned = std::shared_ptr<const storage::db_snapshot>;

  /// `take` takes a new snapshot of the store (view_store::snapshot).
  queue_walks(std::function<pinned()> take, walk_limits limits);
  ~queue_walks();
  queue_walks(const queue_walks&) = delete;
  queue_walks& operator=(const queue_walks&) = delete;

  /// A new snapshot, for a first page (not kept until keep()).
  pinned snapshot() const;
  /// Keeps `snap` for a new walk (ending the least recently used one when
  /// max_walks are open); returns its id.
  uint64_t keep(pinned snap);
  /// The walk's snapshot, marked used now; nullptr when it ended.
  pinned find(uint64_t walk);
  /// Ends every walk (their pages in flight finish on their snapshot).
  void end_all();
  size_t size() const;

 private:
  struct walk {
    pinned snap;
    std::chrono::steady_clock::time_point used;
  };
  void drop_idle(std::chrono::steady_clock::time_point now);

  std::function<pinned()> take_;
  walk_limits limits_;
  mutable std::mutex mutex_;
  std::map<uint64_t, walk> walks_;
  std::mt19937_64 ids_;
};

} // namespace leadbase::projections
