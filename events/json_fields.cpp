// The checks every JSON body parser shares (events/json_fields.hpp): one
// field at a time, every error collected under its path, and the parsing of
// one document (exactly one, no NUL byte, no key repeated in an object).
#include "events/json_fields.hpp"

#include <algorithm>
#include <cmath>

#include <rapidjson/error/en.h>

#include "events/ids.hpp"
#include "events/json_numbers.hpp"
#include "events/text.hpp"
#include "events/time.hpp"

namespace leadbase::json_detail {

const Value* member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

/// Absent or null: both mean "not given".
bool given(const Value* v) { return v && !v->IsNull(); }

namespace {

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

} // namespace

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

namespace {

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

} // namespace

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

void opt_version(const checker& c, const Value& obj, std::optional<lead_version>& out) {
  if (const Value* v = member(obj, "expected_version"); given(v)) {
    uint64_t n = 0;
    if (uint_value(c, "expected_version", *v, UINT64_MAX, n)) out = n;
  }
}

// -- documents ----------------------------------------------------------------------

namespace {

parse_failure not_json(const rapidjson::ParseResult& result, std::string_view what) {
  parse_failure f;
  f.code = errc::bad_request;
  f.detail = std::string(what) + " is not valid JSON: " + rapidjson::GetParseError_En(result.Code()) +
             " (at byte " + std::to_string(result.Offset()) + ")";
  return f;
}

} // namespace

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

namespace {

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

} // namespace

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

} // namespace leadbase::json_detail
