// A lead's view -> JSON (projections/view_json.hpp). Personal fields follow
// events/json_render.cpp's rule: "[erased]" where the field is known to have
// been there, null otherwise, never a leftover value.
#include "projections/view_json.hpp"

#include "events/json_write.hpp"
#include "events/profile_json.hpp"
#include "events/react.hpp"

namespace leadbase::projections {
namespace {

using namespace json_write;

void profile(json_writer& w, const network_profile& p, bool erased) {
  w.StartObject();
  profile_members(w, p, erased);
  key(w, "fetched_at");
  time_str(w, p.fetched_at);
  w.EndObject();
}

void enrichment(json_writer& w, const lead_state& s) {
  const enrichment_state overall = s.overall_enrichment();
  uint64_t attempts = 0;
  const network_enrichment* deciding = nullptr;
  const network_enrichment* any_error = nullptr;
  std::optional<millis> next;
  for (const auto& [network, progress] : s.enrichment) {
    attempts += progress.attempts;
    if (!deciding && progress.state == overall) deciding = &progress;
    if (!any_error && progress.last_error) any_error = &progress;
    if (progress.state == enrichment_state::retry_scheduled && progress.next_attempt_at &&
        (!next || *progress.next_attempt_at < *next))
      next = progress.next_attempt_at;
  }
  std::string_view last_error;
  if (deciding && deciding->last_error)
    last_error = to_string(*deciding->last_error);
  else if (any_error)
    last_error = to_string(*any_error->last_error);

  w.StartObject();
  key(w, "state");
  str(w, to_string(overall));
  key(w, "attempts");
  w.Uint64(attempts);
  key(w, "last_error");
  opt_str(w, last_error);
  key(w, "next_attempt_at");
  opt_time(w, next);
  w.EndObject();
}

void components(json_writer& w, const priority_components& c) {
  w.StartObject();
  key(w, "reach");
  number(w, c.reach);
  key(w, "engagement");
  number(w, c.engagement);
  key(w, "activity");
  number(w, c.activity);
  key(w, "completeness");
  number(w, c.completeness);
  w.EndObject();
}

/// `priority`: {"score","level","team","rules_version","components"}, or null.
void priority_part(json_writer& w, const std::optional<priority_view>& priority) {
  if (!priority) return (void)w.Null();
  w.StartObject();
  key(w, "score");
  number(w, priority->score);
  key(w, "level");
  const char level[2] = {priority->level, '\0'};
  str(w, level);
  key(w, "team");
  opt_str(w, priority->team);
  key(w, "rules_version");
  opt_str(w, priority->rules_version);
  key(w, "components");
  components(w, priority->components);
  w.EndObject();
}

/// `work`: {"owner","stage","claimed_at","claim_expires_at","contacts",
/// "last_contact":{"at","by","channel","outcome"}|null,"first_contact_ms"}.
void work(json_writer& w, const lead_state& s) {
  const work_state& x = s.work;
  w.StartObject();
  key(w, "owner");
  opt_str(w, x.owner);
  key(w, "stage");
  str(w, to_string(x.stage()));
  key(w, "claimed_at");
  opt_time(w, x.claimed_at);
  key(w, "claim_expires_at");
  opt_time(w, claim_lapse(s));
  key(w, "contacts");
  w.Uint(x.contacts);
  key(w, "last_contact");
  if (const auto& c = x.last_contact) {
    w.StartObject();
    key(w, "at");
    time_str(w, c->at);
    key(w, "by");
    str(w, c->by);
    key(w, "channel");
    str(w, to_string(c->channel));
    key(w, "outcome");
    str(w, to_string(c->result));
    w.EndObject();
  } else {
    w.Null();
  }
  key(w, "first_contact_ms");
  if (auto ms = s.first_contact_ms())
    w.Int64(*ms);
  else
    w.Null();
  w.EndObject();
}

} // namespace

view_scores score_view(const lead_state& s, const view_settings& settings) {
  return {prioritise(s, settings.priority, settings.rules_version), coverage(s)};
}

void render_view(json_writer& w, const lead_state& s, const view_scores& scores) {
  const bool erased = s.personal_erased;
  w.StartObject();
  key(w, "lead_id");
  str(w, s.lead_id);
  key(w, "version");
  w.Uint64(s.version);
  key(w, "status");
  str(w, to_string(s.status));
  key(w, "signed_up_at");
  time_str(w, s.signed_up_at);
  key(w, "updated_at");
  time_str(w, s.updated_at);

  key(w, "contact");
  w.StartObject();
  key(w, "email");
  personal_required(w, s.contact.email, erased);
  key(w, "name");
  personal_required(w, s.contact.name, erased);
  key(w, "phone");
  personal_optional(w, s.contact.phone, erased, s.contact.has_phone());
  key(w, "country");
  opt_str(w, s.contact.country);
  // The signup's handles (personal data, like phone): TikTok has no provider,
  // so this is where a team finds it; "[erased]" or null after an erasure.
  key(w, "handles");
  w.StartObject();
  key(w, "instagram");
  personal_optional(w, s.contact.social.instagram, erased, s.contact.has_instagram());
  key(w, "youtube");
  personal_optional(w, s.contact.social.youtube, erased, s.contact.has_youtube());
  key(w, "tiktok");
  personal_optional(w, s.contact.social.tiktok, erased, s.contact.has_tiktok());
  w.EndObject();
  w.EndObject();

  key(w, "qualification");
  if (const auto& q = s.qualification) {
    w.StartObject();
    key(w, "outcome");
    str(w, q->result == outcome::disqualified ? "disqualified" : "qualified");
    key(w, "reasons");
    string_array(w, q->reasons);
    key(w, "rules_version");
    opt_str(w, q->rules_version);
    key(w, "at");
    time_str(w, q->at);
    w.EndObject();
  } else {
    w.Null();
  }

  key(w, "social");
  w.StartObject();
  for (const auto& [network, prof] : s.social) {
    key(w, to_string(network));
    profile(w, prof, erased);
  }
  w.EndObject();

  key(w, "enrichment");
  enrichment(w, s);

  key(w, "priority");
  priority_part(w, scores.priority);

  key(w, "work");
  work(w, s);

  key(w, "coverage");
  number(w, scores.coverage);
  key(w, "processing_ms");
  if (auto ms = s.processing_ms())
    w.Int64(*ms);
  else
    w.Null();
  w.EndObject();
}

void render_view(json_writer& w, const lead_state& s, const view_settings& settings) {
  render_view(w, s, score_view(s, settings));
}

std::string view_json(const lead_state& s, const view_scores& scores) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  render_view(w, s, scores);
  return text_of(buf);
}

std::string view_json(const lead_state& s, const view_settings& settings) {
  return view_json(s, score_view(s, settings));
}

} // namespace leadbase::projections
