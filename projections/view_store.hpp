#pragma once
// The store of the current-view projection (projections/lead_views.hpp): the
// one place that knows its key space and reaches RocksDB for it. lead_views
// (apply, queries, claim candidates), its bulk rebuild and `verify` read and
// write the views and index families only through it, and build their keys
// only with the functions below.
//
// Key space: every prefix and scope byte of the views and index families is
// declared once, in the table below; the layout is described in
// projections/lead_views.hpp ("keys"). The bytes must not change: existing data
// dirs are read as they are (no layout version).
//
//   family  key                                      value                  order
//   views   v/<lead_id>                              encode_snapshot(state) lead id
//   index   a<lead_id>                               index_attrs            lead id
//           i<dim><scope>\0<value:8><lead_id>        index_attrs            per dim and scope: value
//                                                                           (order-preserving), then lead id
//           q<bucket:8><lead_id>\0<token hash:8>     the token              bucket, lead id, token hash
//   'a' < 'i' < 'q': a lead's attrs key sorts before its sort keys, which sort
//   before its search keys; index_entries() relies on it to need no sort.
//
// The log's own families (events, global, heads, keys) are storage's: this
// reads them (read-only) where the rebuild and `verify` need them, until the
// log offers those reads itself.
//
// Concurrency: reads on any thread; writes go into the runner's batch.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/errc.hpp"
#include "events/lead_state.hpp"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
class PinnableSlice;
class Status;
class WriteBatch;
struct Options;
struct ReadOptions;
} // namespace rocksdb

namespace leadbase::storage {
class db_snapshot;
class event_log;
} // namespace leadbase::storage

namespace leadbase::projections {

/// The families the projection writes.
enum class view_family : uint8_t {
  views,  ///< its rows
  index,  ///< its sort, attrs and search keys
  meta,   ///< its checkpoint, fingerprint and damage records (runner.hpp's keys: checkpoint_key() …)
};

namespace view_index {

// -- the prefix table ----------------------------------------------------------------------

/// views: v/<lead_id> -> the folded view, in lead id order.
inline constexpr std::string_view row_prefix = "v/";
/// index: a<lead_id> -> index_attrs, read by searches, in lead id order.
constexpr char attrs_prefix = 'a';
/// index: i<dim><scope>\0<value:8><lead_id> -> index_attrs: the sorts.
constexpr char sort_prefix = 'i';
/// index: q<bucket:8><lead_id>\0<token hash:8> -> the token: the search.
constexpr char search_prefix = 'q';

/// The sort dimensions (the byte after 'i'); values are order-preserving
/// big-endian (sign bit flipped), so bytewise order is numeric order.
constexpr char dim_score = 'S';      ///< score × 10
constexpr char dim_signup = 'T';     ///< signed_up_at
constexpr char dim_followers = 'F';  ///< the reach profile's followers

/// The scopes of a dimension (the bytes before the \0). Only the score sort
/// has the level, team and claimable scopes; every dimension has "*".
constexpr char scope_all = '*';        ///< "*": every lead with index keys
constexpr char scope_level = 'l';      ///< "l<level>": the queued leads of a level ('A' …)
constexpr char scope_team = 't';       ///< "t<team>": the queued leads of a team ("tsdr", "tldr")
constexpr char claimable_scope = 'u';  ///< "u": the claimable leads (claimable(): what "claim next" hands out)

/// The key ranges [begin, end) the projection owns: what clear() deletes and
/// a bulk rebuild replaces, in this order. Each end is its prefix's successor.
struct owned_range {
  view_family family;
  std::string_view begin, end;
};
inline constexpr owned_range owned_ranges[] = {
    {view_family::views, "v/", "v0"},
    {view_family::index, "i", "j"},
    {view_family::index, "a", "b"},
    {view_family::index, "q", "r"},
};

// -- keys (view_keys.cpp) --------------------------------------------------------------------

/// Order-preserving 8 bytes for a signed value.
std::string ordered(int64_t v);
/// i<dim><scope>\0: the prefix of one scope of one sort.
std::string index_prefix(char dim, std::string_view scope);
/// The scope of one level, of one team.
std::string level_scope(char level);
std::string team_scope(std::string_view team);
/// i<dim><scope>\0<value:8><lead_id>.
std::string sort_key(char dim, std::string_view scope, int64_t value, std::string_view lead_id);
/// a<lead_id>.
std::string attrs_key(std::string_view lead_id);
/// The q key of one token of a lead.
std::string q_key_of(std::string_view token, std::string_view lead_id);
/// The nested bucket of a token, and its hash (q_key_of's parts).
uint64_t q_bucket_of(std::string_view text);
uint64_t q_token_hash(std::string_view token);
/// The one layout of a q key: q<bucket:8><lead_id>\0<token hash:8>.
std::string q_key(uint64_t bucket, std::string_view lead_id, uint64_t token_hash);
/// The key prefix a search for `text` scans: "q" + the bucket bytes its level shares.
std::string q_search_prefix(std::string_view text);
/// The lead id of a q key; nullopt for a key of another shape.
std::optional<std::string_view> q_key_lead(std::string_view key);
/// The lead id of a row key (v/<lead_id>).
std::string_view row_lead(std::string_view key);
/// The first string greater than every string starting with `prefix`; empty if none.
std::string prefix_successor(std::string prefix);

} // namespace view_index

class view_store {
 public:
  /// The log outlives this.
  explicit view_store(const storage::event_log& log);

