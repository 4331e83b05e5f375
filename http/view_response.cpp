#include "http/view_response.hpp"

namespace leadbase::http {

std::string etag_of(const lead_state& s) { return "\"" + std::to_string(s.version) + "\""; }

response view_response(const lead_state& s, std::string body) {
  response res = json_response(200, std::move(body));
  res.set_header("ETag", etag_of(s));
  return res;
}

response view_response(const lead_state& s, const projections::view_settings& view, std::string_view if_none_match) {
  if (if_none_match == etag_of(s)) {
    response res = empty_response(304);
    res.set_header("ETag", etag_of(s));
    return res;
  }
  return view_response(s, projections::view_json(s, view));
}

} // namespace leadbase::http
