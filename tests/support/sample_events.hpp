#pragma once
// Small builders for events used across the tests.
#include <string>

#include "events/event.hpp"

namespace leadbase::test {

inline event make_event(const std::string& lead_id, const std::string& event_id, payload data,
                        lead_version version = 0, millis recorded_at = 0) {
  event e;
  e.meta.lead_id = lead_id;
  e.meta.event_id = event_id;
  e.meta.version = version;
  e.meta.position = version.value();  // one lead per test log: its versions are the positions
  e.meta.occurred_at = 1764331200000;  // 2025-11-28T12:00:00Z
  e.meta.recorded_at = recorded_at ? recorded_at : 1764331200000 + static_cast<millis>(version) * 1000;
  e.data = std::move(data);
  return e;
}

inline signed_up sample_signup(bool with_instagram = true) {
  signed_up s;
  s.email = "ana@exemplo.com.br";
  s.name = "Ana Souza";
  s.phone = "+5511912345678";
  s.country = "BR";
  s.locale = "pt-BR";
  s.document = "52998224725";
  if (with_instagram) s.social.instagram = "anasouza";
  s.social.tiktok = "anasouza";
  s.source.utm_source = "ads";
  s.source.utm_campaign = "bf26";
  return s;
}

inline qualified sample_qualified(outcome o = outcome::qualified) {
  qualified q;
  q.result = o;
  if (o == outcome::disqualified) q.reasons = {"disposable_email"};
  q.rules_version = "2026-11-01";
  q.decided_by = "rules";
  return q;
}

inline enriched sample_enriched(int64_t followers = 48210, millis fetched_at = 1764331300000) {
  enriched x;
  x.network = network::instagram;
  x.handle = "anasouza";
  x.followers = followers;
  x.follows = 512;
  x.media_count = 1204;
  x.engagement_rate = 0.0312;
  x.posts_per_week = 3.5;
  x.mix = {0.25, 0.0, 0.25, 0.5};
  x.creator_tier = "micro";
  x.provider = "instagram_graph";
  x.fetched_at = fetched_at;
  return x;
}

inline enrichment_failed sample_failure(bool retryable, uint32_t attempt = 1,
                                        failure_class cls = failure_class::provider_error) {
  enrichment_failed f;
  f.network = network::instagram;
  f.handle = "anasouza";
  f.attempt = attempt;
  f.error_class = cls;
  f.provider_code = "http_503";
  f.retryable = retryable;
  if (retryable) f.next_attempt_at = 1764331400000;
  return f;
}

/// The same by stored name ("timeout", ...), which must be a known one.
inline enrichment_failed sample_failure(bool retryable, uint32_t attempt, std::string_view cls) {
  return sample_failure(retryable, attempt, failure_class_from_string(cls).value());
}

} // namespace leadbase::test
