#pragma once
// rebuild_bench's fold-only reference: what any rebuild of a lead view must do
// before it writes a byte. Lives beside the benchmark, not in the service.
#include <atomic>
#include <cstdint>
#include <vector>

#include "events/lead_state.hpp"
#include "projections/bulk_fold.hpp"
#include "storage/lead_scan.hpp"

namespace leadbase::fold_reference {

/// What fold_pass did.
struct fold_pass_stats {
  uint64_t leads = 0, events = 0;
  uint64_t versions = 0;  ///< the sum of every lead's version (the states are used, not just built)
  size_t ranges = 0;      ///< key ranges of the log folded in parallel
};

/// The rebuild's first step alone: every lead of the log folded exactly as
/// bulk_rebuild folds them (`threads` key ranges at once, events decoded and
/// unsealed, `evolve` from `initial`), writing nothing. What any rebuild of a
/// lead view must do before it writes a byte: rebuild_bench times it as part
/// of the floor it prints beside the rebuild.
inline result<fold_pass_stats> fold_pass(const storage::event_log& log, unsigned threads = 2) {
  if (!log.cf(storage::key_space::events) || !log.cf(storage::key_space::keys))
    return error{errc::internal, "the log lacks a column family the fold needs"};
  storage::log_snapshot snap(log);
  if (!snap.last_position()) return snap.last_position().err();
  auto ranges = projections::bulk_fold::lead_ranges(log, snap, threads);
  if (!ranges) return ranges.err();
  const size_t parts = ranges->size();
  std::atomic<uint64_t> folded{0};
  std::atomic<bool> stop{false};
  std::vector<uint64_t> leads(parts, 0), events(parts, 0), versions(parts, 0);
  auto failure = projections::bulk_fold::run_ranges(parts, "lb-fold-pass", [&](size_t i) {
    // Something of each state is used, so no fold can be left out.
    auto on_lead = [&](const lead_state& state) -> status {
      ++leads[i];
      versions[i] += state.version;
      return ok();
    };
    return projections::bulk_fold::fold_range(log, snap, (*ranges)[i], on_lead, {&folded, &stop, nullptr}, events[i], nullptr);
  }, stop);
  if (failure) return *failure;
  fold_pass_stats out;
  out.ranges = parts;
  for (size_t i = 0; i < parts; ++i) {
    out.leads += leads[i];
    out.events += events[i];
    out.versions += versions[i];
  }
  return out;
}

} // namespace leadbase::fold_reference
