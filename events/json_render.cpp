// Events and histories -> JSON (events/json.hpp); the views are the read
// side's (projections/view_json.hpp).
//
// Erased personal data. An event or lead whose data key is gone has empty
// personal fields; we render them as "[erased]" where the field is known to
// have been there (email, name and every handle of an enriched/failed event
// always; a network profile's handle always), null otherwise. A decoded
// signed_up does not say whether phone, document or a social handle were
// present (the stored SignedUp has the flags, the struct does not carry them),
// so an erased signup shows those as null. Should a personal field still hold
// a value while `personal_erased` is set, it is never shown: "[erased]".
#include <type_traits>

#include "events/json.hpp"
#include "events/json_write.hpp"
#include "events/profile_json.hpp"

namespace leadbase {

static_assert(std::is_same_v<json_writer, rapidjson::Writer<rapidjson::StringBuffer>>,
              "json.hpp's json_writer must be rapidjson's default Writer<StringBuffer>");

namespace {

using namespace json_write;

void hex(json_writer& w, const hash256& h) { str(w, to_hex(h)); }

// -- event data, per type ---------------------------------------------------------------

void data(json_writer& w, const signed_up& s, bool erased) {
  w.StartObject();
  key(w, "email");
  personal_required(w, s.email, erased);
  key(w, "name");
  personal_required(w, s.name, erased);
  key(w, "phone");
  personal_optional(w, s.phone, erased, s.has_phone());
  key(w, "country");
  opt_str(w, s.country);
  key(w, "locale");
  opt_str(w, s.locale);
  key(w, "document");
  personal_optional(w, s.document, erased, s.has_document());
  key(w, "social");
  w.StartObject();
  key(w, "instagram");
  personal_optional(w, s.social.instagram, erased, s.has_instagram());
  key(w, "youtube");
  personal_optional(w, s.social.youtube, erased, s.has_youtube());
  key(w, "tiktok");
  personal_optional(w, s.social.tiktok, erased, s.has_tiktok());
  w.EndObject();
  key(w, "source");
  w.StartObject();
  key(w, "utm_source");
  opt_str(w, s.source.utm_source);
  key(w, "utm_medium");
  opt_str(w, s.source.utm_medium);
  key(w, "utm_campaign");
  opt_str(w, s.source.utm_campaign);
  key(w, "utm_term");
  opt_str(w, s.source.utm_term);
  key(w, "utm_content");
  opt_str(w, s.source.utm_content);
  w.EndObject();
  w.EndObject();
}

void data(json_writer& w, const qualified& q, bool) {
  w.StartObject();
  key(w, "outcome");
  str(w, q.result == outcome::disqualified ? "disqualified" : "qualified");
  key(w, "reasons");
  string_array(w, q.reasons);
  key(w, "rules_version");
  opt_str(w, q.rules_version);
  key(w, "decided_by");
  opt_str(w, q.decided_by);
  w.EndObject();
}

void data(json_writer& w, const enriched& e, bool erased) {
  w.StartObject();
  key(w, "network");
  str(w, to_string(e.network));
  profile_members(w, e, erased);
  key(w, "provider");
  opt_str(w, e.provider);
  key(w, "fetched_at");
  time_str(w, e.fetched_at);
  key(w, "missing_fields");
  string_array(w, e.missing_fields);
  w.EndObject();
}

void data(json_writer& w, const enrichment_failed& f, bool erased) {
  w.StartObject();
  key(w, "network");
  str(w, to_string(f.network));
  key(w, "handle");
  personal_required(w, f.handle, erased);
  key(w, "attempt");
  w.Uint(f.attempt);
  key(w, "error_class");
  str(w, to_string(f.error_class));
  key(w, "provider_code");
  opt_str(w, f.provider_code);
  key(w, "retryable");
  w.Bool(f.retryable);
  key(w, "next_attempt_at");
  opt_time(w, f.next_attempt_at);
  w.EndObject();
}

void data(json_writer& w, const erased& e, bool) {
  w.StartObject();
  key(w, "reason");
  opt_str(w, e.reason);
  key(w, "requested_by");
  opt_str(w, e.requested_by);
  w.EndObject();
}

void data(json_writer& w, const assigned& a, bool) {
  w.StartObject();
  key(w, "owner");
  str(w, a.owner);
  key(w, "by");
  str(w, a.by);
  key(w, "how");
  str(w, to_string(a.how));
  key(w, "expires_at");
  opt_time(w, a.expires_at);
  w.EndObject();
}

void data(json_writer& w, const released& r, bool) {
  w.StartObject();
  key(w, "owner");
  str(w, r.owner);
  key(w, "by");
  str(w, r.by);
  key(w, "reason");
  str(w, to_string(r.reason));
  w.EndObject();
}

void data(json_writer& w, const contact_logged& c, bool erased) {
  w.StartObject();
  key(w, "by");
  str(w, c.by);
  key(w, "channel");
  str(w, to_string(c.channel));
  key(w, "outcome");
  str(w, to_string(c.result));
  key(w, "note");
  personal_optional(w, c.note, erased, c.has_note());
  key(w, "contacted_at");
  time_str(w, c.contacted_at);
  key(w, "claim_expires_at");
  opt_time(w, c.claim_expires_at);
  w.EndObject();
}

void data(json_writer& w, const unknown_event& u, bool) {
  w.StartObject();
  key(w, "type_tag");
  w.Uint(u.type_tag);
  w.EndObject();
}

void history_fields(json_writer& w, const event& ev, const hash256& hash, bool with_lead_id) {
  const envelope& m = ev.meta;
  key(w, "position");
  w.Uint64(m.position);
  if (with_lead_id) {
    key(w, "lead_id");
    str(w, m.lead_id);
  }
  key(w, "version");
  w.Uint64(m.version);
  key(w, "event_id");
  str(w, m.event_id);
  key(w, "type");
  str(w, to_string(ev.type()));
  key(w, "occurred_at");
  time_str(w, m.occurred_at);
  key(w, "recorded_at");
  time_str(w, m.recorded_at);
  key(w, "correlation_id");
  opt_str(w, m.correlation_id);
  key(w, "causation_id");
  opt_str(w, m.causation_id);
  key(w, "data");
  render_event_data(w, ev);
  key(w, "prev_hash");
  hex(w, m.prev_hash);
  key(w, "hash");
  hex(w, hash);
}

} // namespace

// -- public -------------------------------------------------------------------------------

std::string to_hex(const hash256& h) {
  static const char digits[] = "0123456789abcdef";
  std::string out(h.size() * 2, '0');
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = digits[h[i] >> 4];
    out[2 * i + 1] = digits[h[i] & 0x0F];
  }
  return out;
}

