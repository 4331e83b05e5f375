#pragma once
// Plain HTTP request/response types seen by route handlers. No Beast, no Asio,
// no CAF: handlers and their tests depend only on this header.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadbase::http {

// -- headers ----------------------------------------------------------------

struct header_field {
  std::string name;
  std::string value;
};

/// ASCII case-insensitive equality (header names, media types, schemes).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// An ordered list of header fields with case-insensitive lookup.
class header_list {
 public:
  /// The first value of `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept;
  /// The first value of `name`, or an empty view.
  std::string_view get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// Replaces every field called `name` with one field.
  void set(std::string name, std::string value);
  /// Appends a field (keeps existing ones of the same name).
  void add(std::string name, std::string value);
  void erase(std::string_view name);

  const std::vector<header_field>& fields() const noexcept { return fields_; }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<header_field> fields_;
};

// -- request ------------------------------------------------------------------

/// One parsed HTTP request, as handed to a route handler.
struct request {
  std::string method;  ///< As received, e.g. "GET", "POST" (methods are case-sensitive).
  std::string target;  ///< The raw request target, e.g. "/v1/leads?level=A".
  std::string path;    ///< The raw path part of the target (no query, not decoded).
  /// Query parameters, percent- and '+'-decoded. A repeated key is refused (400).
  std::map<std::string, std::string> query;
  /// Path parameters filled by the router, decoded: pattern "/v1/leads/{lead_id}" → {"lead_id", …}.
  std::map<std::string, std::string> path_params;
  header_list headers;  ///< Every request header, lookup is case-insensitive.
  std::string body;
  /// The request's correlation id: the validated X-Correlation-Id header, or a
  /// freshly generated one (16 hex digits). Always set; echoed in the response.
  std::string correlation_id;
  /// The name of the authenticated token ("platform", …); empty on public routes.
  std::string principal;
  /// The authenticated token's scopes, by name ("read", "work", …); empty on public routes.
  std::vector<std::string> scopes;
  bool has_scope(std::string_view name) const noexcept {
    for (const auto& s : scopes)
      if (s == name) return true;
    return false;
  }
  std::string remote_address;  ///< "ip:port" of the peer.
  bool keep_alive = true;      ///< What the client asked for (HTTP/1.1 default: true).

  // -- convenience ------------------------------------------------------------
  std::string_view header(std::string_view name) const noexcept { return headers.get(name); }
  std::string_view content_type() const noexcept { return headers.get("Content-Type"); }
  std::string_view authorization() const noexcept { return headers.get("Authorization"); }
  std::string_view last_event_id() const noexcept { return headers.get("Last-Event-ID"); }
  std::string_view if_none_match() const noexcept { return headers.get("If-None-Match"); }
  /// The query parameter `name`, or nullptr.
  const std::string* query_param(std::string_view name) const;
  /// The path parameter `name`, or an empty string when the pattern has none.
  const std::string& path_param(std::string_view name) const;
};

// -- response -----------------------------------------------------------------

/// A complete response. The server adds Content-Length, Connection and
/// X-Correlation-Id; everything else is the handler's.
struct response {
  int status = 200;
  std::string content_type;  ///< Empty: no Content-Type header.
  header_list headers;       ///< Extra headers (Location, ETag, Retry-After, …).
  std::string body;
  bool close = false;  ///< Close the connection after this response.

  response& set_header(std::string name, std::string value) {
    headers.set(std::move(name), std::move(value));
    return *this;
  }
};

/// `status` with `Content-Type: application/json` and `body` (already JSON).
response json_response(int status, std::string body);
/// `status` with the given content type (default text/plain; charset=utf-8).
response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
/// `status` without a body (e.g. 204, 304).
response empty_response(int status);

/// The standard reason phrase of `status` ("Not Found"), or "Unknown".
const char* reason_phrase(int status) noexcept;

// -- URL helpers --------------------------------------------------------------

/// Percent-decodes `in`; with `plus_as_space` a '+' becomes ' ' (query strings).
/// std::nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space);
/// Parses "a=1&b=x%20y" into `out`; false on a malformed escape or a key given
/// twice (then `*duplicate`, when given, is that key, decoded).
bool parse_query(std::string_view query, std::map<std::string, std::string>& out,
                 std::string* duplicate = nullptr);
/// The media type of a Content-Type value, lower-cased, without parameters:
/// "Application/JSON; charset=utf-8" → "application/json".
std::string media_type(std::string_view content_type);

}  // namespace leadbase::http
