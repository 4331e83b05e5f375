#include "events/decide.hpp"

#include <algorithm>
#include <cmath>

namespace leadbase {
namespace {

// -- what any stream may accept --------------------------------------------------

/// Idempotency by event id, expected version, one signup per lead, nothing for
/// a lead that never signed up, nothing after erasure.
result<decision> accept(const lead_state& state, const append_command& cmd) {
  const event& ev = cmd.ev;
  if (const seen_event* seen = state.find_seen(ev.meta.event_id)) {
    if (seen->digest != ev.meta.digest)
      return error{errc::conflict, "event_id " + ev.meta.event_id + " was already used with different content"};
    decision d;
    d.duplicate = true;
    d.version = seen->version;
    d.position = seen->position;
    return d;
  }
  if (cmd.expected_version && *cmd.expected_version != state.version)
    return error{errc::conflict, "expected version " + std::to_string(*cmd.expected_version) +
                                     " but the lead is at version " + std::to_string(state.version)};
  const event_type type = ev.type();
  if (type == event_type::unknown) return error{errc::validation, "unknown event type"};
  if (state.status == lead_status::erased)
    return error{errc::lead_erased, "the lead's personal data was erased; it takes no new events"};
  if (type == event_type::signed_up) {
    if (state.version > 0) return error{errc::conflict, "the lead has already signed up"};
  } else if (state.version == 0) {
    return error{errc::not_found, "the lead has not signed up"};
  }
  if (type == event_type::enriched || type == event_type::enrichment_failed) {
    const network net = type == event_type::enriched ? std::get<enriched>(ev.data).network
                                                      : std::get<enrichment_failed>(ev.data).network;
    if (net == network::unknown) return error{errc::validation, "network is required"};
  }
  if (type == event_type::qualified && std::get<qualified>(ev.data).decided_by.empty())
    return error{errc::validation, "decided_by is required"};
  decision d;
  d.version = state.version + 1;
  d.to_append.push_back(ev);
  d.to_append.back().meta.version = d.version;
  d.to_append.back().meta.lead_id = state.lead_id.empty() ? ev.meta.lead_id : state.lead_id;
  return d;
}

// -- the lead's own events -------------------------------------------------------

/// Builds the lead's own events (qualification, enrichment outcomes) one after
/// the other: each is caused by the lead's latest event, correlated with its
/// signup, and accepted against the state the previous ones made.
class own_events {
 public:
  own_events(const lead_state& state, const decide_context& ctx) : base_(state), ctx_(ctx) {}

  /// Appends `data` as the lead's next own event; false when the stream refuses it.
  bool add(const char* id_prefix, payload data) {
    const lead_state& now = state();
    append_command cmd;
    cmd.ev.meta.event_id = own_event_id(id_prefix, ctx_.id_bits, index_++);
    cmd.ev.meta.lead_id = now.lead_id;
    cmd.ev.meta.occurred_at = ctx_.now;
    cmd.ev.meta.correlation_id = now.correlation_id;
    if (!now.seen.empty()) cmd.ev.meta.causation_id = now.seen.back().event_id;
    cmd.ev.data = std::move(data);
    auto d = accept(now, cmd);
    if (!d || d->duplicate) return false;
    for (event& ev : d->to_append) {
      if (next_) evolve(*next_, ev);
      events_.push_back(std::move(ev));
    }
    return true;
  }

  /// Starts from a state with `ingested` already accepted (not own: it keeps its id).
  void note_accepted(const std::vector<event>& ingested) {
    for (const event& ev : ingested) evolve(mutable_state(), ev);
  }

  /// The state after the events so far. Copied from the lead's only once a
  /// second event needs it: most decisions add one event.
  const lead_state& state() {
    if (!next_ && events_.empty()) return base_;
    return mutable_state();
  }

  std::vector<event> take() { return std::move(events_); }

 private:
  lead_state& mutable_state() {
    if (!next_) {
      next_ = base_;
      for (const event& ev : events_) evolve(*next_, ev);
    }
    return *next_;
  }

