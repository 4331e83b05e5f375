#pragma once
// The lead's state and the pure fold (docs/design.md "Layers": the Decider's `initial` and
// `evolve`). One implementation, used by the lead actor, the projections,
// replay, verify and the tests. No I/O, no clock, no logging.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"

namespace leadbase {

enum class lead_status : uint8_t {
  none,  // no event yet
  signed_up,
  qualified,
  disqualified,
  enriching,
  enriched,
  enrichment_failed,
  erased,
};
const char* to_string(lead_status s) noexcept;

enum class enrichment_state : uint8_t { not_needed, pending, retry_scheduled, succeeded, failed };
const char* to_string(enrichment_state s) noexcept;

/// The networks Creator Discovery enriches; TikTok is not among them (its
/// Display API needs the creator's own sign-in, see README).
inline constexpr network enrichable_networks[] = {network::instagram, network::youtube};

/// Where the enrichment of one network stands.
struct network_enrichment {
  enrichment_state state = enrichment_state::pending;
  uint32_t attempts = 0;        // real calls to the provider, all time
  uint32_t cycle_attempts = 0;  // real calls since this enrichment cycle began (the retry limit)
  std::optional<failure_class> last_error;  // class of the last failure in this cycle, if any
  std::optional<millis> next_attempt_at;
  std::optional<millis> last_success_at;  // fetched_at of the last `enriched`
};

struct follower_sample {
  millis at = 0;
  int64_t followers = 0;
};

struct qualification_view {
  outcome result = outcome::qualified;
  std::vector<std::string> reasons;
  std::string rules_version;
  std::string decided_by;
  millis at = 0;  // recorded_at of the deciding event
};

/// Where the work on a lead stands (docs/domain.md "Working the leads"), derived
/// by the fold: unassigned (no owner) -> assigned -> contacted (a contact, none
/// closing) -> meeting_booked, or closed (not_interested, wrong_contact,
/// do_not_contact). meeting_booked and closed leads leave the work queue.
enum class work_stage : uint8_t { unassigned, assigned, contacted, meeting_booked, closed };
const char* to_string(work_stage s) noexcept;
std::optional<work_stage> work_stage_from_string(std::string_view name) noexcept;

/// The latest contact, as the view shows it (the note stays in the event).
struct contact_summary {
  millis at = 0;  // contacted_at
  std::string by;
  contact_channel channel = contact_channel::phone;
  contact_outcome result = contact_outcome::no_answer;
};

/// The `work` part of a lead.
struct work_state {
  std::string owner;                       // empty = unassigned
  std::optional<millis> claimed_at;        // recorded_at of the `assigned`
  std::optional<millis> claim_expires_at;  // when the claim lapses; none once the lead is no longer open
  uint32_t contacts = 0;
  std::optional<contact_summary> last_contact;
  std::optional<millis> first_contact_at;  // recorded_at of the first contact_logged
  bool meeting_booked = false;             // the latest deciding contact booked a meeting
  bool closed = false;                     // the latest deciding contact closed the lead

  work_stage stage() const noexcept;
  /// Still to be worked: not meeting_booked, not closed.
  bool open() const noexcept { return !meeting_booked && !closed; }
};

/// An event this lead has stored: what idempotency by event id needs.
struct seen_event {
  std::string event_id;
  content_digest digest{};
  lead_version version = 0;
  global_position position = 0;
};

struct lead_state {
  std::string lead_id;
  lead_version version = 0;         // of the last event; 0 = no event yet
  global_position position = 0;     // of the last event
  lead_status status = lead_status::none;
  millis signed_up_at = 0;          // occurred_at of the signup (business time)
  millis signup_recorded_at = 0;    // when we stored it: processing time starts here
  millis updated_at = 0;            // recorded_at of the last event
  signed_up contact;                // the signup's data; personal fields empty once erased
  std::string correlation_id;       // the signup's: what the lead's own follow-ups carry
  bool personal_erased = false;
  std::optional<qualification_view> qualification;
  // By network, in the order of their names (see `network`); `social` holds
  // each network's newest `enriched` profile.
  std::map<network, network_profile> social;
  std::map<network, network_enrichment> enrichment;  // empty = nothing to enrich
  std::vector<follower_sample> instagram_followers;      // every enrichment, oldest first
  std::optional<millis> final_at;   // recorded_at of the event that first made the lead final
  std::vector<seen_event> seen;     // every stored event id, oldest first
  work_state work;

  /// first_contact_ms of the view: signup recorded -> first contact recorded.
  std::optional<int64_t> first_contact_ms() const noexcept;

  /// The view's `enrichment.state`, aggregated over networks.
  enrichment_state overall_enrichment() const noexcept;
  /// processing_ms of the view: signup recorded -> first final state.
  std::optional<int64_t> processing_ms() const noexcept;
  const seen_event* find_seen(const std::string& event_id) const noexcept;
};

/// The state before the first event.
lead_state initial(std::string lead_id);

/// The fold: the state after `e`. Total over every event type; events of an
/// unknown (newer) type only advance the version.
void evolve(lead_state& state, const event& e);

/// Folds a whole stream from `initial`.
template <class Events>
lead_state fold(std::string lead_id, const Events& events) {
  lead_state s = initial(std::move(lead_id));
  for (const auto& e : events) evolve(s, e);
  return s;
}

/// Clears the lead's personal values (email, name, phone, document, handles)
/// and marks them erased: what `erased` does to a state, and what verify
/// compares without when a data key is gone before the projection saw `erased`.
void drop_personal_values(lead_state& s);

} // namespace leadbase
