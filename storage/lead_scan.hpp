#pragma once
// Reads the log lead by lead, for whole-log folds (bulk rebuilds, start-up
// loads of in-memory projections): every event of one lead, decoded and
// unsealed exactly as read_stream does, in version order, then the next lead.
//
// Operation: one forward iterator over the `events` family (keyed lead id,
//   version: a lead's events are adjacent and in order) merge-joined with one
//   over `keys` (keyed lead id), so a lead costs no point lookup; a lead with
//   no key was erased and its events read personal_erased. Both iterators read
//   one RocksDB snapshot, and `last_position` is the log's head in that same
//   snapshot: the events seen are exactly positions 1..last_position.
//   fill_cache is off: one pass over everything should not evict what the
//   service reads.
// Order: leads in key order, not global order. A fold that only looks at one
//   lead's history at a time (every projection here) gets the same result.
// Concurrency: a scan runs on the caller's thread; writers may go on (they are
//   not seen). Several scans of disjoint ranges may run in parallel.
#include <functional>
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/event_log.hpp"

namespace leadbase::storage {

/// A snapshot of the log and its head (the last position in it).
class log_snapshot {
 public:
  explicit log_snapshot(const event_log& log);

  const rocksdb::Snapshot* get() const noexcept { return snap_.get(); }
  /// The log's last position in the snapshot; error if it cannot be read.
  const result<global_position>& last_position() const noexcept { return last_; }

 private:
  db_snapshot snap_;
  result<global_position> last_;
};

struct lead_scan_range {
  std::string lo, hi;  ///< lead id (or event key) bounds, hi exclusive; empty = unbounded
};

/// An event the scan cannot decode (corrupt bytes, failed verification or unsealing).
using scan_damage_handler =
    std::function<status(std::string_view lead_id, lead_version version, const error& why)>;

/// Calls `on_event(lead_id, event)` for each event of the leads in `range`,
/// lead by lead in key order and each lead's events in version order, and
/// `on_lead_end(lead_id)` after each lead's last event (may be empty). Stops at
/// the first error, its own or a callback's. `stop` (optional) is polled every
/// few thousand events; when it returns true the scan ends with errc::internal.
/// An event that cannot be decoded stops the scan with its error, unless
/// `on_damaged` is given: then it is called instead and the scan goes on.
status scan_leads(const event_log& log, const log_snapshot& snapshot, const lead_scan_range& range,
                  const std::function<status(std::string_view lead_id, stored_event& e)>& on_event,
                  const std::function<status(std::string_view lead_id)>& on_lead_end = {},
                  const std::function<bool()>& stop = {}, const scan_damage_handler& on_damaged = {});

} // namespace leadbase::storage
