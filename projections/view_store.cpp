#include "projections/view_store.hpp"

#include "storage/raw_access.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "events/snapshot.hpp"
#include "projections/lead_views.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

using storage::storage_error;

storage::key_space space_of(view_family f) {
  switch (f) {
    case view_family::views: return storage::key_space::views;
    case view_family::index: return storage::key_space::index;
    case view_family::meta: return storage::key_space::meta;
  }
  return storage::key_space::views;
}

/// A view row as a Get or MultiGet answered it: nullopt when there is none.
result<std::optional<lead_state>> decode_row(const rocksdb::Status& s, std::string_view bytes) {
  if (s.IsNotFound()) return std::optional<lead_state>{};
  if (!s.ok()) return storage_error(s, "read view");
  auto st = decode_snapshot(bytes);
  if (!st) return error{errc::corrupt_data, "corrupt view row: " + st.err().message};
  return std::optional<lead_state>{std::move(*st)};
}

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

/// The values of `keys` in one MultiGet.
void multi_get(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::ReadOptions& ro,
               const std::vector<std::string>& keys, std::vector<rocksdb::PinnableSlice>& values,
               std::vector<rocksdb::Status>& statuses, bool sorted) {
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  values = std::vector<rocksdb::PinnableSlice>(keys.size());
  statuses.assign(keys.size(), rocksdb::Status());
  if (!keys.empty()) db->MultiGet(ro, cf, keys.size(), slices.data(), values.data(), statuses.data(), sorted);
}

} // namespace

view_store::view_store(const storage::event_log& log) : log_(log), db_(log.raw_rocksdb(storage::raw_access())) {}

bool view_store::has_families() const noexcept {
  return handle(view_family::views) && handle(view_family::index) && handle(view_family::meta);
}

rocksdb::ColumnFamilyHandle* view_store::handle(view_family f) const noexcept { return log_.cf(space_of(f)); }

// -- reads --------------------------------------------------------------------------------------

result<std::optional<lead_state>> view_store::read_row(const std::string& lead_id,
                                                       const rocksdb::ReadOptions& ro) const {
  std::string bytes;
  auto s = db_->Get(ro, handle(view_family::views), view_keys::row_key(lead_id), &bytes);
  return decode_row(s, bytes);
}

result<std::vector<std::optional<lead_state>>> view_store::read_rows(const std::vector<std::string>& ids) const {
  std::vector<std::string> row_keys;
  row_keys.reserve(ids.size());
  for (const auto& id : ids) row_keys.push_back(view_keys::row_key(id));
  std::vector<rocksdb::PinnableSlice> rows;
  std::vector<rocksdb::Status> row_status;
  multi_get(db_, handle(view_family::views), rocksdb::ReadOptions(), row_keys, rows, row_status, /*sorted=*/false);
  std::vector<std::optional<lead_state>> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto row = decode_row(row_status[i], rows[i].ToStringView());
    if (!row) return row.err();
    out.push_back(std::move(*row));
  }
  return out;
}

void view_store::read_index(const rocksdb::ReadOptions& ro, const std::vector<std::string>& keys,
                            std::vector<rocksdb::PinnableSlice>& values,
                            std::vector<rocksdb::Status>& statuses) const {
  multi_get(db_, handle(view_family::index), ro, keys, values, statuses, /*sorted=*/true);
}

rocksdb::Status view_store::get(view_family f, const rocksdb::ReadOptions& ro, const std::string& key,
                                std::string* value) const {
  return db_->Get(ro, handle(f), key, value);
}

std::unique_ptr<rocksdb::Iterator> view_store::iterator(view_family f, const rocksdb::ReadOptions& ro) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, handle(f)));
}

std::shared_ptr<const storage::db_snapshot> view_store::snapshot(bool take) const {
  return std::make_shared<const storage::db_snapshot>(db_, take);
}

// -- writes -------------------------------------------------------------------------------------

status view_store::put(rocksdb::WriteBatch& batch, view_family f, std::string_view key, std::string_view value) const {
  auto s = batch.Put(handle(f), slice(key), slice(value));
  if (!s.ok()) return storage_error(s, f == view_family::views ? "batch view" : "batch index");
  return ok();
}

status view_store::erase(rocksdb::WriteBatch& batch, view_family f, std::string_view key) const {
  auto s = batch.Delete(handle(f), slice(key));
  if (!s.ok()) return storage_error(s, f == view_family::views ? "batch view" : "batch index");
  return ok();
}

