#pragma once
// The fold stage of a bulk rebuild (projections/bulk_rebuild.hpp): the log's
// leads cut into key ranges of about equal size, each folded from `initial`
// through its events on its own thread. Shared by the rebuild and by
// rebuild_bench's fold-only reference (benchmarks/fold_pass.hpp).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "events/lead_state.hpp"
#include "storage/event_log.hpp"
#include "storage/lead_scan.hpp"

namespace leadbase::projections::bulk_fold {

/// The key ranges of the log the scan threads take at `snapshot`, one per
/// thread (fewer for a small log): cut at lead boundaries of about equal size,
/// the outer ends unbounded.
result<std::vector<storage::lead_scan_range>> lead_ranges(const storage::event_log& log,
                                                          const storage::log_snapshot& snapshot, unsigned threads);

/// Shared with the other range threads: progress and the stop flag.
struct fold_shared {
  std::atomic<uint64_t>* folded;         // events folded, all threads together
  const std::atomic<bool>* stop;         // another range failed: give up
  const std::function<void()>* tick;     // called every few thousand events (progress), may be null
  const std::atomic<bool>* cancel = nullptr;  // the caller gave up (e.g. the service stops), may be null
};

/// An event the scan could not decode: skipped, as the page replay skips it.
struct skipped_event {
  std::string lead_id;
  lead_version version = 0;
  std::string reason;
};

/// Folds each lead of the key range from `initial` through its events in
/// version order (decoded and unsealed as the read path does; a lead without
/// a key reads erased) and hands its state to on_lead. `events` counts them.
/// With `damaged`, an event that cannot be decoded is not folded but listed
/// there, as the runner skips it (a lead none of whose events folds has no
/// row, as with the replay); without, it fails the fold.
status fold_range(const storage::event_log& log, const storage::log_snapshot& snapshot,
                  const storage::lead_scan_range& range, const std::function<status(const lead_state&)>& on_lead,
                  const fold_shared& shared, uint64_t& events, std::vector<skipped_event>* damaged);

/// Runs work(i) for each of `parts` key ranges at once: range 0 on the
/// calling thread, the others on threads named `thread_name`. The first
/// failure sets `stop` (the others give up at their next poll) and is
/// returned. `waiting`, if set, is called every 50 ms on the calling thread
/// while other ranges still run (progress is reported from there).
std::optional<error> run_ranges(size_t parts, const char* thread_name, const std::function<status(size_t)>& work,
                                std::atomic<bool>& stop, const std::function<void()>& waiting = {});

} // namespace leadbase::projections::bulk_fold
