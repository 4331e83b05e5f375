#include "http/problem.hpp"

#include "events/json.hpp"

#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace leadbase::http {

const char* to_string(problem_kind kind) noexcept {
  switch (kind) {
    case problem_kind::bad_request: return "bad_request";
    case problem_kind::validation: return "validation";
    case problem_kind::unauthorized: return "unauthorized";
    case problem_kind::forbidden: return "forbidden";
    case problem_kind::not_found: return "not_found";
    case problem_kind::method_not_allowed: return "method_not_allowed";
    case problem_kind::conflict: return "conflict";
    case problem_kind::payload_too_large: return "payload_too_large";
    case problem_kind::unsupported_media_type: return "unsupported_media_type";
    case problem_kind::overloaded: return "overloaded";
    case problem_kind::internal: return "internal";
  }
  return "internal";
}

int default_status(problem_kind kind) noexcept {
  switch (kind) {
    case problem_kind::bad_request: return 400;
    case problem_kind::validation: return 422;
    case problem_kind::unauthorized: return 401;
    case problem_kind::forbidden: return 403;
    case problem_kind::not_found: return 404;
    case problem_kind::method_not_allowed: return 405;
    case problem_kind::conflict: return 409;
    case problem_kind::payload_too_large: return 413;
    case problem_kind::unsupported_media_type: return 415;
    case problem_kind::overloaded: return 503;
    case problem_kind::internal: return 500;
  }
  return 500;
}

const char* default_title(problem_kind kind) noexcept {
  switch (kind) {
    case problem_kind::bad_request: return "Bad request";
    case problem_kind::validation: return "Validation failed";
    case problem_kind::unauthorized: return "Unauthorized";
    case problem_kind::forbidden: return "Forbidden";
    case problem_kind::not_found: return "Not found";
    case problem_kind::method_not_allowed: return "Method not allowed";
    case problem_kind::conflict: return "Conflict";
    case problem_kind::payload_too_large: return "Payload too large";
    case problem_kind::unsupported_media_type: return "Unsupported media type";
    case problem_kind::overloaded: return "Service overloaded";
    case problem_kind::internal: return "Internal error";
  }
  return "Internal error";
}

problem make_problem(problem_kind kind, std::string detail, std::vector<field_error> errors) {
  problem p;
  p.kind = kind;
  p.status = default_status(kind);
  p.title = default_title(kind);
  p.detail = detail.empty() ? std::string{p.title} : std::move(detail);
  p.errors = std::move(errors);
  if (kind == problem_kind::unauthorized) p.headers.set("WWW-Authenticate", "Bearer");
  if (kind == problem_kind::overloaded) p.headers.set("Retry-After", std::to_string(default_retry_after_s));
  return p;
}

problem validation_problem(std::string field, std::string message) {
  std::string detail = "invalid field '" + field + "': " + message;
  return make_problem(problem_kind::validation, std::move(detail), {{std::move(field), std::move(message)}});
}

errc_mapping map_errc(errc code) noexcept {
  switch (code) {
    case errc::validation: return {422, problem_kind::validation};
    case errc::bad_request: return {400, problem_kind::bad_request};
    case errc::not_found: return {404, problem_kind::not_found};
    case errc::conflict: return {409, problem_kind::conflict};
    case errc::lead_erased: return {409, problem_kind::conflict};
    case errc::overloaded: return {503, problem_kind::overloaded};
    case errc::timeout: return {503, problem_kind::overloaded};
    case errc::storage_failure:
    case errc::corrupt_data:
    case errc::internal:
    case errc::success: return {500, problem_kind::internal};
  }
  return {500, problem_kind::internal};
}

problem problem_from(errc code, std::string detail) {
  auto m = map_errc(code);
  if (m.status >= 500 && m.kind == problem_kind::internal) detail.clear();  // never leak internals
  if (detail.empty()) {
    switch (code) {
      case errc::lead_erased: detail = "the lead's personal data was erased"; break;
      case errc::timeout: detail = "the request was not answered in time; try again"; break;
      case errc::overloaded: detail = "the service is over capacity; try again"; break;
      default: break;
    }
  }
  auto p = make_problem(m.kind, std::move(detail));
  p.status = m.status;
  return p;
}

problem problem_from(const leadbase::error& err) { return problem_from(err.code, err.message); }

problem problem_from(const leadbase::parse_failure& f) {
  std::vector<field_error> errors;
  for (const auto& e : f.errors) errors.push_back({e.field, e.message});
  return make_problem(f.code == errc::bad_request ? problem_kind::bad_request : problem_kind::validation, f.detail,
                      std::move(errors));
}

namespace {

using writer_t = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                   rapidjson::CrtAllocator, rapidjson::kWriteNoFlags>;

/// Writes `s` as a JSON string; bytes that are not valid UTF-8 become U+FFFD so
/// that the document is always valid JSON.
void write_string(writer_t& w, const std::string& s) {
  std::string clean;
  clean.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;                                          // overlong
    if (ok && len == 3) ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90) && c <= 0xF4;
    if (ok) {
      clean.append(s, i, len);
      i += len;
    } else {
      clean.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

}  // namespace

std::string to_json(const problem& p) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  w.StartObject();
  w.Key("type");
  write_string(w, std::string{"urn:leadbase:problem:"} + to_string(p.kind));
  w.Key("title");
  write_string(w, p.title);
  w.Key("status");
  w.Int(p.status);
  w.Key("detail");
  write_string(w, p.detail);
  if (!p.errors.empty()) {
    w.Key("errors");
    w.StartArray();
    for (const auto& e : p.errors) {
      w.StartObject();
      w.Key("field");
      write_string(w, e.field);
      w.Key("message");
      write_string(w, e.message);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string{buf.GetString(), buf.GetSize()};
}

response to_response(const problem& p) {
  response r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  r.headers = p.headers;
  r.body = to_json(p);
  return r;
}

response problem_response(problem_kind kind, std::string detail) {
  return to_response(make_problem(kind, std::move(detail)));
}

response problem_response(const leadbase::error& err) { return to_response(problem_from(err)); }

}  // namespace leadbase::http
