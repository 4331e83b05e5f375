#include "events/lead_state.hpp"

#include <algorithm>

namespace leadbase {

const char* to_string(lead_status s) noexcept {
  switch (s) {
    case lead_status::none: return "none";
    case lead_status::signed_up: return "signed_up";
    case lead_status::qualified: return "qualified";
    case lead_status::disqualified: return "disqualified";
    case lead_status::enriching: return "enriching";
    case lead_status::enriched: return "enriched";
    case lead_status::enrichment_failed: return "enrichment_failed";
    case lead_status::erased: return "erased";
  }
  return "none";
}

const char* to_string(enrichment_state s) noexcept {
  switch (s) {
    case enrichment_state::not_needed: return "not_needed";
    case enrichment_state::pending: return "pending";
    case enrichment_state::retry_scheduled: return "retry_scheduled";
    case enrichment_state::succeeded: return "succeeded";
    case enrichment_state::failed: return "failed";
  }
  return "not_needed";
}

const char* to_string(work_stage s) noexcept {
  switch (s) {
    case work_stage::unassigned: return "unassigned";
    case work_stage::assigned: return "assigned";
    case work_stage::contacted: return "contacted";
    case work_stage::meeting_booked: return "meeting_booked";
    case work_stage::closed: return "closed";
  }
  return "unassigned";
}

std::optional<work_stage> work_stage_from_string(std::string_view name) noexcept {
  for (work_stage s : {work_stage::unassigned, work_stage::assigned, work_stage::contacted, work_stage::meeting_booked,
                       work_stage::closed})
    if (name == to_string(s)) return s;
  return std::nullopt;
}

work_stage work_state::stage() const noexcept {
  if (closed) return work_stage::closed;
  if (meeting_booked) return work_stage::meeting_booked;
  if (owner.empty()) return work_stage::unassigned;
  return contacts > 0 ? work_stage::contacted : work_stage::assigned;
}

std::optional<int64_t> lead_state::first_contact_ms() const noexcept {
  if (!work.first_contact_at || signup_recorded_at == 0) return std::nullopt;
  return *work.first_contact_at - signup_recorded_at;
}

enrichment_state lead_state::overall_enrichment() const noexcept {
  if (enrichment.empty()) return enrichment_state::not_needed;
  bool any_pending = false, any_scheduled = false, any_succeeded = false;
  for (const auto& [network, progress] : enrichment) {
    any_pending |= progress.state == enrichment_state::pending;
    any_scheduled |= progress.state == enrichment_state::retry_scheduled;
    any_succeeded |= progress.state == enrichment_state::succeeded;
  }
  if (any_pending) return enrichment_state::pending;
  if (any_scheduled) return enrichment_state::retry_scheduled;
  if (any_succeeded) return enrichment_state::succeeded;
  return enrichment_state::failed;
}

std::optional<int64_t> lead_state::processing_ms() const noexcept {
  if (!final_at || signup_recorded_at == 0) return std::nullopt;
  return *final_at - signup_recorded_at;
}

const seen_event* lead_state::find_seen(const std::string& event_id) const noexcept {
  for (const auto& s : seen)
    if (s.event_id == event_id) return &s;
  return nullptr;
}

lead_state initial(std::string lead_id) {
  lead_state s;
  s.lead_id = std::move(lead_id);
  return s;
}

namespace {

/// Status is derived, never stored on its own: one rule for every event order.
lead_status derive_status(const lead_state& s) {
  if (s.version == 0) return lead_status::none;
  if (!s.qualification) return lead_status::signed_up;
  if (s.qualification->result == outcome::disqualified) return lead_status::disqualified;
  if (s.enrichment.empty()) return lead_status::qualified;
  if (!s.social.empty()) return lead_status::enriched;  // a failed refresh does not demote
  switch (s.overall_enrichment()) {
    case enrichment_state::pending:
    case enrichment_state::retry_scheduled: return lead_status::enriching;
    case enrichment_state::succeeded: return lead_status::enriched;
    default: return lead_status::enrichment_failed;
  }
}

bool is_final(lead_status s) {
  return s == lead_status::disqualified || s == lead_status::qualified || s == lead_status::enriched ||
         s == lead_status::enrichment_failed;
}

void apply(lead_state& s, const event& e, const signed_up& p) {
  if (s.signup_recorded_at != 0) return;  // decide refuses a second signup; be total anyway
  s.contact = p;
  s.correlation_id = e.meta.correlation_id;
  s.signed_up_at = e.meta.occurred_at;
  s.signup_recorded_at = e.meta.recorded_at;
  if (e.personal_erased) s.personal_erased = true;
}

void apply(lead_state& s, const event& e, const qualified& p) {
  s.qualification = qualification_view{p.result, p.reasons, p.rules_version, p.decided_by, e.meta.recorded_at};
  if (p.result == outcome::disqualified) return;  // enrichment progress is kept for an override back
  // Which networks to enrich follows from which handles the signup had (its
  // presence flags), not from their values: a stream whose key was destroyed
  // folds to the same state as the live lead did.
  for (network net : enrichable_networks) {
    const bool had = net == network::instagram ? s.contact.has_instagram() : s.contact.has_youtube();
    if (!had) continue;
    s.enrichment.try_emplace(net);  // pending unless already tracked
  }
}

void apply(lead_state& s, const event& e, const enriched& p) {
  s.social[p.network] = static_cast<const network_profile&>(p);
  network_enrichment& prog = s.enrichment[p.network];
  prog.state = enrichment_state::succeeded;
  ++prog.attempts;
  prog.cycle_attempts = 0;
  prog.next_attempt_at.reset();
  prog.last_error.reset();  // the view's last_error is about the current cycle
  prog.last_success_at = p.fetched_at;
  if (p.network == network::instagram) s.instagram_followers.push_back({p.fetched_at, p.followers});
  (void)e;
}

void apply(lead_state& s, const event&, const enrichment_failed& p) {
  network_enrichment& prog = s.enrichment[p.network];
  // A fail-fast answer of an open circuit, or a provider switched off, is no
  // call to the provider.
  if (counts_as_call(p.error_class)) {
    ++prog.attempts;
    prog.cycle_attempts = std::max(prog.cycle_attempts + 1, p.attempt);
  }
  prog.last_error = p.error_class;
  if (p.retryable && p.next_attempt_at) {
    prog.state = enrichment_state::retry_scheduled;
    prog.next_attempt_at = p.next_attempt_at;
  } else if (prog.last_success_at) {
    // A refresh that failed for good: the earlier data stands.
    prog.state = enrichment_state::succeeded;
    prog.next_attempt_at.reset();
    prog.cycle_attempts = 0;
  } else {
    prog.state = enrichment_state::failed;
    prog.next_attempt_at.reset();
  }
}

void apply(lead_state& s, const event&, const erased&) {
  drop_personal_values(s);
  // Nothing personal is left to enrich with: pending work ends here.
  for (auto& [network, prog] : s.enrichment) {
    if (prog.state == enrichment_state::pending || prog.state == enrichment_state::retry_scheduled) {
      prog.state = prog.last_success_at ? enrichment_state::succeeded : enrichment_state::failed;
      prog.next_attempt_at.reset();
    }
  }
  s.status = lead_status::erased;
}

void apply(lead_state& s, const event& e, const assigned& p) {
  s.work.owner = p.owner;
  s.work.claimed_at = e.meta.recorded_at;
  s.work.claim_expires_at = s.work.open() ? p.expires_at : std::nullopt;
}

void apply(lead_state& s, const event&, const released&) {
  s.work.owner.clear();
  s.work.claimed_at.reset();
  s.work.claim_expires_at.reset();
}

void apply(lead_state& s, const event& e, const contact_logged& p) {
  work_state& w = s.work;
  ++w.contacts;
  w.last_contact = contact_summary{p.contacted_at, p.by, p.channel, p.result};
  if (!w.first_contact_at) w.first_contact_at = e.meta.recorded_at;
  if (p.result == contact_outcome::meeting_booked) {
    w.meeting_booked = true;
    w.closed = false;
  } else if (closes(p.result)) {
    w.closed = true;
    w.meeting_booked = false;
  } else {
    w.closed = false;  // reopened (decide lets only an admin do that)
  }
  if (p.claim_expires_at) w.claim_expires_at = p.claim_expires_at;
  if (!w.open() || w.owner.empty()) w.claim_expires_at.reset();  // nothing left to lapse
}

void apply(lead_state&, const event&, const unknown_event&) {
  // Written by a newer version: skipped, not fatal.
}

} // namespace

void evolve(lead_state& s, const event& e) {
  if (s.lead_id.empty()) s.lead_id = e.meta.lead_id;
  std::visit([&](const auto& p) { apply(s, e, p); }, e.data);
  s.version = e.meta.version;
  s.position = e.meta.position;
  s.updated_at = e.meta.recorded_at;
  s.seen.push_back({e.meta.event_id, e.meta.digest, e.meta.version, e.meta.position});
  if (s.status != lead_status::erased) s.status = derive_status(s);
  if (!s.final_at && is_final(s.status)) s.final_at = e.meta.recorded_at;
}

void drop_personal_values(lead_state& s) {
  s.personal_erased = true;
  s.contact.email.clear();
  s.contact.name.clear();
  s.contact.phone.clear();
  s.contact.document.clear();
  s.contact.social = {};
  for (auto& [network, prof] : s.social) prof.handle.clear();
}

} // namespace leadbase
