#pragma once
// The swap stage of a bulk rebuild (projections/bulk_rebuild.hpp, steps 4-5):
// the ranges the projection owns, whether the old projection holds keys in
// them, the one ingestion that replaces it, and the temp dir of a build.
#include <filesystem>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "projections/lead_views.hpp"
#include "projections/rebuild_write.hpp"
#include "projections/runner.hpp"
#include "projections/view_store.hpp"

namespace rocksdb {
class Snapshot;
} // namespace rocksdb

namespace leadbase::projections::rebuild {

/// Where a rebuild's table files and sorted runs wait, in the data dir.
constexpr const char* tmp_dir_name = "bulk_rebuild.tmp";

/// The ranges the projection owns (what lead_views::clear deletes), per family, sorted.
struct owned_ranges {
  key_ranges views, index;
};
owned_ranges projection_ranges();

/// Whether any of `ranges` of `f` holds a key in the snapshot.
result<bool> holds_keys(const view_store& store, view_family f, const rocksdb::Snapshot* snap,
                        const key_ranges& ranges);

/// What a build swaps in: its table files, its checkpoint (the log's head at
/// its snapshot) and the damage it found.
struct built_projection {
  std::vector<std::string> views_files, index_files;
  global_position head = 0;
  std::vector<damaged_record> damage;
};

/// Writes the meta file (checkpoint, damage records, fingerprint) into `dir`
/// and ingests it with the views and index files in one atomic step.
status swap_in(const lead_views& views, const built_projection& built, const std::filesystem::path& dir,
               size_t target_file_bytes);

/// Removes the temp dir however the rebuild ends.
struct dir_guard {
  std::filesystem::path path;
  ~dir_guard() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

} // namespace leadbase::projections::rebuild
