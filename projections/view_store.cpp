#include "projections/view_store.hpp"

#include <rocksdb/db.h>

#include "events/snapshot.hpp"
#include "projections/lead_views.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections::view_index {

using storage::storage_error;

/// A view row as a Get or MultiGet answered it: nullopt when there is none.
result<std::optional<lead_state>> decode_row(const rocksdb::Status& s, std::string_view bytes) {
  if (s.IsNotFound()) return std::optional<lead_state>{};
  if (!s.ok()) return storage_error(s, "read view");
  auto st = decode_snapshot(bytes);
  if (!st) return error{errc::corrupt_data, "corrupt view row: " + st.err().message};
  return std::optional<lead_state>{std::move(*st)};
}

result<std::optional<lead_state>> read_row(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* views,
                                           const rocksdb::ReadOptions& ro, const std::string& lead_id) {
  std::string bytes;
  auto s = db->Get(ro, views, view_keys::row_key(lead_id), &bytes);
  return decode_row(s, bytes);
}

} // namespace leadbase::projections::view_index
