#pragma once
// The swap stage of a bulk rebuild (projections/bulk_rebuild.hpp, steps 4-5):
// the ranges the projection owns, whether the old projection holds keys in
// them, and the temp dir of a build.
#include <filesystem>
#include <string>

#include "events/errc.hpp"
#include "projections/lead_views.hpp"
#include "projections/rebuild_write.hpp"
#include "storage/event_log.hpp"

namespace rocksdb {
class Snapshot;
} // namespace rocksdb

namespace leadbase::projections::rebuild {

/// Where a rebuild's table files and sorted runs wait, in the data dir.
constexpr const char* tmp_dir_name = "bulk_rebuild.tmp";

/// The ranges the projection owns (what lead_views::clear deletes), per family.
struct owned_ranges {
  key_ranges views, index;
};

result<owned_ranges> projection_ranges(const storage::event_log& log, lead_views& views);

/// Whether any of `ranges` of `cf` holds a key in the snapshot.
result<bool> holds_keys(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap,
                        const key_ranges& ranges);

/// Removes the temp dir however the rebuild ends.
struct dir_guard {
  fs::path path;
  ~dir_guard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

} // namespace leadbase::projections::rebuild
