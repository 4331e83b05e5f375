#pragma once
// The whole-log integrity check behind `leadbase verify` and backup
// verification: one walk of the global log in position order that checks
//   - positions follow 1, 2, 3 ... without a gap,
//   - every lead's chain: each event's prev_hash is the hash of the lead's
//     event before it (zeros for version 1) and versions follow without a gap,
//   - every event reads (an unreadable one, stored_event::damage, is named
//     with its position, lead and version, and the walk goes on past it),
//   - every lead's head (its stored version and hash) is the end of its chain.
// Problems are reported one line each, naming the lead (never personal data).
//
// Cost: one read of every event (with its hash) in pages of 4096; memory: one
// entry (last hash and version) per lead.
#include <cstdint>
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "storage/event_log.hpp"

namespace leadbase::storage {

struct log_audit_report {
  uint64_t events = 0;    ///< events checked
  uint64_t leads = 0;     ///< leads seen
  uint64_t problems = 0;  ///< every problem, counted
  uint64_t damaged = 0;   ///< events that cannot be read (each also a problem)
  global_position head = 0;  ///< the last position the walk reached
  bool walk_complete = true;  ///< false: the global log could not be read past `head` (not one record's damage)
  std::vector<std::string> reported;  ///< the first `max_reported` problems, one line each
  bool ok() const noexcept { return problems == 0 && walk_complete; }
};

/// Walks `log` as described above. A damaged event is a problem in the report,
/// never an exception or an abort; the walk goes on past it.
log_audit_report audit_log(const event_log& log, size_t max_reported = 100);

} // namespace leadbase::storage
