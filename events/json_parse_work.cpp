// JSON -> commands: the bodies of the work endpoints (claim, release, contact,
// assign, the queue's claim), validated like every body (events/json.hpp,
// events/json_fields.hpp).
#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "events/json_fields.hpp"
#include "events/text.hpp"

namespace leadbase {

using namespace json_detail;

namespace {

/// An object body, or `{}` for an empty one.
std::optional<parse_failure> object_body(rapidjson::Document& doc, std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  if (auto f = parse_document(doc, body, "the body")) return f;
  if (!doc.IsObject()) return wrong_kind("the body must be a JSON object");
  return std::nullopt;
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
    // The same rules as a token's name: the owner is a person a token names.
    if (std::string why = person_name_error(out.owner, json_limits::name); !why.empty()) c.fail("owner", why);
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
