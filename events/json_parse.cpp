// JSON -> commands: the API's request bodies, validated (events/json.hpp).
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
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "events/ids.hpp"
#include "events/json.hpp"
#include "events/text.hpp"
#include "events/json_numbers.hpp"
#include "events/time.hpp"

namespace leadbase {
namespace {

using rapidjson::Value;

/// Collects field errors under a path prefix ("" at the top, "data" in items).
class checker {
 public:
  checker(std::vector<field_error>& errors, std::string prefix) : errors_(errors), prefix_(std::move(prefix)) {}

  std::string path(std::string_view name) const {
    if (prefix_.empty()) return std::string(name);
    std::string p = prefix_;
    if (!name.empty() && name.front() != '[') p += '.';
    p += name;
    return p;
  }
  checker nested(std::string_view name) const { return checker(errors_, path(name)); }
  void fail(std::string_view name, std::string message) const {
    errors_.push_back({path(name), std::move(message)});
  }
  size_t error_count() const { return errors_.size(); }

 private:
  std::vector<field_error>& errors_;
  std::string prefix_;
};

const Value* member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

/// Absent or null: both mean "not given".
bool given(const Value* v) { return v && !v->IsNull(); }

/// Checks a string value that is given (not absent, not null).
bool string_value(const checker& c, const char* name, const Value& v, size_t max, bool required,
                  std::string& out) {
  if (!v.IsString()) {
    c.fail(name, "must be a string");
    return false;
  }
  std::string_view s(v.GetString(), v.GetStringLength());
  if (s.empty()) {
    if (required) {
      c.fail(name, "must not be empty");
      return false;
    }
    out.clear();
    return true;
  }
  // The one check of free text (events/text.hpp): length, controls, bidi
  // overrides, invisible characters where they mislead.
  if (std::string why = text_field_error(s, max); !why.empty()) {
    c.fail(name, std::move(why));
    return false;
  }
  out.assign(s);
  return true;
}

bool req_string(const checker& c, const Value& obj, const char* name, size_t max, std::string& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    c.fail(name, "is required");
    return false;
  }
  return string_value(c, name, *v, max, true, out);
}

bool opt_string(const checker& c, const Value& obj, const char* name, size_t max, std::string& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    out.clear();
    return true;
  }
  return string_value(c, name, *v, max, false, out);
}

bool req_id(const checker& c, const Value& obj, const char* name, std::string& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    c.fail(name, "is required");
    return false;
  }
  if (!v->IsString()) {
    c.fail(name, "must be a string");
    return false;
  }
  std::string_view s(v->GetString(), v->GetStringLength());
  if (!is_valid_id(s)) {
    c.fail(name, id_rule_text);
    return false;
  }
  out.assign(s);
  return true;
}

bool time_value(const checker& c, const char* name, const Value& v, millis& out) {
  if (!v.IsString()) {
    c.fail(name, "must be an RFC 3339 time string");
    return false;
  }
  auto t = parse_time(std::string_view(v.GetString(), v.GetStringLength()));
  if (!t) {
    c.fail(name, "must be an RFC 3339 time, e.g. 2026-11-28T12:00:00.000Z");
    return false;
  }
  out = *t;
  return true;
}

bool req_time(const checker& c, const Value& obj, const char* name, millis& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    c.fail(name, "is required");
    return false;
  }
  return time_value(c, name, *v, out);
}

bool opt_time(const checker& c, const Value& obj, const char* name, std::optional<millis>& out) {
  const Value* v = member(obj, name);
  out.reset();
  if (!given(v)) return true;
  millis t = 0;
  if (!time_value(c, name, *v, t)) return false;
  out = t;
  return true;
}

bool uint_value(const checker& c, const char* name, const Value& v, uint64_t max, uint64_t& out) {
  if (!v.IsUint64() || v.GetUint64() > max) {
    c.fail(name, max == UINT64_MAX ? "must be a non-negative integer"
                                   : "must be an integer from 0 to " + std::to_string(max));
    return false;
  }
  out = v.GetUint64();
  return true;
}