status view_store::clear(rocksdb::WriteBatch& batch) const {
  for (const auto& r : view_index::owned_ranges) {
    auto s = batch.DeleteRange(handle(r.family), slice(r.begin), slice(r.end));
    if (!s.ok()) return storage_error(s, "batch clear");
  }
  return ok();
}

status view_store::erase_now(view_family f, const std::string& key, const char* what) const {
  auto s = db_->Delete(rocksdb::WriteOptions(), handle(f), key);
  if (!s.ok()) return storage_error(s, what);
  return ok();
}

// -- maintenance --------------------------------------------------------------------------------

status view_store::flush_all() const {
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (storage::key_space space : storage::all_key_spaces) families.push_back(log_.cf(space));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = db_->Flush(fo, families);
  if (!s.ok()) return storage_error(s, "flush");
  return ok();
}

status view_store::compact(view_family f, const std::string& begin, const std::string& end, bool force,
                           const char* what) const {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction =
      force ? rocksdb::BottommostLevelCompaction::kForce : rocksdb::BottommostLevelCompaction::kForceOptimized;
  const rocksdb::Slice b(begin), e(end);
  auto s = db_->CompactRange(co, handle(f), &b, &e);
  if (!s.ok()) return storage_error(s, what);
  return ok();
}

status view_store::compact_data_key(const std::string& lead_id) const {
  auto* data_keys = log_.cf(storage::key_space::keys);
  if (!data_keys) return ok();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const std::string kb = lead_id, ke = storage::keys::lead_upper_bound(lead_id);
  rocksdb::Slice kbs(kb), kes(ke);
  auto s = db_->CompactRange(co, data_keys, &kbs, &kes);
  if (!s.ok()) return storage_error(s, "compact the data key");
  return ok();
}

// -- the bulk rebuild ---------------------------------------------------------------------------

std::string view_store::data_dir() const { return db_->GetName(); }

rocksdb::Options view_store::table_options(view_family f) const { return db_->GetOptions(handle(f)); }

status view_store::ingest(const std::vector<std::pair<view_family, std::vector<std::string>>>& files) const {
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;           // hard links: the files are in the data dir already
  io.write_global_seqno = false;  // never write into a finished file
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (const auto& [f, paths] : files) {
    if (paths.empty()) continue;
    rocksdb::IngestExternalFileArg a;
    a.column_family = handle(f);
    a.external_files = paths;
    a.options = io;
    args.push_back(std::move(a));
  }
  auto s = db_->IngestExternalFiles(args);
  if (!s.ok()) return storage_error(s, "ingest the rebuilt projection");
  return ok();
}

// -- the log's families -------------------------------------------------------------------------

bool view_store::has_log_families() const noexcept {
  return log_.cf(storage::key_space::events) && log_.cf(storage::key_space::keys) &&
         log_.cf(storage::key_space::global) && log_.cf(storage::key_space::heads);
}

std::unique_ptr<rocksdb::Iterator> view_store::log_events(const rocksdb::ReadOptions& ro) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, log_.cf(storage::key_space::events)));
}

std::unique_ptr<rocksdb::Iterator> view_store::log_positions(const rocksdb::ReadOptions& ro) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, log_.cf(storage::key_space::global)));
}

std::unique_ptr<rocksdb::Iterator> view_store::log_heads(const rocksdb::ReadOptions& ro) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, log_.cf(storage::key_space::heads)));
}

void view_store::log_events_get(const rocksdb::ReadOptions& ro, const std::vector<std::string>& keys,
                                std::vector<rocksdb::PinnableSlice>& values,
                                std::vector<rocksdb::Status>& statuses) const {
  multi_get(db_, log_.cf(storage::key_space::events), ro, keys, values, statuses, /*sorted=*/false);
}

result<uint64_t> view_store::log_events_size(const std::string& begin, const std::string& end) const {
  rocksdb::SizeApproximationOptions so;
  so.include_memtables = true;
  const rocksdb::Range r(begin, end);
  uint64_t size = 0;
  auto s = db_->GetApproximateSizes(so, log_.cf(storage::key_space::events), &r, 1, &size);
  if (!s.ok()) return storage_error(s, "estimate the log's size");
  return size;
}

} // namespace leadbase::projections
