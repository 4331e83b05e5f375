#include "projections/rebuild_swap.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "events/logging.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace rebuild {
namespace {

/// The ranges a WriteBatch deletes with DeleteRange, by column family id.
class range_collector final : public rocksdb::WriteBatch::Handler {
 public:
  struct range {
    uint32_t cf;
    std::string begin, end;
  };
  std::vector<range> ranges;

  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice& end) override {
    ranges.push_back({cf, begin.ToString(), end.ToString()});
    return rocksdb::Status::OK();
  }
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
};

} // namespace

result<owned_ranges> projection_ranges(const storage::event_log& log, lead_views& views) {
  rocksdb::WriteBatch batch;
  if (auto s = views.clear(batch); !s) return s.err();
  range_collector ranges;
  auto s = batch.Iterate(&ranges);
  if (!s.ok()) return storage_error(s, "read clear batch");
  owned_ranges out;
  for (const auto& r : ranges.ranges) {
    key_ranges* into = nullptr;
    for (auto [space, bounds] : {std::pair{storage::key_space::views, &out.views},
                                 std::pair{storage::key_space::index, &out.index}})
      if (auto* f = log.cf(space); f && f->GetID() == r.cf) into = bounds;
    if (!into) return error{errc::internal, "the projection clears a family that is not views or index"};
    into->emplace_back(r.begin, r.end);
  }
  std::sort(out.views.begin(), out.views.end());
  std::sort(out.index.begin(), out.index.end());
  return out;
}

/// Whether any of `ranges` of `cf` holds a key in the snapshot.
result<bool> holds_keys(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap,
                        const key_ranges& ranges) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  for (const auto& [b, e] : ranges) {
    rocksdb::Slice upper(e);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
    it->Seek(b);
    if (!it->status().ok()) return storage_error(it->status(), "look for old projection keys");
    if (it->Valid()) return true;
  }
  return false;
}

} // namespace rebuild

using rebuild::projection_ranges;
using rebuild::tmp_dir_name;
namespace fs = std::filesystem;
using storage::storage_error;

namespace {
std::shared_ptr<spdlog::logger> logger() {
  static auto logger = module_logger("projections");
  return logger;
}
} // namespace

status compact_replaced(storage::event_log& log, lead_views& views) {
  auto owned = projection_ranges(log, views);
  if (!owned) return owned.err();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto [space, ranges] : {std::pair{storage::key_space::views, &owned->views},
                               std::pair{storage::key_space::index, &owned->index}}) {
    for (const auto& [b, e] : *ranges) {
      const rocksdb::Slice bs(b), es(e);
      auto s = log.raw_rocksdb()->CompactRange(co, log.cf(space), &bs, &es);
      if (!s.ok()) return storage_error(s, "compact the replaced projection");
    }
  }
  return ok();
}

status discard_unfinished_rebuild(const storage::event_log& log) {
  const fs::path tmp = fs::path(log.raw_rocksdb()->GetName()) / tmp_dir_name;
  std::error_code ec;
  if (!fs::exists(tmp, ec)) return ok();
  fs::remove_all(tmp, ec);
  if (ec) return error{errc::storage_failure, "cannot remove " + tmp.string() + ": " + ec.message()};
  logger()->info("removed the files of a bulk rebuild that did not finish ({})", tmp.string());
  return ok();
}

} // namespace leadbase::projections