/// Counts (followers, ...) are int64 in the model.
constexpr uint64_t max_count = static_cast<uint64_t>(INT64_MAX);

bool req_count(const checker& c, const Value& obj, const char* name, int64_t& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    c.fail(name, "is required");
    return false;
  }
  uint64_t u = 0;
  if (!uint_value(c, name, *v, max_count, u)) return false;
  out = static_cast<int64_t>(u);
  return true;
}

bool opt_count(const checker& c, const Value& obj, const char* name, std::optional<int64_t>& out) {
  const Value* v = member(obj, name);
  out.reset();
  if (!given(v)) return true;
  uint64_t u = 0;
  if (!uint_value(c, name, *v, max_count, u)) return false;
  out = static_cast<int64_t>(u);
  return true;
}

bool opt_ratio(const checker& c, const Value& obj, const char* name, double max, std::optional<double>& out) {
  const Value* v = member(obj, name);
  out.reset();
  if (!given(v)) return true;
  if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0 || v->GetDouble() > max) {
    c.fail(name, max == HUGE_VAL ? "must be a number >= 0 or null" : "must be a number from 0 to 1");
    return false;
  }
  out = v->GetDouble();
  return true;
}

bool opt_bool(const checker& c, const Value& obj, const char* name, bool& out) {
  const Value* v = member(obj, name);
  if (!given(v)) return true;  // keep the default
  if (!v->IsBool()) {
    c.fail(name, "must be true or false");
    return false;
  }
  out = v->GetBool();
  return true;
}

std::string one_of(std::initializer_list<const char*> options) {
  std::string m = "must be one of ";
  bool first = true;
  for (const char* o : options) {
    if (!first) m += ", ";
    m += o;
    first = false;
  }
  return m;
}

bool req_enum(const checker& c, const Value& obj, const char* name, std::initializer_list<const char*> options,
              std::string& out) {
  const Value* v = member(obj, name);
  if (!given(v)) {
    c.fail(name, "is required");
    return false;
  }
  if (v->IsString()) {
    std::string_view s(v->GetString(), v->GetStringLength());
    for (const char* o : options)
      if (s == o) {
        out.assign(s);
        return true;
      }
  }
  c.fail(name, one_of(options));
  return false;
}

/// An optional array of strings (absent/null = empty).
bool opt_string_array(const checker& c, const Value& obj, const char* name, size_t max_items, size_t max_len,
                      std::vector<std::string>& out) {
  const Value* v = member(obj, name);
  out.clear();
  if (!given(v)) return true;
  if (!v->IsArray()) {
    c.fail(name, "must be an array of strings");
    return false;
  }
  if (v->Size() > max_items) {
    c.fail(name, "must have at most " + std::to_string(max_items) + " entries");
    return false;
  }
  checker inner = c.nested(name);
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    std::string entry;
    std::string index = "[" + std::to_string(i) + "]";
    if (string_value(inner, index.c_str(), (*v)[i], max_len, true, entry))
      out.push_back(std::move(entry));
    else
      ok = false;
  }
  return ok;
}

/// An optional object member (absent/null = nullptr); a wrong type is an error.
const Value* opt_object(const checker& c, const Value& obj, const char* name) {
  const Value* v = member(obj, name);
  if (!given(v)) return nullptr;
  if (!v->IsObject()) {
    c.fail(name, "must be an object");
    return nullptr;
  }
  return v;
}

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

parse_failure not_json(const rapidjson::ParseResult& result, std::string_view what) {
  parse_failure f;
  f.code = errc::bad_request;
  f.detail = std::string(what) + " is not valid JSON: " + rapidjson::GetParseError_En(result.Code()) +
             " (at byte " + std::to_string(result.Offset()) + ")";
  return f;
}

