#include "events/decide.hpp"

namespace leadbase {

result<decision> decide(const lead_state& state, const append_command& cmd) {
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
    const std::string& network = type == event_type::enriched ? std::get<enriched>(ev.data).network
                                                               : std::get<enrichment_failed>(ev.data).network;
    if (network.empty()) return error{errc::validation, "network is required"};
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

} // namespace leadbase
