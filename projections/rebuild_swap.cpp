#include "projections/rebuild_swap.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <algorithm>

#include "events/logging.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace rebuild {

using storage::storage_error;

owned_ranges projection_ranges() {
  owned_ranges out;
  for (const auto& r : view_index::owned_ranges)
    (r.family == view_family::views ? out.views : out.index).emplace_back(r.begin, r.end);
  std::sort(out.views.begin(), out.views.end());
  std::sort(out.index.begin(), out.index.end());
  return out;
}

result<bool> holds_keys(const view_store& store, view_family f, const rocksdb::Snapshot* snap,
                        const key_ranges& ranges) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  for (const auto& [b, e] : ranges) {
    rocksdb::Slice upper(e);
    ro.iterate_upper_bound = &upper;
    auto it = store.iterator(f, ro);
    it->Seek(b);
    if (!it->status().ok()) return storage_error(it->status(), "look for old projection keys");
    if (it->Valid()) return true;
  }
  return false;
}

status swap_in(const lead_views& views, const built_projection& built, const std::filesystem::path& dir,
               size_t target_file_bytes) {
  const view_store& store = views.store();
  // The checkpoint and the fingerprint go in with the rows, in one atomic
  // ingestion whose range tombstones hide the old projection: readers see
  // the old projection (at its checkpoint) or the new one (at this one),
  // never a part of either; a crash before it leaves the old one.
  // Its range tombstone replaces the old projection's damage records with
  // the ones this build found, in the same ingestion.
  const key_ranges damage_cover{{damaged_prefix(views.name()), damaged_end(views.name())}};
  sst_sink meta_sink(store, view_family::meta, dir, "meta", target_file_bytes, {}, &damage_cover);
  // An empty log has no checkpoint, as with the runner (keys in order: 'c' < 'd' < 'f').
  if (built.head > 0) {
    if (auto s = meta_sink.put(checkpoint_key(views.name()), storage::keys::be64(built.head)); !s) return s;
  }
  for (const auto& d : built.damage) {
    if (auto s = meta_sink.put(damaged_key(views.name(), d.position), encode_damage(d)); !s) return s;
  }
  if (auto s = meta_sink.put(fingerprint_key(views.name()), views.fingerprint()); !s) return s;
  if (auto s = meta_sink.finish(); !s) return s;
  if (built.head == 0) {
    // Nothing to ingest a checkpoint's deletion with: a plain delete, before
    // (an empty log has no projection to serve meanwhile).
    if (auto s = store.erase_now(view_family::meta, checkpoint_key(views.name()), "delete the checkpoint"); !s)
      return s;
  }
  return store.ingest({{view_family::views, built.views_files},
                       {view_family::index, built.index_files},
                       {view_family::meta, meta_sink.files()}});
}

} // namespace rebuild

namespace {
std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}
} // namespace

status compact_replaced(storage::event_log&, lead_views& views) {
  const auto owned = rebuild::projection_ranges();
  for (auto [family, ranges] : {std::pair{view_family::views, &owned.views},
                                std::pair{view_family::index, &owned.index}}) {
    for (const auto& [b, e] : *ranges) {
      if (auto s = views.store().compact(family, b, e, /*force=*/false, "compact the replaced projection"); !s)
        return s;
    }
  }
  return ok();
}

status discard_unfinished_rebuild(const storage::event_log& log) {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::path(view_store(log).data_dir()) / rebuild::tmp_dir_name;
  std::error_code ec;
  if (!fs::exists(tmp, ec)) return ok();
  fs::remove_all(tmp, ec);
  if (ec) return error{errc::storage_failure, "cannot remove " + tmp.string() + ": " + ec.message()};
  logger()->info("removed the files of a bulk rebuild that did not finish ({})", tmp.string());
  return ok();
}

} // namespace leadbase::projections
