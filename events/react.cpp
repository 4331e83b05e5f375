#include "events/react.hpp"

#include <algorithm>

namespace leadbase {
namespace {

constexpr millis day_ms = 24LL * 60 * 60 * 1000;

} // namespace

const std::string& handle_of(const lead_state& s, network net) {
  static const std::string none;
  if (net == network::instagram) return s.contact.social.instagram;
  if (net == network::youtube) return s.contact.social.youtube;
  return none;
}

bool enrichable(const lead_state& s) {
  return s.version != 0 && s.status != lead_status::erased && s.qualification &&
         s.qualification->result != outcome::disqualified && !s.enrichment.empty();
}

std::vector<follow_up> pending(const lead_state& s, const react_options& opts) {
  std::vector<follow_up> out;
  if (s.version == 0 || s.status == lead_status::erased || s.personal_erased) return out;
  if (!s.qualification) {
    out.push_back(follow_up{follow_up::kind::qualify, network::unknown, {}, 0, 0, false});
    return out;
  }
  if (!enrichable(s)) return out;
  for (const auto& [network, prog] : s.enrichment) {
    const std::string& handle = handle_of(s, network);
    if (handle.empty()) continue;
    follow_up f{follow_up::kind::enrich, network, handle, 0, prog.cycle_attempts + 1, false};
    switch (prog.state) {
      case enrichment_state::pending: break;
      case enrichment_state::retry_scheduled: f.due = prog.next_attempt_at.value_or(0); break;
      case enrichment_state::succeeded:
        if (!prog.last_success_at) continue;
        f.due = *prog.last_success_at + static_cast<millis>(opts.refresh_days) * day_ms;
        f.refresh = true;
        f.attempt = 1;
        break;
      default: continue;  // failed for good, not needed
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<follow_up> react(const lead_state& after, const event&, const react_options& opts) {
  return pending(after, opts);
}

bool awaits_answer(const lead_state& s, const react_options& opts, network net, uint32_t attempt, millis now) {
  for (const auto& f : pending(s, opts))
    if (f.what == follow_up::kind::enrich && f.network == net && f.attempt == attempt && f.due <= now) return true;
  return false;
}

std::optional<millis> claim_lapse(const lead_state& s) {
  if (s.version == 0 || s.status == lead_status::erased || s.work.owner.empty() || !s.work.open()) return std::nullopt;
  return s.work.claim_expires_at;
}

std::optional<millis> next_due(const lead_state& s, const react_options& opts) {
  std::optional<millis> due = claim_lapse(s);
  for (const auto& f : pending(s, opts)) due = due ? std::min(*due, f.due) : f.due;
  return due;
}

} // namespace leadbase
