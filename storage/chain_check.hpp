#pragma once
// The integrity verdict on one lead's chain (docs/http-api.md, "Audit"): every event
// readable, versions 1, 2, 3 ... without a gap, each event's prev_hash the hash
// of the one before it (zeros for version 1), and the last event the lead's
// head (same version, same hash). The head is what makes a change to, or the
// removal of, the newest event visible: without it a link-by-link check ends
// where the chain ends, whatever was cut off or rewritten there.
//
// first_bad_version is the oldest version the chain cannot vouch for:
//   - an event that cannot be read (stored_event::damage): that version;
//   - a missing version (a gap, or the head's version beyond the last event):
//     the first missing one;
//   - a broken link between v-1 and v: v-1, whose stored bytes no longer hash
//     to what v recorded (a changed event; a changed prev_hash of v looks the
//     same, and v-1 is then where trust ends too);
//   - the last event's hash differs from the head's: the last version;
//   - events beyond the head's version: the first of them; no head at all: 1.
#include <optional>
#include <string>
#include <vector>

#include "storage/event_log.hpp"

namespace leadbase::storage {

struct chain_verdict {
  bool intact = true;
  lead_version first_bad_version = 0;  ///< 0 when intact
  std::string problem;                 ///< what is wrong there, for people; empty when intact
};

/// Checks `chain` (read_chain's answer) as the file comment says. An empty
/// chain with no head is intact (no lead).
chain_verdict check_chain(const chain_read& chain);

} // namespace leadbase::storage
