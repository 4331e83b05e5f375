#include "http/message.hpp"

#include <algorithm>

namespace leadbase::http {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// -- header_list ----------------------------------------------------------------

const std::string* header_list::find(std::string_view name) const noexcept {
  for (const auto& f : fields_)
    if (iequals(f.name, name)) return &f.value;
  return nullptr;
}

std::string_view header_list::get(std::string_view name) const noexcept {
  auto* v = find(name);
  return v ? std::string_view{*v} : std::string_view{};
}

void header_list::set(std::string name, std::string value) {
  erase(name);
  fields_.push_back({std::move(name), std::move(value)});
}

void header_list::add(std::string name, std::string value) {
  fields_.push_back({std::move(name), std::move(value)});
}

void header_list::erase(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [&](const header_field& f) { return iequals(f.name, name); }),
                fields_.end());
}

// -- request --------------------------------------------------------------------

const std::string* request::query_param(std::string_view name) const {
  auto it = query.find(std::string{name});
  return it == query.end() ? nullptr : &it->second;
}

const std::string& request::path_param(std::string_view name) const {
  static const std::string empty;
  auto it = path_params.find(std::string{name});
  return it == path_params.end() ? empty : it->second;
}

// -- response -------------------------------------------------------------------

response json_response(int status, std::string body) {
  response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

response text_response(int status, std::string body, std::string content_type) {
  response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

response empty_response(int status) {
  response r;
  r.status = status;
  return r;
}

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

// -- URL helpers ----------------------------------------------------------------

std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;  // needs two hex digits after '%'
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool parse_query(std::string_view query, std::map<std::string, std::string>& out, std::string* duplicate) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    // A repeated key is refused rather than guessed (first? last? both?): a
    // proxy and this server could otherwise read different values.
    auto [it, inserted] = out.try_emplace(std::move(*key), std::move(*value));
    if (!inserted) {
      if (duplicate) *duplicate = it->first;
      return false;
    }
  }
  return true;
}

std::string media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  auto t = content_type.substr(0, semi);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  std::string out;
  out.reserve(t.size());
  for (char c : t) out.push_back(lower(c));
  return out;
}

}  // namespace leadbase::http