  const lead_state& base_;
  std::optional<lead_state> next_;
  const decide_context& ctx_;
  uint32_t index_ = 0;
  std::vector<event> events_;
};

/// The final, recorded answer for a network no provider serves: the lead is
/// then prioritised with the data it has. Not a call, so not an attempt.
enrichment_failed disabled_outcome(const enrich_call& c) {
  return enrichment_failed{c.network, c.handle, c.attempt, failure_class::provider_disabled, "", false, std::nullopt};
}

decision appending(std::vector<event> events) {
  decision d;
  d.to_append = std::move(events);
  if (!d.to_append.empty()) d.version = d.to_append.back().meta.version;
  return d;
}

decision one_own_event(const lead_state& state, const decide_context& ctx, const char* prefix, payload data) {
  own_events own(state, ctx);
  own.add(prefix, std::move(data));
  return appending(own.take());
}

// -- the commands ----------------------------------------------------------------

/// What the lead owes now (pending): its qualification, one event at a time
/// (the qualification's own append runs the rest); the Creator Discovery calls
/// that are due, or with no provider at all the final provider_disabled answer;
/// and a wake-up for what comes due later.
result<decision> decide_expire(const lead_state& s, const expire_claim&, const decide_context& ctx);

result<decision> decide_owed(const lead_state& s, const decide_context& ctx) {
  const decide_options& o = *ctx.options;
  decision d;
  // A lapsed claim first (whatever follow_ups says: it is the SDRs' work, not
  // Creator Discovery's); the release's own append runs the rest.
  if (auto lapse = claim_lapse(s)) {
    if (*lapse <= ctx.now) return decide_expire(s, expire_claim{}, ctx);
    d.wake_at = *lapse;
  }
  if (!o.follow_ups) return d;
  for (const follow_up& f : pending(s, o.react)) {
    if (f.due > ctx.now) {
      d.wake_at = d.wake_at ? std::min(*d.wake_at, f.due) : f.due;
      continue;
    }
    if (f.what == follow_up::kind::qualify)
      return one_own_event(s, ctx, "qual:", qualify(s.contact, o.qualification, o.disposable_domains));
    const enrich_call call{f.network, f.handle, f.attempt, false};
    // No provider and a refresh due: nothing to record. A failed refresh keeps
    // the earlier data and leaves the refresh due, so recording provider_disabled
    // here appended another one after every append, without end (seen with
    // claim_bench's leads, enriched over 30 days ago, once a claim woke them).
    if (!o.has_provider && f.refresh) continue;
    if (!o.has_provider) return one_own_event(s, ctx, "enf:", disabled_outcome(call));
    d.calls.push_back(call);
  }
  return d;
}

/// An ingested event; a signup's immediate consequences go into the same
/// atomic append (one journal write and one fsync wait per signup): its
/// qualification and, with no provider at all, the final provider_disabled
/// answer of each network it would be enriched on.
result<decision> decide_ingest(const lead_state& s, const ingest& cmd, const decide_context& ctx) {
  auto d = accept(s, cmd);
  if (!d || d->duplicate) return d;
  const decide_options& o = *ctx.options;
  if (!o.follow_ups || cmd.ev.type() != event_type::signed_up) return d;
  own_events own(s, ctx);
  own.note_accepted(d->to_append);
  if (!own.add("qual:", qualify(own.state().contact, o.qualification, o.disposable_domains))) return d;
  if (!o.has_provider) {
    for (const follow_up& f : pending(own.state(), o.react)) {
      if (f.what != follow_up::kind::enrich || f.due > ctx.now) continue;
      own.add("enf:", disabled_outcome(enrich_call{f.network, f.handle, f.attempt, false}));
    }
  }
  for (event& ev : own.take()) d->to_append.push_back(std::move(ev));
  return d;
}

/// An answer the lead no longer waits for is stale and must not be recorded:
/// a lead actor passivated with a call on its way comes back from the log and
/// may ask again before the first answer reaches it. Nothing is recorded for
/// a lead that is gone (erased) or never was.
std::optional<decision> unless_awaited(const lead_state& s, const enrich_call& c, const decide_context& ctx) {
  if (s.status == lead_status::erased || s.status == lead_status::none) return decision{};
  if (c.manual || awaits_answer(s, ctx.options->react, c.network, c.attempt, ctx.now)) return std::nullopt;
  // Whatever is owed now, with this network no longer being called.
  auto owed = decide_owed(s, ctx);
  return owed ? std::move(*owed) : decision{};
}

/// A provider's answer: the data as `enriched`, or the failure with the retry
/// policy's verdict (final, or the time of the next attempt).
result<decision> decide_fetch(const lead_state& s, const record_fetch& cmd, const decide_context& ctx) {
  if (auto stale = unless_awaited(s, cmd.call, ctx)) return std::move(*stale);
  const enrich_call& c = cmd.call;
  if (const auto* data = std::get_if<enriched>(&cmd.answer)) {
    enriched e = *data;
    e.network = c.network;
    e.handle = c.handle;
    if (e.fetched_at == 0) e.fetched_at = ctx.now;
    return one_own_event(s, ctx, "enr:", std::move(e));
  }
  const fetch_failure& err = std::get<fetch_failure>(cmd.answer);
  const double u = ctx.uniform;
  auto delay = next_retry_delay_ms(c.attempt, err.kind, ctx.options->retry, [u] { return u; }, err.retry_after);
  enrichment_failed f{c.network, c.handle, c.attempt, err.kind, err.provider_code, delay.has_value(), std::nullopt};
  if (delay) f.next_attempt_at = ctx.now + *delay;
  return one_own_event(s, ctx, "enf:", std::move(f));
}

/// Fail-fast of an open circuit: recorded (not counted) and rescheduled past
/// the open period, with up to 1 s of jitter so the leads do not all come back
/// at the same moment.
result<decision> decide_circuit_open(const lead_state& s, const circuit_open& cmd, const decide_context& ctx) {
  if (auto stale = unless_awaited(s, cmd.call, ctx)) return std::move(*stale);
  const millis wait = cmd.wait_ms + static_cast<millis>(ctx.uniform * 1000.0);
  const enrich_call& c = cmd.call;
  return one_own_event(s, ctx, "enf:",
                       enrichment_failed{c.network, c.handle, c.attempt, failure_class::provider_unavailable,
                                         "circuit_open", true, ctx.now + wait});
}

/// The provider's queue was full: no call was made, nothing to record; ask
/// again in a second.
result<decision> decide_busy(const lead_state& s, const provider_busy& cmd, const decide_context& ctx) {
  if (auto stale = unless_awaited(s, cmd.call, ctx)) return std::move(*stale);
  decision d;
  d.wake_at = ctx.now + 1000;
  return d;
}

result<decision> decide_disabled(const lead_state& s, const provider_disabled& cmd, const decide_context& ctx) {
  if (auto stale = unless_awaited(s, cmd.call, ctx)) return std::move(*stale);
  return one_own_event(s, ctx, "enf:", disabled_outcome(cmd.call));
}

/// Erasure: of a lead that exists; idempotent once it is done.
result<decision> decide_erase(const lead_state& s, const erase& cmd, const decide_context& ctx) {
  if (s.status == lead_status::none) return error{errc::not_found, "no such lead"};
  if (s.status == lead_status::erased) {
    decision d;
    d.duplicate = true;
    d.version = s.version;
    d.position = s.position;
    return d;
  }
  append_command a;
  a.ev.meta.event_id = own_event_id("erase:", ctx.id_bits, 0);
  a.ev.meta.lead_id = s.lead_id;
  a.ev.meta.occurred_at = ctx.now;
  a.ev.meta.correlation_id = cmd.correlation_id;
  a.ev.data = erased{cmd.reason, cmd.requested_by};
  return accept(s, a);
}

/// A person asks for enrichment again now: one call per network with a
/// handle, whatever its state, numbered as the next of its cycle.
result<decision> decide_retry(const lead_state& s, const retry_now&, const decide_context& ctx) {
  if (s.status == lead_status::none) return error{errc::not_found, "no such lead"};
  if (!enrichable(s)) return error{errc::conflict, "the lead has nothing to enrich"};
  if (!ctx.options->has_provider) return error{errc::conflict, "no Creator Discovery provider is configured"};
  decision d;
  d.version = s.version;
  d.position = s.position;
  for (const auto& [network, prog] : s.enrichment) {
    const std::string& handle = handle_of(s, network);
    if (!handle.empty()) d.calls.push_back(enrich_call{network, handle, prog.cycle_attempts + 1, true});
  }
  return d;
}


// -- working the lead --------------------------------------------------------------

/// One work event: the lead's own (its id drawn here, no digest yet), caused by
/// the lead's latest event and correlated with the request that asked for it.
result<decision> work_event(const lead_state& s, const decide_context& ctx, const char* prefix,
                            const std::string& correlation_id, std::optional<lead_version> expected, payload data) {
  append_command a;
  a.ev.meta.event_id = own_event_id(prefix, ctx.id_bits, 0);
  a.ev.meta.lead_id = s.lead_id;
  a.ev.meta.occurred_at = ctx.now;
  a.ev.meta.correlation_id = correlation_id.empty() ? s.correlation_id : correlation_id;
  if (!s.seen.empty()) a.ev.meta.causation_id = s.seen.back().event_id;
  a.ev.data = std::move(data);
  a.expected_version = expected;
  return accept(s, a);
}

/// What every work command needs first: a lead that signed up and was not erased.
std::optional<error> workable(const lead_state& s, std::optional<lead_version> expected) {
  if (s.status == lead_status::none) return error{errc::not_found, "no such lead"};
  if (s.status == lead_status::erased)
    return error{errc::lead_erased, "the lead's personal data was erased; it takes no new work"};
  if (expected && *expected != s.version)
    return error{errc::conflict, "expected version " + std::to_string(*expected) + " but the lead is at version " +
                                     std::to_string(s.version)};
  return std::nullopt;
}

decision unchanged(const lead_state& s) {
  decision d;
  d.duplicate = true;
  d.version = s.version;
  d.position = s.position;
  return d;
}

/// Only an unassigned, qualified, open lead can be claimed; its owner claiming
/// it again changes nothing.
result<decision> decide_claim(const lead_state& s, const claim& cmd, const decide_context& ctx) {
  if (auto refused = workable(s, cmd.expected_version)) return std::move(*refused);
  if (cmd.by.name.empty()) return error{errc::validation, "the claim names no person"};
  if (s.work.owner == cmd.by.name) return unchanged(s);
  if (!s.work.owner.empty()) return error{errc::conflict, "the lead is claimed by someone else"};
  if (!s.qualification) return error{errc::conflict, "the lead is not qualified yet"};
  if (s.qualification->result == outcome::disqualified)
    return error{errc::conflict, "a disqualified lead cannot be claimed"};
  if (!s.work.open())
    return error{errc::conflict, std::string("the lead's work is over (") + to_string(s.work.stage()) + ")"};
  return work_event(s, ctx, "claim:", cmd.correlation_id, cmd.expected_version,
                    assigned{cmd.by.name, cmd.by.name, assign_how::claim, ctx.now + ctx.options->claim_ttl_ms});
}

/// The owner releases, or an admin releases anyone's claim.
result<decision> decide_release(const lead_state& s, const release& cmd, const decide_context& ctx) {
  if (auto refused = workable(s, std::nullopt)) return std::move(*refused);
  if (s.work.owner.empty()) return error{errc::conflict, "the lead has no owner"};
  const bool own = s.work.owner == cmd.by.name;
  if (!own && !cmd.by.admin) return error{errc::conflict, "only the lead's owner or an admin may release it"};
  return work_event(s, ctx, "release:", cmd.correlation_id, std::nullopt,
                    released{s.work.owner, cmd.by.name, own ? release_reason::by_owner : release_reason::by_admin});
}

/// The owner (or an admin) logs a contact; only an admin reopens a closed
/// lead. The owner's contact on a lead still open restarts the claim's TTL.
result<decision> decide_contact(const lead_state& s, const log_contact& cmd, const decide_context& ctx) {
  if (auto refused = workable(s, cmd.expected_version)) return std::move(*refused);
  const bool own = !s.work.owner.empty() && s.work.owner == cmd.by.name;
  if (!own && !cmd.by.admin) return error{errc::conflict, "only the lead's owner or an admin may log a contact"};
  if (s.work.closed && !cmd.by.admin) return error{errc::conflict, "a closed lead is reopened only by an admin"};
  const millis at = cmd.contacted_at.value_or(ctx.now);
  if (at > ctx.now + contact_clock_skew_ms) return error{errc::validation, "contacted_at is in the future"};
  // No one contacted the creator before they signed up: an earlier time is a
  // typo or a wrong clock, and would skew the time-to-first-contact figures.
  // The signup's time is the earlier of occurred_at (the platform's clock,
  // not bounded at ingest) and when we recorded it (ours, never ahead).
  if (at < std::min(s.signed_up_at, s.signup_recorded_at))
    return error{errc::validation, "contacted_at is before the lead signed up"};
  contact_logged c;
  c.by = cmd.by.name;
  c.channel = cmd.channel;
  c.result = cmd.result;
  c.note = cmd.note;
  c.had_note = !cmd.note.empty();
  c.contacted_at = at;
  work_state after = s.work;
  after.meeting_booked = cmd.result == contact_outcome::meeting_booked || (after.meeting_booked && !closes(cmd.result));
  after.closed = closes(cmd.result);
  if (!after.owner.empty() && after.open() && (own || s.work.closed)) c.claim_expires_at = ctx.now + ctx.options->claim_ttl_ms;
  return work_event(s, ctx, "contact:", cmd.correlation_id, cmd.expected_version, std::move(c));
}

/// An admin hands the lead to `owner` (docs/domain.md "Working the leads": an
/// `assigned` with how manual). A lead someone else owns changes hands in one
/// atomic append: `released` (by the admin, reason by_admin) then `assigned`.
/// A meeting_booked or closed lead can be handed over: its stage stays and
/// nothing lapses; on an open lead the assignment lapses like a claim.
result<decision> decide_assign(const lead_state& s, const assign& cmd, const decide_context& ctx) {
  if (auto refused = workable(s, std::nullopt)) return std::move(*refused);
  if (!cmd.by.admin) return error{errc::conflict, "only an admin may assign a lead"};
  if (cmd.owner.empty()) return error{errc::validation, "the assignment names no owner"};
  if (s.work.owner == cmd.owner) return unchanged(s);
  if (!s.qualification) return error{errc::conflict, "the lead is not qualified yet"};
  if (s.qualification->result == outcome::disqualified)
    return error{errc::conflict, "a disqualified lead cannot be assigned"};
  std::optional<millis> expires;
  if (s.work.open()) expires = ctx.now + ctx.options->claim_ttl_ms;
  assigned a{cmd.owner, cmd.by.name, assign_how::manual, expires};
  if (s.work.owner.empty()) return work_event(s, ctx, "assign:", cmd.correlation_id, std::nullopt, std::move(a));
  auto d = work_event(s, ctx, "release:", cmd.correlation_id, std::nullopt,
                      released{s.work.owner, cmd.by.name, release_reason::by_admin});
  if (!d) return d;
  lead_state after = s;
  for (const event& ev : d->to_append) evolve(after, ev);
  decide_context next = ctx;
  next.id_bits = ctx.id_bits + 1;  // the second event's id differs from the first's
  auto second = work_event(after, next, "assign:", cmd.correlation_id, std::nullopt, std::move(a));
  if (!second) return second;
  for (event& ev : second->to_append) d->to_append.push_back(std::move(ev));
  d->version = second->version;
  return d;
}

/// A claim whose time is up releases itself (reason expired), once: the
/// release leaves no claim to lapse. Anything else is no decision at all.
result<decision> decide_expire(const lead_state& s, const expire_claim&, const decide_context& ctx) {
  const auto lapse = claim_lapse(s);
  if (!lapse) return decision{};
  if (*lapse > ctx.now) {
    decision d;
    d.wake_at = *lapse;
    return d;
  }
  return work_event(s, ctx, "expire:", s.correlation_id, std::nullopt,
                    released{s.work.owner, system_actor, release_reason::expired});
}

} // namespace

std::string own_event_id(const char* prefix, uint64_t id_bits, uint32_t index) {
  // splitmix64's finaliser: distinct, well-spread bits for each index.
  uint64_t bits = id_bits + 0x9e3779b97f4a7c15ULL * (index + 1ULL);
  bits = (bits ^ (bits >> 30)) * 0xbf58476d1ce4e5b9ULL;
  bits = (bits ^ (bits >> 27)) * 0x94d049bb133111ebULL;
  bits ^= bits >> 31;
  static const char digits[] = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(digits[bits & 0xf]);
  return id;
}

result<decision> decide(const lead_state& state, const command& cmd, const decide_context& ctx) {
  struct visitor {
    const lead_state& s;
    const decide_context& ctx;
    result<decision> operator()(const ingest& c) const { return decide_ingest(s, c, ctx); }
    result<decision> operator()(const record_fetch& c) const { return decide_fetch(s, c, ctx); }
    result<decision> operator()(const circuit_open& c) const { return decide_circuit_open(s, c, ctx); }
    result<decision> operator()(const provider_busy& c) const { return decide_busy(s, c, ctx); }
    result<decision> operator()(const provider_disabled& c) const { return decide_disabled(s, c, ctx); }
    result<decision> operator()(const erase& c) const { return decide_erase(s, c, ctx); }
    result<decision> operator()(const retry_now& c) const { return decide_retry(s, c, ctx); }
    result<decision> operator()(const run_owed&) const { return decide_owed(s, ctx); }
    result<decision> operator()(const claim& c) const { return decide_claim(s, c, ctx); }
    result<decision> operator()(const release& c) const { return decide_release(s, c, ctx); }
    result<decision> operator()(const log_contact& c) const { return decide_contact(s, c, ctx); }
    result<decision> operator()(const expire_claim& c) const { return decide_expire(s, c, ctx); }
    result<decision> operator()(const assign& c) const { return decide_assign(s, c, ctx); }
  };
  return std::visit(visitor{state, ctx}, cmd);
}

} // namespace leadbase