  /// Whether the log has the families the projection uses (views, index, meta).
  bool has_families() const noexcept;

  // -- the projection's families --------------------------------------------------------------

  /// A lead's row; nullopt when it has none.
  result<std::optional<lead_state>> read_row(const std::string& lead_id, const rocksdb::ReadOptions& ro) const;
  /// The rows of `ids` as they are now, in one MultiGet (it batches the block
  /// lookups of keys that share table files); nullopt for a lead without a row.
  result<std::vector<std::optional<lead_state>>> read_rows(const std::vector<std::string>& ids) const;
  /// Index values of `keys` (sorted) in one MultiGet.
  void read_index(const rocksdb::ReadOptions& ro, const std::vector<std::string>& keys,
                  std::vector<rocksdb::PinnableSlice>& values, std::vector<rocksdb::Status>& statuses) const;
  rocksdb::Status get(view_family f, const rocksdb::ReadOptions& ro, const std::string& key, std::string* value) const;
  std::unique_ptr<rocksdb::Iterator> iterator(view_family f, const rocksdb::ReadOptions& ro) const;
  /// A snapshot of the store (take = false: none, for a frozen log).
  std::shared_ptr<const storage::db_snapshot> snapshot(bool take = true) const;

  status put(rocksdb::WriteBatch& batch, view_family f, std::string_view key, std::string_view value) const;
  status erase(rocksdb::WriteBatch& batch, view_family f, std::string_view key) const;
  /// Deletes the owned ranges.
  status clear(rocksdb::WriteBatch& batch) const;
  /// A delete written at once, outside any batch.
  status erase_now(view_family f, const std::string& key, const char* what) const;

  /// Flushes every family of the log (a WAL file is dropped only once all are).
  status flush_all() const;
  /// Compacts the files of `f` overlapping [begin, end]; `force`:
  /// bottommost kForce, else kForceOptimized.
  status compact(view_family f, const std::string& begin, const std::string& end, bool force, const char* what) const;
  /// Compacts the range of a lead's data key in the log's keys family, with kForce.
  status compact_data_key(const std::string& lead_id) const;

  // -- the bulk rebuild ------------------------------------------------------------------------

  /// The data dir (where a rebuild's temp files go).
  std::string data_dir() const;
  /// For table file writers: the family's handle and options.
  rocksdb::ColumnFamilyHandle* handle(view_family f) const noexcept;
  rocksdb::Options table_options(view_family f) const;
  /// Ingests table files into their families in one atomic step (hard links).
  status ingest(const std::vector<std::pair<view_family, std::vector<std::string>>>& files) const;

  // -- the log's families, read-only -----------------------------------------------------------

  bool has_log_families() const noexcept;
  std::unique_ptr<rocksdb::Iterator> log_events(const rocksdb::ReadOptions& ro) const;
  std::unique_ptr<rocksdb::Iterator> log_positions(const rocksdb::ReadOptions& ro) const;
  std::unique_ptr<rocksdb::Iterator> log_heads(const rocksdb::ReadOptions& ro) const;
  void log_events_get(const rocksdb::ReadOptions& ro, const std::vector<std::string>& keys,
                      std::vector<rocksdb::PinnableSlice>& values, std::vector<rocksdb::Status>& statuses) const;
  /// RocksDB's estimate of the bytes of the events family in [begin, end).
  result<uint64_t> log_events_size(const std::string& begin, const std::string& end) const;

 private:
  const storage::event_log& log_;
  rocksdb::DB* db_;
};

} // namespace leadbase::projections
