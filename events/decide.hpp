#pragma once
// The Decider's `decide` (DESIGN.md): every decision about what a lead's stream
// may accept, as a pure function of the state and the command.
#include <optional>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/lead_state.hpp"

namespace leadbase {

/// "Append this event", from ingest (HTTP, import) or from the lead's own
/// follow-ups. The event's envelope carries event_id, lead_id, occurred_at,
/// correlation/causation ids and the content digest; version, position,
/// recorded_at and prev_hash are filled in by decide and the journal.
struct append_command {
  event ev;
  std::optional<lead_version> expected_version;
};

struct decision {
  /// True when the command repeats a stored event (same id, same content):
  /// nothing is appended and the original version/position are the answer.
  bool duplicate = false;
  lead_version version = 0;
  global_position position = 0;  // known only for duplicates; the journal assigns it otherwise
  std::vector<event> to_append;
};

/// Idempotency by event id, expected version, one signup per lead, nothing for
/// a lead that never signed up, nothing after erasure.
result<decision> decide(const lead_state& state, const append_command& cmd);

} // namespace leadbase
