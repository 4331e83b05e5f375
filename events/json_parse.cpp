// JSON -> commands: the signup, event and erase bodies, validated (events/json.hpp);
// the work bodies are read in json_parse_work.cpp, with the checks of json_fields.hpp.
//
// Every string must be valid UTF-8 (the parser checks) and pass the free-text
// check of events/text.hpp (no C0/C1 controls, no bidi overrides or isolates,
// no invisible characters where they mislead); lengths are counted in code
// points.
// Optional fields may be absent, null or (strings) "" - all three mean absent,
// which is also how the event model spells absence.
//
// The `data` of each POST /v1/events type (field paths start with "data."):
//   signed_up          the POST /v1/signups fields other than event_id, lead_id,
//                      occurred_at (which come from the item).
//   qualified          outcome "qualified"|"disqualified" (required); reasons:
//                      array of 0-32 non-empty strings <= 64 (optional, default
//                      []); decided_by (required, <= 200, nothing that reads
//                      as "rules" - any case, spacing, invisible characters or
//                      look-alike letters (imitates_rules): that name belongs
//                      to the rules engine, an override names the person);
//                      rules_version (optional, <= 64).
//   enriched           network instagram|youtube|tiktok, handle (<= 64),
//                      followers (integer >= 0), fetched_at (RFC 3339),
//                      creator_tier none|nano|micro|mid|macro|mega: required.
//                      follows, media_count, views (integers >= 0; default 0,
//                      0, absent); engagement_rate, posts_per_week (numbers
//                      >= 0 or null); content_mix {image, video, carousel,
//                      reels} (numbers in [0, 1], missing = 0); likes_hidden
//                      (bool, default false); provider (<= 64); missing_fields
//                      (array of at most 32 strings <= 64): optional.
//   enrichment_failed  network, handle, attempt (integer 0-2^32-1), error_class
//                      (timeout, rate_limited, provider_error, not_found,
//                      auth_error, invalid_response, provider_unavailable):
//                      required. provider_code (string <= 64, or an integer),
//                      retryable (bool, default false), next_attempt_at
//                      (RFC 3339 or null = final): optional.
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "events/json_fields.hpp"
#include "events/text.hpp"

