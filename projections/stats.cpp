#include "projections/stats.hpp"

#include <algorithm>
#include <cmath>

#include "projections/priority.hpp"
#include "storage/event_log.hpp"

namespace leadbase {

bool lead_summary::operator==(const lead_summary& o) const noexcept {
  return signup_at == o.signup_at && final_at == o.final_at && enrichment_end_at == o.enrichment_end_at &&
         coverage_micro == o.coverage_micro && status == o.status && enrichment == o.enrichment && team == o.team &&
         fail_class == o.fail_class && stage == o.stage && first_contact_at == o.first_contact_at;
}

std::string final_failure_class(const lead_state& s) {
  for (const auto& [network, progress] : s.enrichment)
    if (progress.state == enrichment_state::failed) return progress.last_error ? to_string(*progress.last_error) : "";
  return {};
}

lead_summary summarise(const lead_summary& before, const lead_state& after, const event& e,
                       const priority_options& priority, const std::string& rules_version) {
  lead_summary out;
  out.signup_at = after.signup_recorded_at;
  out.final_at = after.final_at.value_or(0);
  out.coverage_micro = std::llround(coverage(after) * 1e6);
  out.status = after.status;
  out.enrichment = after.overall_enrichment();
  out.enrichment_end_at = before.enrichment_end_at;
  const bool ended_now = out.enrichment == enrichment_state::succeeded || out.enrichment == enrichment_state::failed;
  const bool ended_before =
      before.enrichment == enrichment_state::succeeded || before.enrichment == enrichment_state::failed;
  if (ended_now && (!ended_before || out.enrichment != before.enrichment)) {
    // Ended now, or ended otherwise than before (a failed lead retried by an admin, then enriched).
    // An erasure that cuts a pending enrichment short is no outcome of it.
    out.enrichment_end_at = e.type() == event_type::erased ? 0 : e.meta.recorded_at;
  }
  if (out.enrichment == enrichment_state::failed) {
    out.fail_class = final_failure_class(after);
    if (out.fail_class.empty()) out.fail_class = "unknown";
  }
  out.stage = after.work.stage();
  out.first_contact_at = after.work.first_contact_at.value_or(0);
  if (auto p = prioritise(after, priority, rules_version))
    out.team = p->team == "sdr" ? queue_team::sdr : queue_team::ldr;
  return out;
}

void strip_personal(lead_state& s) {
  auto mark = [](std::string& f) {
    if (!f.empty()) f = "*";
  };
  mark(s.contact.email);
  mark(s.contact.name);
  mark(s.contact.phone);
  mark(s.contact.document);
  mark(s.contact.social.instagram);
  mark(s.contact.social.youtube);
  mark(s.contact.social.tiktok);
  s.contact.source = {};
  for (auto& [network, prof] : s.social) mark(prof.handle);
  s.seen.clear();
  s.seen.shrink_to_fit();
  s.instagram_followers.clear();
  s.instagram_followers.shrink_to_fit();
}

// -- time buckets -------------------------------------------------------------------

void time_bucket::add(const time_bucket& o, int sign) {
  signups += sign * o.signups;
  succeeded += sign * o.succeeded;
  failed += sign * o.failed;
  processing_count += sign * o.processing_count;
  processing_sum_ms += sign * o.processing_sum_ms;
  contacts += sign * o.contacts;
  meetings_booked += sign * o.meetings_booked;
  for (const auto& [cls, n] : o.failed_by_class)
    if (auto& v = failed_by_class[cls]; (v += sign * n) == 0) failed_by_class.erase(cls);
  for (const auto& [bin, n] : o.processing_hist)
    if (auto& v = processing_hist[bin]; (v += sign * n) == 0) processing_hist.erase(bin);
  expired_claims += sign * o.expired_claims;
  for (const auto& [outcome, n] : o.contacts_by_outcome)
    if (auto& v = contacts_by_outcome[outcome]; (v += sign * n) == 0) contacts_by_outcome.erase(outcome);
  first_contact_count += sign * o.first_contact_count;
  first_contact_sum_ms += sign * o.first_contact_sum_ms;
  for (const auto& [bin, n] : o.first_contact_hist)
    if (auto& v = first_contact_hist[bin]; (v += sign * n) == 0) first_contact_hist.erase(bin);
}

bool time_bucket::empty() const noexcept {
  return signups == 0 && succeeded == 0 && failed == 0 && processing_count == 0 && processing_sum_ms == 0 &&
         contacts == 0 && meetings_booked == 0 && failed_by_class.empty() && processing_hist.empty() &&
         expired_claims == 0 && contacts_by_outcome.empty() && first_contact_count == 0 && first_contact_sum_ms == 0 &&
         first_contact_hist.empty();
}

uint16_t processing_bin(int64_t ms) noexcept {
  if (ms < 1000) return static_cast<uint16_t>(std::max<int64_t>(ms, 0));
  int k = 0;
  int64_t m = ms;
  while (m >= 1000) {
    m /= 10;
    ++k;
  }
  return static_cast<uint16_t>(1000 + (k - 1) * 900 + (m - 100));
}

int64_t processing_bin_floor(uint16_t bin) noexcept {
  if (bin < 1000) return bin;
  const int k = (bin - 1000) / 900 + 1;
  int64_t v = (bin - 1000) % 900 + 100;
  for (int i = 0; i < k; ++i) v *= 10;
  return v;
}

namespace {

millis minute_of(millis t) { return t - ((t % minute_ms) + minute_ms) % minute_ms; }

/// What one summary puts in the time buckets (see the file comment).
void contribute(const lead_summary& s, int sign, bucket_deltas& minutes) {
  if (s.signup_at != 0) minutes[minute_of(s.signup_at)].signups += sign;
  if (s.enrichment_ended()) {
    time_bucket& b = minutes[minute_of(s.enrichment_end_at)];
    if (s.enrichment == enrichment_state::succeeded) {
      b.succeeded += sign;
    } else {
      b.failed += sign;
      if (auto& v = b.failed_by_class[s.fail_class]; (v += sign) == 0) b.failed_by_class.erase(s.fail_class);
    }
  }
  if (s.signup_at != 0 && s.final_at != 0) {
    time_bucket& b = minutes[minute_of(s.final_at)];
    const int64_t took = s.final_at - s.signup_at;
    b.processing_count += sign;
    b.processing_sum_ms += sign * took;
    const uint16_t bin = processing_bin(took);
    if (auto& v = b.processing_hist[bin]; (v += sign) == 0) b.processing_hist.erase(bin);
  }
  if (s.signup_at != 0 && s.first_contact_at != 0) {
    time_bucket& b = minutes[minute_of(s.first_contact_at)];
    const int64_t took = s.first_contact_at - s.signup_at;
    b.first_contact_count += sign;
    b.first_contact_sum_ms += sign * took;
    const uint16_t bin = processing_bin(took);
    if (auto& v = b.first_contact_hist[bin]; (v += sign) == 0) b.first_contact_hist.erase(bin);
  }
}

/// Adds (sign +1) or removes (-1) a summary's contribution to the gauges.
void account(const lead_summary& s, int sign, stats_counters& c) {
  auto add = [sign](uint64_t& v, uint64_t n = 1) { v = sign > 0 ? v + n : v - n; };
  if (s.status == lead_status::none) return;
  add(c.leads_by_status[static_cast<size_t>(s.status)]);
  if (s.signup_at != 0) {
    if (s.enrichment == enrichment_state::pending) add(c.enrichment_pending);
    if (s.enrichment == enrichment_state::retry_scheduled) add(c.enrichment_retrying);
    if (s.status != lead_status::erased) {
      add(c.coverage_leads);
      if (s.coverage_micro >= 1'000'000) add(c.coverage_complete);
      c.coverage_micro_sum += sign * s.coverage_micro;
    }
  }
  if (s.signup_at != 0 && s.status != lead_status::erased)
    add(c.work_stage_leads[static_cast<size_t>(s.stage) % work_stages]);
  if (s.team == queue_team::sdr) add(c.queue_sdr);
  if (s.team == queue_team::ldr) add(c.queue_ldr);
}

void count_transitions(const lead_summary& before, const lead_summary& after, const event& e, stats_counters& c) {
  if (before.signup_at == 0 && after.signup_at != 0) ++c.signups_total;
  if (after.enrichment_ended() &&
      (after.enrichment_end_at != before.enrichment_end_at || after.enrichment != before.enrichment)) {
    if (after.enrichment == enrichment_state::succeeded) ++c.enrichment_succeeded_total;
    else ++c.enrichment_failed_total;
  }
  if (before.final_at == 0 && after.final_at != 0 && after.signup_at != 0) {
    const int64_t took = after.final_at - after.signup_at;
    const double secs = static_cast<double>(took) / 1000.0;
    for (size_t b = 0; b < processing_buckets_s.size(); ++b)
      if (secs <= processing_buckets_s[b]) ++c.processing_buckets[b];
    ++c.processing_buckets.back();
    c.processing_sum_ms += took;
    ++c.processing_count;
  }
  if (before.first_contact_at == 0 && after.first_contact_at != 0 && after.signup_at != 0) {
    const int64_t took = after.first_contact_at - after.signup_at;
    const double secs = static_cast<double>(took) / 1000.0;
    for (size_t b = 0; b < first_contact_buckets_s.size(); ++b)
      if (secs <= first_contact_buckets_s[b]) ++c.first_contact_buckets[b];
    ++c.first_contact_buckets.back();
    c.first_contact_sum_ms += took;
    ++c.first_contact_count;
  }
  if (const auto* f = std::get_if<enrichment_failed>(&e.data)) {
    const bool final = !(f->retryable && f->next_attempt_at);
    ++c.failed_attempts_total[{to_string(f->error_class), final}];
  }
}

} // namespace

void count_work_event(const event& e, stats_counters& c, bucket_deltas& minutes) {
  if (const auto* contact = std::get_if<contact_logged>(&e.data)) {
    time_bucket& b = minutes[minute_of(e.meta.recorded_at)];
    b.contacts += 1;
    if (contact->result == contact_outcome::meeting_booked) b.meetings_booked += 1;
    const std::string outcome = to_string(contact->result);
    if (auto& v = b.contacts_by_outcome[outcome]; ++v == 0) b.contacts_by_outcome.erase(outcome);
    ++c.contacts_total[static_cast<size_t>(contact->result) % contact_outcomes];
  } else if (const auto* rel = std::get_if<released>(&e.data); rel && rel->reason == release_reason::expired) {
    minutes[minute_of(e.meta.recorded_at)].expired_claims += 1;
    ++c.claims_expired_total;
  }
}

void fold_summary(const std::optional<lead_summary>& before, const lead_summary& after, const event& e,
                  stats_counters& c, bucket_deltas& minutes) {
  const lead_summary none;
  const lead_summary& old = before ? *before : none;
  if (!before) ++c.leads;
  account(old, -1, c);
  account(after, +1, c);
  count_transitions(old, after, e, c);
  if (!(old == after)) {
    contribute(old, -1, minutes);
    contribute(after, +1, minutes);
  }
  count_work_event(e, c, minutes);
  if (e.meta.position > c.position) c.position = e.meta.position;
}

lead_state_loader log_state_loader(const storage::event_log& log) {
  return [&log](const std::string& lead_id, global_position before) -> result<lead_state> {
    auto events = log.read_stream(lead_id, 1, UINT64_MAX, SIZE_MAX, storage::on_damage::mark);
    if (!events) return events.err();
    lead_state s = initial(lead_id);
    for (const auto& e : *events) {
      if (e.damaged()) continue;  // recorded by the runner where it met it
      if (e.ev.meta.position >= before) break;
      evolve(s, e.ev);
    }
    return s;
  };
}

std::optional<millis> parse_window(std::string_view text) {
  if (text.size() < 2 || text.size() > 8) return std::nullopt;
  const char unit = text.back();
  std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t n = 0;
  for (char ch : digits) n = n * 10 + (ch - '0');
  int64_t per = 0;
  switch (unit) {
    case 's': per = 1000; break;
    case 'm': per = 60'000; break;
    case 'h': per = 3'600'000; break;
    case 'd': per = 86'400'000; break;
    case 'w': per = 7 * 86'400'000LL; break;
    default: return std::nullopt;
  }
  const int64_t ms = n * per;
  if (n <= 0 || ms > 366LL * 86'400'000) return std::nullopt;
  return ms;
}

} // namespace leadbase
