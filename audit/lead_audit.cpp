#include "audit/lead_audit.hpp"

namespace leadbase::audit {

result<lead_record> read_lead(const storage::event_log& log, const std::string& lead_id, bool with_stored) {
  auto chain = log.read_chain(lead_id, with_stored);
  if (!chain) return chain.err();
  if (chain->events.empty() && !chain->last && chain->head_damage.empty())
    return error{errc::not_found, "no lead " + lead_id};
  lead_record out;
  out.lead_id = lead_id;
  out.verdict = storage::check_chain(*chain);
  out.chain = std::move(*chain);
  return out;
}

void replay(const lead_record& lead, std::optional<millis> as_of, const replay_step& step) {
  lead_state s = initial(lead.lead_id);
  for (const auto& e : lead.chain.events) {
    if (!e.damaged()) {
      if (as_of && e.ev.meta.recorded_at > *as_of) return;  // recorded_at grows with the version
      evolve(s, e.ev);
    }
    step(e, s);
  }
}

lead_state state_as_of(const lead_record& lead, millis as_of) {
  lead_state s = initial(lead.lead_id);
  replay(lead, as_of, [&s](const storage::stored_event&, const lead_state& after) { s = after; });
  return s;
}

std::optional<millis> first_recorded_at(const lead_record& lead) {
  for (const auto& e : lead.chain.events)
    if (!e.damaged()) return e.ev.meta.recorded_at;
  return std::nullopt;
}

} // namespace leadbase::audit
