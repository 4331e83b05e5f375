#pragma once
// The scan stage of a bulk rebuild (projections/bulk_rebuild.hpp, steps 1-2
// and damage): one key range of the log per thread, folded lead by lead into
// views files and sorted index chunks, and the damage records of what the
// scan skipped.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "projections/bulk_fold.hpp"
#include "projections/lead_views.hpp"
#include "projections/rebuild_sort.hpp"
#include "projections/rebuild_write.hpp"
#include "projections/runner.hpp"
#include "storage/lead_scan.hpp"

namespace leadbase::projections::rebuild {

using bulk_fold::skipped_event;

/// The damage records of a build: the skipped events at their positions (the
/// global index, read at the build's snapshot, says where each is), and with
/// `find_missing` the positions whose event is not in the events family at
/// all (the page replay meets those as "the event is missing"). Sorted by
/// position, as the runner keys them.
result<std::vector<damaged_record>> locate_damage(const view_store& store, const storage::log_snapshot& snap,
                                                  const std::vector<skipped_event>& skipped, bool find_missing,
                                                  global_position head);

/// What one scan thread produced.
struct partition_out {
  uint64_t leads = 0, events = 0, index_entries = 0;
  std::vector<std::string> views_files;
  std::vector<run_file> runs;
  std::unique_ptr<chunk> last;  // sorted, in memory
  double sort_seconds = 0;
  std::vector<skipped_event> damaged;  // events that could not be decoded, skipped
};

struct partition_job {
  storage::event_log* log;
  const lead_views* views;
  const storage::log_snapshot* snapshot;
  storage::lead_scan_range range;  // lead ids; "" = unbounded
  fs::path dir;
  std::string name;    // for its files
  size_t chunk_budget, chunk_block, target_file_bytes;
  const key_ranges* views_cover;    // the views ranges the files replace
  std::atomic<uint64_t>* folded;     // events folded, all threads together
  const std::atomic<bool>* stop;     // another range failed: give up
  std::function<void()> tick;        // called every few thousand events (progress), may be empty
  const std::atomic<bool>* cancel;   // bulk_rebuild_options::cancel
};

/// Scans the events of the leads in the job's range with their data keys
/// beside, folds each lead, writes its row into views files and sorts its
/// index entries into chunks (spilled as runs when a chunk fills).
status scan_partition(const partition_job& job, partition_out& out);

} // namespace leadbase::projections::rebuild