std::optional<hash256> hash_from_hex(std::string_view hex) {
  hash256 h{};
  if (hex.size() != h.size() * 2) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < h.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return h;
}

void render_event_data(json_writer& w, const event& ev) {
  std::visit([&](const auto& p) { data(w, p, ev.personal_erased); }, ev.data);
}

void render_history_event(json_writer& w, const event& ev, const hash256& hash) {
  w.StartObject();
  history_fields(w, ev, hash, false);
  w.EndObject();
}

void render_feed_event(json_writer& w, const event& ev, const hash256& hash) {
  w.StartObject();
  history_fields(w, ev, hash, true);
  w.EndObject();
}

std::string event_data_json(const event& ev) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  render_event_data(w, ev);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string history_json(std::string_view lead_id, const std::vector<hashed_event_ref>& events, bool verified) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  key(w, "lead_id");
  str(w, lead_id);
  key(w, "events");
  w.StartArray();
  for (const auto& e : events) render_history_event(w, *e.ev, *e.hash);
  w.EndArray();
  key(w, "integrity");
  str(w, verified ? "verified" : "broken");
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string feed_json(const std::vector<hashed_event_ref>& events, global_position next_after) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  key(w, "events");
  w.StartArray();
  for (const auto& e : events) render_feed_event(w, *e.ev, *e.hash);
  w.EndArray();
  key(w, "next_after");
  w.Uint64(next_after);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace leadbase
