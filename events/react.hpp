#pragma once
// The Decider's `react` and `pending` (docs/design.md "Layers"): what a lead owes next, as
// a pure function of its state. The log, not a timer in memory, says what is
// owed: a lead rehydrated after a restart computes the same follow-ups.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/lead_state.hpp"

namespace leadbase {

struct follow_up {
  enum class kind : uint8_t { qualify, enrich };
  kind what = kind::qualify;
  leadbase::network network = leadbase::network::unknown;  // enrich: instagram or youtube
  std::string handle;      // enrich: the handle from the signup
  millis due = 0;          // not before this time (0 = now)
  uint32_t attempt = 0;    // enrich: the number of the call to make in this cycle (1 = first)
  bool refresh = false;    // enrich: a re-enrichment after refresh_days
};

struct react_options {
  uint32_t refresh_days = 30;
};

/// The signup's handle on `net` (instagram, youtube); empty for any other.
const std::string& handle_of(const lead_state& s, network net);

/// Whether the lead is one Creator Discovery works for: signed up, not
/// erased, qualified (not disqualified), with a network to enrich. What
/// pending() owes it and what a person may ask of it again (retry_now).
bool enrichable(const lead_state& s);

/// Everything the lead owes, due now or later: a qualification after the
/// signup; per network, a first call, a scheduled retry, or a refresh
/// refresh_days after the last success. Nothing for erased or disqualified
/// leads, nor for networks whose enrichment failed for good.
std::vector<follow_up> pending(const lead_state& s, const react_options& opts);

/// The follow-ups of the state after `e` (what `e` set in motion, and
/// anything still owed). The same as `pending(after)`: there is one rule.
std::vector<follow_up> react(const lead_state& after, const event& e, const react_options& opts);

/// Whether the lead is waiting for the answer to call number `attempt` of
/// `network` at `now`: pending(s) owes that very call and it is due. An answer
/// it is not waiting for is stale and must not be recorded: a lead actor
/// passivated with a call on its way comes back from the log and may ask again
/// before the first answer reaches it, and the later of the two answers would
/// otherwise be recorded as a second enrichment or a second attempt.
bool awaits_answer(const lead_state& s, const react_options& opts, network net, uint32_t attempt, millis now);

/// When the lead's claim lapses (docs/domain.md "Working the leads": a claim lasts claim_ttl_hours from
/// the claim or the owner's last contact): the claim's expiry while the lead
/// has an owner, is open (neither meeting_booked nor closed) and not erased.
std::optional<millis> claim_lapse(const lead_state& s);

/// The earliest due time of pending(s) and of claim_lapse(s), if anything is owed.
std::optional<millis> next_due(const lead_state& s, const react_options& opts);

} // namespace leadbase
