#pragma once
// The store of the current-view projection: its rows in the views family and
// its keys in the index family (projections/lead_views.hpp, "keys").
#include <optional>
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/lead_state.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Status;
struct ReadOptions;
} // namespace rocksdb

namespace leadbase::projections::view_index {

/// A view row as a Get or MultiGet answered it: nullopt when there is none.
result<std::optional<lead_state>> decode_row(const rocksdb::Status& s, std::string_view bytes);
result<std::optional<lead_state>> read_row(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* views,
                                           const rocksdb::ReadOptions& ro, const std::string& lead_id);

} // namespace leadbase::projections::view_index
