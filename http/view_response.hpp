#pragma once
// The answer that carries one lead's view (GET /v1/leads/{id} from the log or
// from the projection, GET /v1/leads/{id}/state?as_of=): 200 with the view
// document and its ETag (the lead's version in quotes), or 304 when the
// client's If-None-Match names that version.
#include <optional>
#include <string>
#include <string_view>

#include "events/lead_state.hpp"
#include "http/message.hpp"
#include "projections/view_json.hpp"

namespace leadbase::http {

/// "\"VERSION\"".
std::string etag_of(const lead_state& s);

/// 200 with `body` and the ETag of `s`.
response view_response(const lead_state& s, std::string body);
/// 200 with the view of `s` and its ETag; 304 (no body) when `if_none_match` is that ETag.
response view_response(const lead_state& s, const projections::view_settings& view, std::string_view if_none_match);

} // namespace leadbase::http
