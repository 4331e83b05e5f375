#pragma once
// The audit of one lead (docs/http-api.md, "Audit"), the one home of what the HTTP
// audit routes (GET /v1/leads/{id}/history, /state?as_of=, /replay) and
// `leadbase replay` compute: the lead's chain read with every damaged record
// in its place, the verdict on it (storage/chain_check.hpp), and the pure fold
// replayed step by step or up to a time.
//
// As-of compares with recorded_at (when the log stored the event), never the
// signup's occurred_at: recorded_at grows with the version, so the fold stops
// at the first readable event recorded after the time. An event the log cannot
// read is not folded (the state stays as it was); the verdict names it.
#include <functional>
#include <optional>
#include <string>

#include "events/errc.hpp"
#include "events/lead_state.hpp"
#include "storage/chain_check.hpp"
#include "storage/event_log.hpp"

namespace leadbase::audit {

/// One lead's events, in version order, and the verdict on their chain.
struct lead_record {
  std::string lead_id;
  storage::chain_read chain;
  storage::chain_verdict verdict;
};

/// Reads and checks the lead's chain. not_found when the log holds nothing of
/// the lead (no event, no head, not even a damaged one). With `with_stored`,
/// chain.stored holds each event's stored bytes (history?include=stored).
result<lead_record> read_lead(const storage::event_log& log, const std::string& lead_id, bool with_stored = false);

/// Called for each step of a replay: the event (damaged() when unreadable) and
/// the state after it.
using replay_step = std::function<void(const storage::stored_event& event, const lead_state& after)>;

/// Folds the lead's events in order, calling `step` after each one; with
/// `as_of`, stops before the first readable event recorded after it.
void replay(const lead_record& lead, std::optional<millis> as_of, const replay_step& step);

/// The state after the last readable event recorded at or before `as_of`;
/// version 0 when there is none.
lead_state state_as_of(const lead_record& lead, millis as_of);

/// When the first readable event was recorded; nullopt when none is readable.
std::optional<millis> first_recorded_at(const lead_record& lead);

} // namespace leadbase::audit
