#pragma once
// Checking a projection against the log (docs/cli.md `leadbase verify`): every row
// of the current-view projection (lead_views, `v/<lead_id>`) must equal a fresh
// fold of that lead's stream from the log.
//
// Operation
//   One RocksDB snapshot is taken; from it the projection's checkpoint
//   (meta `checkpoint/lead_views`), its fingerprint, the `heads` family (every
//   lead in the log) and the view rows are read. The heads and the rows are both
//   ordered by lead id, so one merged walk pairs them. For each lead its stream
//   is read (read_stream) and folded from `initial`, stopping at the checkpoint:
//   a row holds exactly the events at or before the position its page recorded,
//   so a projection that is behind the log is not a mismatch, only a row that
//   disagrees with what the log says up to that position. Rows are compared as
//   canonical bytes: encode_snapshot(decode_snapshot(row)) against
//   encode_snapshot(fold).
//   Problems, per lead:
//     missing_row        the log has events of the lead at or before the checkpoint, no row
//     extra_row          a row for a lead the log has no event of (up to the checkpoint)
//     differs            the row is not the fold; `detail` names the first field that differs
//     corrupt_row        the row does not decode
//     unreadable_stream  the lead's events cannot be read or decoded (a damaged event)
//   and for the projection as a whole (`global_problems`): a checkpoint beyond
//   the head of the log. A fingerprint that differs from the one given (other
//   priority settings) is reported in `fingerprint_matches` and is no mismatch:
//   the rows do not depend on those settings, and `serve` rebuilds on it.
//
// Cost: one stream read and fold per lead (about 1M leads in tens of seconds);
//   memory: one lead's events at a time plus the reported mismatches.
//
// Concurrency: reads only; safe beside a running server in the same process
//   (rows, heads and the checkpoint come from one snapshot and events are
//   immutable), except that a lead erased during the walk (its data key
//   destroyed) may be reported. `leadbase verify` runs it offline.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "projections/lead_views.hpp"
#include "storage/event_log.hpp"

namespace leadbase::projections {

enum class view_problem : uint8_t { missing_row, extra_row, differs, corrupt_row, unreadable_stream };
const char* to_string(view_problem p) noexcept;

struct view_mismatch {
  std::string lead_id;
  view_problem problem = view_problem::differs;
  std::string detail;
};

struct view_verify_options {
  size_t max_reported = 100;  ///< mismatches kept in the report; all are counted
  /// Called every `progress_every` leads with the number checked so far.
  std::function<void(uint64_t)> progress;
  uint64_t progress_every = 100000;
};

struct view_verify_report {
  std::string projection;             ///< "lead_views"
  global_position checkpoint = 0;     ///< the projection's position: folds stop here
  global_position head = 0;           ///< the log's last position
  bool fingerprint_matches = true;    ///< the stored fingerprint equals views.fingerprint()
  uint64_t leads = 0;                 ///< leads in the log
  uint64_t rows = 0;                  ///< view rows read
  uint64_t mismatches = 0;            ///< lead problems, all of them
  std::vector<view_mismatch> reported;        ///< the first max_reported of them
  std::vector<std::string> global_problems;  ///< e.g. a checkpoint beyond the head
  bool ok() const noexcept { return mismatches == 0 && global_problems.empty(); }
};

/// Compares every row of `views` with a fresh fold of the log (above). An error
/// only when the walk itself cannot proceed (a storage failure on the snapshot's
/// iterators); problems with single leads are in the report.
result<view_verify_report> verify_lead_views(const storage::event_log& log, const lead_views& views,
                                             const view_verify_options& opts = {});

/// The first field in which two states differ, e.g. "version: row 3, log 4";
/// "" when none of the compared fields differ.
std::string describe_difference(const lead_state& row, const lead_state& fold);

} // namespace leadbase::projections
