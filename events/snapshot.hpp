#pragma once
// A lead's folded state as bytes (LeadSnapshot in lead_events.fbs), so that a
// lead with a long history rehydrates from its snapshot plus the events after
// it instead of from its first event. The bytes hold personal data: storage
// seals them with the lead's key before they are written.
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/lead_state.hpp"

namespace leadbase {

std::string encode_snapshot(const lead_state& s);
result<lead_state> decode_snapshot(std::string_view bytes);

} // namespace leadbase