parse_failure wrong_kind(std::string detail) {
  parse_failure f;
  f.code = errc::bad_request;
  f.detail = std::move(detail);
  return f;
}

parse_failure invalid(std::vector<field_error> errors) {
  parse_failure f;
  f.code = errc::validation;
  f.detail = "invalid field";
  if (errors.size() > 1) f.detail += 's';
  f.detail += ": ";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i == 3) {
      f.detail += ", ...";
      break;
    }
    if (i > 0) f.detail += ", ";
    f.detail += errors[i].field.empty() ? "(body)" : errors[i].field;
  }
  f.errors = std::move(errors);
  return f;
}

/// The first key that occurs twice in one object, anywhere in `root`; nullopt
/// if none. Walks with its own stack (the document may nest deeply) and sorts
/// each object's keys, so a hostile object of many keys costs n log n.
std::optional<std::string_view> repeated_key(const Value& root) {
  std::vector<const Value*> pending{&root};
  std::vector<std::string_view> names;
  while (!pending.empty()) {
    const Value* v = pending.back();
    pending.pop_back();
    if (v->IsArray()) {
      for (const Value& e : v->GetArray()) pending.push_back(&e);
    } else if (v->IsObject()) {
      names.clear();
      for (const auto& m : v->GetObject()) {
        names.emplace_back(m.name.GetString(), m.name.GetStringLength());
        pending.push_back(&m.value);
      }
      std::sort(names.begin(), names.end());
      auto dup = std::adjacent_find(names.begin(), names.end());
      if (dup != names.end()) return *dup;
    }
  }
  return std::nullopt;
}

/// A key as shown in a problem detail: printable ASCII only, else not at all.
std::string shown_key(std::string_view key) {
  bool printable = key.size() <= json_limits::id &&
                   std::all_of(key.begin(), key.end(), [](char ch) { return ch >= 0x20 && ch < 0x7F; });
  return printable ? " \"" + std::string(key) + "\"" : std::string();
}

/// Parses `text` as exactly one JSON document, or says why not (bad_request;
/// `what` names the text: "the body", "this line"). rapidjson takes a NUL byte
/// for the end of the input, so "{...}\0anything" would pass: a NUL anywhere
/// is refused first (inside a JSON string it must be escaped anyway). A key
/// repeated in one object is refused too: which of the two values counts
/// would be a guess (RFC 8259 leaves it open), and a guess a proxy or a
/// validator in front of us may make differently. On a repeated key `doc`
/// holds the parsed document (without a parse error).
std::optional<parse_failure> parse_document(rapidjson::Document& doc, std::string_view text, std::string_view what) {
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    doc.SetNull();
    return wrong_kind(std::string(what) + " is not valid JSON: a NUL byte at byte " + std::to_string(nul));
  }
  // Numbers read by std::from_chars, not rapidjson 1.1.0: events/json_numbers.hpp.
  if (const rapidjson::ParseResult result = parse_json_document(doc, text); result.IsError())
    return not_json(result, what);
  if (auto key = repeated_key(doc))
    return wrong_kind(std::string(what) + " is not acceptable JSON: duplicate key" + shown_key(*key) +
                      " (each key may appear once per object)");
  return std::nullopt;
}

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

  if (const Value* v = member(item, "expected_version"); given(v)) {
    uint64_t ev = 0;
    if (uint_value(c, "expected_version", *v, UINT64_MAX, ev)) cmd.expected_version = ev;
  }

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

// -- working the leads -------------------------------------------------------------

namespace {

/// An object body, or `{}` for an empty one.
std::optional<parse_failure> object_body(rapidjson::Document& doc, std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  if (auto f = parse_document(doc, body, "the body")) return f;
  if (!doc.IsObject()) return wrong_kind("the body must be a JSON object");
  return std::nullopt;
}

void opt_version(const checker& c, const Value& obj, std::optional<lead_version>& out) {
  if (const Value* v = member(obj, "expected_version"); given(v)) {
    uint64_t n = 0;
    if (uint_value(c, "expected_version", *v, UINT64_MAX, n)) out = n;
  }
}

template <class E>
void req_name(const checker& c, const Value& obj, const char* name, std::initializer_list<const char*> options,
              std::optional<E> (*from)(std::string_view) noexcept, E& out) {
  std::string text;
  if (!req_enum(c, obj, name, options, text)) return;
  if (auto v = from(text)) out = *v;
}

} // namespace

