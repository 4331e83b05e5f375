#include "audit/documents.hpp"

#include <openssl/evp.h>

#include "events/json_write.hpp"

namespace leadbase::audit {

using json_write::str;
using json_write::text_of;

void render_damaged_event(json_writer& w, const storage::stored_event& se, bool with_lead_id) {
  w.StartObject();
  w.Key("position");
  if (se.ev.meta.position != 0) w.Uint64(se.ev.meta.position);
  else w.Null();
  if (with_lead_id) {
    w.Key("lead_id");
    if (!se.ev.meta.lead_id.empty()) str(w, se.ev.meta.lead_id);
    else w.Null();
  }
  w.Key("version");
  if (se.ev.meta.version != 0) w.Uint64(se.ev.meta.version);
  else w.Null();
  w.Key("damaged");
  w.Bool(true);
  w.Key("error");
  str(w, se.damage);
  w.EndObject();
}

void write_integrity(json_writer& w, const storage::chain_verdict& v) {
  w.Key("integrity");
  w.String(v.intact ? "verified" : "broken");
  if (v.intact) return;
  w.Key("first_bad_version");
  w.Uint64(v.first_bad_version);
  w.Key("integrity_problem");
  str(w, v.problem);
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

namespace {

/// A history event with "stored" (base64) as its last member.
void render_stored_event(json_writer& w, const storage::stored_event& se, std::string_view stored) {
  rapidjson::StringBuffer one;
  json_writer ew(one);
  render_history_event(ew, se.ev, se.hash);
  std::string object(one.GetString(), one.GetSize());
  object.pop_back();  // the closing brace; base64 needs no JSON escaping
  object += ",\"stored\":\"" + base64(stored) + "\"}";
  w.RawValue(object.c_str(), object.size(), rapidjson::kObjectType);
}

void render_head(json_writer& w, const std::optional<storage::head>& h) {
  w.Key("head");
  if (!h) return static_cast<void>(w.Null());
  w.StartObject();
  w.Key("version");
  w.Uint64(h->version);
  w.Key("position");
  w.Uint64(h->position);
  w.Key("hash");
  str(w, to_hex(h->hash));
  w.EndObject();
}

} // namespace

std::string history_document(const lead_record& lead, bool include_stored) {
  const storage::chain_read& chain = lead.chain;
  include_stored = include_stored && chain.stored.size() == chain.events.size();
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("lead_id");
  str(w, lead.lead_id);
  w.Key("events");
  w.StartArray();
  lead_version last = 0;
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const storage::stored_event& se = chain.events[i];
    if (se.damaged()) render_damaged_event(w, se, false);
    else if (include_stored) render_stored_event(w, se, chain.stored[i]);
    else render_history_event(w, se.ev, se.hash);
    last = se.ev.meta.version;
  }
  if (chain.last && chain.last->version > last) {
    storage::stored_event missing;
    missing.ev.meta.position = chain.last->position;
    missing.ev.meta.version = chain.last->version;
    missing.damage = "the lead's head names this event, but it is not stored";
    render_damaged_event(w, missing, false);
  }
  w.EndArray();
  if (include_stored) render_head(w, chain.last);
  write_integrity(w, lead.verdict);
  w.EndObject();
  return text_of(buf);
}

std::string replay_document(const lead_record& lead, const projections::view_settings& view) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("lead_id");
  str(w, lead.lead_id);
  w.Key("steps");
  w.StartArray();
  replay(lead, std::nullopt, [&](const storage::stored_event& e, const lead_state& after) {
    w.StartObject();
    w.Key("event");
    if (e.damaged()) render_damaged_event(w, e, false);
    else render_history_event(w, e.ev, e.hash);
    w.Key("state");
    projections::render_view(w, after, view);
    w.EndObject();
  });
  w.EndArray();
  write_integrity(w, lead.verdict);
  w.EndObject();
  return text_of(buf);
}

std::string state_document(const lead_record& lead, const lead_state& state, const projections::view_settings& view) {
  std::string body = projections::view_json(state, view);
  return lead.verdict.intact ? body : with_integrity(std::move(body), lead.verdict);
}

void render_feed_entry(json_writer& w, const storage::stored_event& se) {
  if (se.damaged()) render_damaged_event(w, se, true);
  else render_feed_event(w, se.ev, se.hash);
}

std::string feed_document(const std::vector<storage::stored_event>& events, global_position next_after) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("events");
  w.StartArray();
  for (const auto& se : events) render_feed_entry(w, se);
  w.EndArray();
  w.Key("next_after");
  w.Uint64(next_after);
  w.EndObject();
  return text_of(buf);
}

std::string with_integrity(std::string object, const storage::chain_verdict& v) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_integrity(w, v);
  w.EndObject();
  std::string members(buf.GetString() + 1, buf.GetSize() - 1);  // without the opening brace
  if (object.size() < 2 || object.back() != '}') return object;
  object.pop_back();
  if (object.back() != '{') object.push_back(',');
  object += members;
  return object;
}

} // namespace leadbase::audit
