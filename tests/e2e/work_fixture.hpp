#pragma once
// What the work-loop e2e tests (work, assign, work stats) share: unique ids, a
// signup the rules qualify at once, a lead's history and its last position.
#include <string>

#include "tests/e2e/checks.hpp"

namespace leadbase::e2e {

inline std::string uid(const std::string& prefix) { return prefix + "-" + unique_suffix(); }

/// The answer's JSON, with the status and body shown when a check fails.
inline rapidjson::Document json_of(const http_response& r) {
  INFO(r.status << " " << r.body.substr(0, 2000));
  return parse_json(r.body);
}

/// A signup with a phone (a contact channel: the rules qualify it).
inline std::string workable_signup(const std::string& lead, const std::string& email = {},
                                   const std::string& country = "BR") {
  return "{\"event_id\":\"" + uid("sg") + "\",\"lead_id\":\"" + lead +
         "\",\"occurred_at\":\"2026-11-28T12:00:00.000Z\",\"email\":\"" +
         (email.empty() ? lead + "@exemplo.com.br" : email) + "\",\"name\":\"Lead " + lead +
         "\",\"phone\":\"+5511912345678\",\"country\":\"" + country + "\"}";
}

/// Signs a lead up (no provider: qualified in the same append); returns its last position.
inline long long signup(http_client& c, const std::string& lead, const std::string& email = {}) {
  auto r = c.post_json("/v1/signups", workable_signup(lead, email), ingest_token);
  INFO(r.body);
  REQUIRE(r.status == 202);
  return settle(c, lead);
}

/// The lead's history (GET /v1/leads/{id}/history, scope audit).
inline rapidjson::Document history(http_client& c, const std::string& lead) {
  return json_of(c.get("/v1/leads/" + lead + "/history", audit_token));
}

/// The position of the lead's last event (from its history).
inline long long head_of(http_client& c, const std::string& lead) {
  long long last = 0;
  const auto h = history(c, lead);
  for (const auto& e : arr(h, "events").GetArray()) last = num(e, "position");
  return last;
}

/// How many events of `type` a history holds.
inline int count_of(const rapidjson::Document& h, const std::string& type) {
  int n = 0;
  for (const auto& e : arr(h, "events").GetArray()) n += str(e, "type") == type ? 1 : 0;
  return n;
}

} // namespace leadbase::e2e
