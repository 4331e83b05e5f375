#include "http/integrity_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace leadbase::http {
namespace {

void string(json_writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

} // namespace

void render_damaged_event(json_writer& w, const storage::stored_event& se, bool with_lead_id) {
  w.StartObject();
  w.Key("position");
  if (se.ev.meta.position != 0) w.Uint64(se.ev.meta.position);
  else w.Null();
  if (with_lead_id) {
    w.Key("lead_id");
    if (!se.ev.meta.lead_id.empty()) string(w, se.ev.meta.lead_id);
    else w.Null();
  }
  w.Key("version");
  if (se.ev.meta.version != 0) w.Uint64(se.ev.meta.version);
  else w.Null();
  w.Key("damaged");
  w.Bool(true);
  w.Key("error");
  string(w, se.damage);
  w.EndObject();
}

void write_integrity(json_writer& w, const storage::chain_verdict& v) {
  w.Key("integrity");
  w.String(v.intact ? "verified" : "broken");
  if (v.intact) return;
  w.Key("first_bad_version");
  w.Uint64(v.first_bad_version);
  w.Key("integrity_problem");
  string(w, v.problem);
}

std::string history_document(std::string_view lead_id, const storage::chain_read& chain,
                             const storage::chain_verdict& verdict) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("lead_id");
  string(w, lead_id);
  w.Key("events");
  w.StartArray();
  lead_version last = 0;
  for (const auto& se : chain.events) {
    if (se.damaged()) render_damaged_event(w, se, false);
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
  write_integrity(w, verdict);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
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
  return std::string(buf.GetString(), buf.GetSize());
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

} // namespace leadbase::http
