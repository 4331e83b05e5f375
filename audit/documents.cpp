#include "audit/documents.hpp"

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

std::string history_document(const lead_record& lead) {
  const storage::chain_read& chain = lead.chain;
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("lead_id");
  str(w, lead.lead_id);
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