namespace leadbase {

using namespace json_detail;

namespace {

// -- payloads -----------------------------------------------------------------------

void signup_fields(const checker& c, const Value& obj, signed_up& s) {
  req_string(c, obj, "email", json_limits::email, s.email);
  req_string(c, obj, "name", json_limits::name, s.name);
  opt_string(c, obj, "phone", json_limits::phone, s.phone);
  opt_string(c, obj, "country", json_limits::country, s.country);
  opt_string(c, obj, "locale", json_limits::locale, s.locale);
  opt_string(c, obj, "document", json_limits::document, s.document);
  if (const Value* social = opt_object(c, obj, "social")) {
    checker sc = c.nested("social");
    opt_string(sc, *social, "instagram", json_limits::handle, s.social.instagram);
    opt_string(sc, *social, "youtube", json_limits::handle, s.social.youtube);
    opt_string(sc, *social, "tiktok", json_limits::handle, s.social.tiktok);
  }
  if (const Value* source = opt_object(c, obj, "source")) {
    checker sc = c.nested("source");
    utm_source& u = s.source;
    opt_string(sc, *source, "utm_source", json_limits::utm, u.utm_source);
    opt_string(sc, *source, "utm_medium", json_limits::utm, u.utm_medium);
    opt_string(sc, *source, "utm_campaign", json_limits::utm, u.utm_campaign);
    opt_string(sc, *source, "utm_term", json_limits::utm, u.utm_term);
    opt_string(sc, *source, "utm_content", json_limits::utm, u.utm_content);
  }
}

void qualified_fields(const checker& c, const Value& obj, qualified& q) {
  std::string result;
  if (req_enum(c, obj, "outcome", {"qualified", "disqualified"}, result))
    q.result = result == "disqualified" ? outcome::disqualified : outcome::qualified;
  opt_string_array(c, obj, "reasons", json_limits::reasons, json_limits::reason_code, q.reasons);
  if (req_string(c, obj, "decided_by", json_limits::decided_by, q.decided_by) && imitates_rules(q.decided_by))
    c.fail("decided_by", "must not read as \"rules\" (in any case, spacing or look-alike letters): that name "
                         "belongs to the qualification rules; name the person who decided");
  opt_string(c, obj, "rules_version", json_limits::short_text, q.rules_version);
}

constexpr std::initializer_list<const char*> networks = {"instagram", "youtube", "tiktok"};

/// The required `network` of an enriched or enrichment_failed body.
void req_network(const checker& c, const Value& obj, network& out) {
  std::string name;
  if (req_enum(c, obj, "network", networks, name)) out = network_from_string(name).value_or(network::unknown);
}

void enriched_fields(const checker& c, const Value& obj, enriched& e) {
  req_network(c, obj, e.network);
  req_string(c, obj, "handle", json_limits::handle, e.handle);
  req_count(c, obj, "followers", e.followers);
  std::optional<int64_t> n;
  if (opt_count(c, obj, "follows", n)) e.follows = n.value_or(0);
  if (opt_count(c, obj, "media_count", n)) e.media_count = n.value_or(0);
  opt_count(c, obj, "views", e.views);
  opt_ratio(c, obj, "engagement_rate", HUGE_VAL, e.engagement_rate);
  opt_ratio(c, obj, "posts_per_week", HUGE_VAL, e.posts_per_week);
  if (const Value* mix = opt_object(c, obj, "content_mix")) {
    checker mc = c.nested("content_mix");
    std::optional<double> share;
    if (opt_ratio(mc, *mix, "image", 1.0, share)) e.mix.image = share.value_or(0);
    if (opt_ratio(mc, *mix, "video", 1.0, share)) e.mix.video = share.value_or(0);
    if (opt_ratio(mc, *mix, "carousel", 1.0, share)) e.mix.carousel = share.value_or(0);
    if (opt_ratio(mc, *mix, "reels", 1.0, share)) e.mix.reels = share.value_or(0);
  }
  req_enum(c, obj, "creator_tier", {"none", "nano", "micro", "mid", "macro", "mega"}, e.creator_tier);
  opt_bool(c, obj, "likes_hidden", e.likes_hidden);
  opt_string(c, obj, "provider", json_limits::short_text, e.provider);
  req_time(c, obj, "fetched_at", e.fetched_at);
  opt_string_array(c, obj, "missing_fields", json_limits::missing_fields, json_limits::short_text,
                   e.missing_fields);
}

void enrichment_failed_fields(const checker& c, const Value& obj, enrichment_failed& f) {
  req_network(c, obj, f.network);
  req_string(c, obj, "handle", json_limits::handle, f.handle);
  if (const Value* v = member(obj, "attempt"); given(v)) {
    uint64_t a = 0;
    if (uint_value(c, "attempt", *v, UINT32_MAX, a)) f.attempt = static_cast<uint32_t>(a);
  } else {
    c.fail("attempt", "is required");
  }
  // provider_disabled is not accepted: only a lead decides it (no provider serves the network).
  std::string cls;
  if (req_enum(c, obj, "error_class",
               {"timeout", "rate_limited", "provider_error", "not_found", "auth_error", "invalid_response",
                "provider_unavailable"},
               cls))
    f.error_class = failure_class_from_string(cls).value_or(failure_class::unknown);
  if (const Value* v = member(obj, "provider_code"); given(v) && (v->IsInt64() || v->IsUint64())) {
    f.provider_code = v->IsInt64() ? std::to_string(v->GetInt64()) : std::to_string(v->GetUint64());
  } else if (given(v) && !v->IsString()) {
    c.fail("provider_code", "must be a string or an integer");
  } else {
    opt_string(c, obj, "provider_code", json_limits::short_text, f.provider_code);
  }
  opt_bool(c, obj, "retryable", f.retryable);
  opt_time(c, obj, "next_attempt_at", f.next_attempt_at);
}

// -- documents ----------------------------------------------------------------------

void envelope_fields(const checker& c, const Value& obj, envelope& m) {
  req_id(c, obj, "event_id", m.event_id);
  req_id(c, obj, "lead_id", m.lead_id);
  req_time(c, obj, "occurred_at", m.occurred_at);
}

bool is_blank(std::string_view line) {
  for (char ch : line)
    if (ch != ' ' && ch != '\t' && ch != '\r') return false;
  return true;
}

std::string echoed_event_id(const Value& item) {
  if (!item.IsObject()) return {};
  const Value* v = member(item, "event_id");
  if (!v || !v->IsString() || v->GetStringLength() > 4 * json_limits::id) return {};
  return std::string(v->GetString(), v->GetStringLength());
}

} // namespace

result<append_command, parse_failure> parse_signup(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = parse_document(doc, body, "the body")) return std::move(*f);
  if (!doc.IsObject()) return wrong_kind("the body must be a JSON object");
  std::vector<field_error> errors;
  checker c(errors, "");
  append_command cmd;
  envelope_fields(c, doc, cmd.ev.meta);
  signed_up s;
  signup_fields(c, doc, s);
  if (!errors.empty()) return invalid(std::move(errors));
  cmd.ev.data = std::move(s);
  return cmd;
}