result<claim, parse_failure> parse_claim(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = object_body(doc, body)) return std::move(*f);
  std::vector<field_error> errors;
  checker c(errors, "");
  claim out;
  opt_version(c, doc, out.expected_version);
  if (!errors.empty()) return invalid(std::move(errors));
  return out;
}

result<release, parse_failure> parse_release(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = object_body(doc, body)) return std::move(*f);
  return release{};
}

result<log_contact, parse_failure> parse_contact(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = parse_document(doc, body, "the body")) return std::move(*f);
  if (!doc.IsObject()) return wrong_kind("the body must be a JSON object");
  std::vector<field_error> errors;
  checker c(errors, "");
  log_contact out;
  req_name(c, doc, "channel", {"phone", "whatsapp", "email", "instagram_dm", "other"}, &contact_channel_from_string,
           out.channel);
  req_name(c, doc, "outcome",
           {"no_answer", "connected", "meeting_booked", "not_interested", "wrong_contact", "do_not_contact"},
           &contact_outcome_from_string, out.result);
  opt_string(c, doc, "note", json_limits::note, out.note);
  opt_time(c, doc, "contacted_at", out.contacted_at);
  opt_version(c, doc, out.expected_version);
  if (!errors.empty()) return invalid(std::move(errors));
  return out;
}

result<assign, parse_failure> parse_assign(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = object_body(doc, body)) return std::move(*f);
  std::vector<field_error> errors;
  checker c(errors, "");
  assign out;
  if (req_string(c, doc, "owner", json_limits::name, out.owner)) {
    if (!has_visible(out.owner))
      c.fail("owner", "must not be blank");
    else if (out.owner == "me" || out.owner == "none")  // GET /v1/leads?owner= reads them as the caller, unassigned
      c.fail("owner", "must not be \"me\" or \"none\" (the queue's owner filter reserves them)");
  }
  if (!errors.empty()) return invalid(std::move(errors));
  return out;
}

result<queue_claim_filters, parse_failure> parse_queue_claim(std::string_view body) {
  rapidjson::Document doc;
  if (auto f = object_body(doc, body)) return std::move(*f);
  std::vector<field_error> errors;
  checker c(errors, "");
  queue_claim_filters out;
  std::string text;
  if (member(doc, "team") && given(member(doc, "team")) && req_enum(c, doc, "team", {"sdr", "ldr"}, text))
    out.team = text;
  if (opt_string(c, doc, "level", 8, text) && !text.empty()) {
    for (size_t at = 0; at <= text.size();) {
      const size_t comma = std::min(text.find(',', at), text.size());
      std::string item = text.substr(at, comma - at);
      const char l = item.size() == 1 ? static_cast<char>(std::toupper(static_cast<unsigned char>(item[0]))) : '?';
      if (l != 'A' && l != 'B' && l != 'C') {
        c.fail("level", "must be A, B, C or a comma list of them");
        break;
      }
      if (std::find(out.levels.begin(), out.levels.end(), l) == out.levels.end()) out.levels.push_back(l);
      at = comma + 1;
    }
  }
  if (opt_string(c, doc, "country", json_limits::country, text) && !text.empty()) out.country = text;
  if (member(doc, "creator_tier") && given(member(doc, "creator_tier")) &&
      req_enum(c, doc, "creator_tier", {"none", "nano", "micro", "mid", "macro", "mega"}, text))
    out.creator_tier = text;
  if (!errors.empty()) return invalid(std::move(errors));
  return out;
}

} // namespace leadbase