result<append_command, parse_failure> parse_event_item(const rapidjson::Value& item) {
  if (!item.IsObject()) return invalid({{"", "an event must be a JSON object"}});
  std::vector<field_error> errors;
  checker c(errors, "");
  append_command cmd;
  envelope_fields(c, item, cmd.ev.meta);

  opt_version(c, item, cmd.expected_version);

  // event_type::unknown = none usable (an optional<event_type> draws a false
  // -Wmaybe-uninitialized from GCC 12).
  event_type type = event_type::unknown;
  if (const Value* v = member(item, "type"); !given(v)) {
    c.fail("type", "is required");
  } else if (!v->IsString()) {
    c.fail("type", "must be a string");
  } else {
    auto t = event_type_from_string(std::string(v->GetString(), v->GetStringLength()));
    if (t == event_type::erased)
      c.fail("type", "erased is not accepted here; use POST /v1/leads/{lead_id}/erase");
    else if (t && is_work_event(*t))
      c.fail("type", "work events are not accepted here; use the /v1/leads/{lead_id} work endpoints");
    else if (!t)
      c.fail("type", one_of({"signed_up", "enriched", "enrichment_failed", "qualified"}));
    else
      type = *t;
  }

  const Value* data = member(item, "data");
  if (!given(data))
    c.fail("data", "is required");
  else if (!data->IsObject())
    c.fail("data", "must be an object");
  else if (type != event_type::unknown) {
    checker dc = c.nested("data");
    switch (type) {
      case event_type::signed_up: {
        signed_up s;
        signup_fields(dc, *data, s);
        cmd.ev.data = std::move(s);
        break;
      }
      case event_type::qualified: {
        qualified q;
        q.decided_by.clear();
        qualified_fields(dc, *data, q);
        cmd.ev.data = std::move(q);
        break;
      }
      case event_type::enriched: {
        enriched e;
        enriched_fields(dc, *data, e);
        cmd.ev.data = std::move(e);
        break;
      }
      case event_type::enrichment_failed: {
        enrichment_failed f;
        enrichment_failed_fields(dc, *data, f);
        cmd.ev.data = std::move(f);
        break;
      }
      default: break;  // refused above
    }
  }
  if (!errors.empty()) return invalid(std::move(errors));
  return cmd;
}

result<append_command, parse_failure> parse_event_item(std::string_view item_json) {
  rapidjson::Document doc;
  if (auto f = parse_document(doc, item_json, "the event")) return std::move(*f);
  if (!doc.IsObject()) return wrong_kind("an event must be a JSON object");
  return parse_event_item(static_cast<const Value&>(doc));
}

result<std::vector<batch_item>, parse_failure> parse_batch(std::string_view body, bool ndjson) {
  auto too_many = [](size_t n) {
    return invalid({{"", "a batch holds at most " + std::to_string(json_limits::batch_items) +
                             " events; this one has " + std::to_string(n)}});
  };
  std::vector<batch_item> items;
  if (!ndjson) {
    rapidjson::Document doc;
    if (auto f = parse_document(doc, body, "the body")) return std::move(*f);
    if (!doc.IsArray()) return wrong_kind("the body must be a JSON array of events");
    if (doc.Size() > json_limits::batch_items) return too_many(doc.Size());
    items.reserve(doc.Size());
    for (const Value& item : doc.GetArray()) items.push_back({echoed_event_id(item), parse_event_item(item)});
    return items;
  }

  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < body.size();) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    if (!is_blank(line)) {
      if (lines.size() == json_limits::batch_items) {
        size_t n = lines.size() + 1;  // count the rest for the message
        for (size_t p = end + 1; p < body.size();) {
          size_t e = body.find('\n', p);
          if (e == std::string_view::npos) e = body.size();
          n += !is_blank(body.substr(p, e - p));
          p = e + 1;
        }
        return too_many(n);
      }
      lines.push_back(line);
    }
    pos = end + 1;
  }
  items.reserve(lines.size());
  rapidjson::Document doc;
  for (std::string_view line : lines) {
    if (auto f = parse_document(doc, line, "this line")) {
      // A line that parsed (a repeated key) can still name its event.
      items.push_back({doc.HasParseError() ? std::string() : echoed_event_id(doc), std::move(*f)});
      continue;
    }
    items.push_back({echoed_event_id(doc), parse_event_item(static_cast<const Value&>(doc))});
  }
  return items;
}

result<erased, parse_failure> parse_erase(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = parse_document(doc, body, "the body")) return std::move(*f);
  if (!doc.IsObject()) return wrong_kind("the body must be a JSON object");
  std::vector<field_error> errors;
  checker c(errors, "");
  erased e;
  req_string(c, doc, "reason", json_limits::erase_reason, e.reason);
  if (!errors.empty()) return invalid(std::move(errors));
  return e;
}

} // namespace leadbase
