#pragma once
// RFC 9457 problem documents as docs/http-api.md "Conventions" defines them:
//   Content-Type: application/problem+json
//   {"type":"urn:leadbase:problem:KIND","title":…,"status":…,"detail":…,
//    "errors":[{"field":…,"message":…}]}      (errors only when there are some)
// and the one table that maps leadbase::errc to an HTTP status (events/errc.hpp).
#include <string>
#include <vector>

#include "events/errc.hpp"
#include "http/message.hpp"

namespace leadbase {
struct parse_failure;  // events/json.hpp
}

namespace leadbase::http {

enum class problem_kind {
  bad_request,             ///< 400, the request is not parseable
  validation,              ///< 422, a field is missing, malformed or too long
  unauthorized,            ///< 401, no or unknown token (adds WWW-Authenticate: Bearer)
  forbidden,               ///< 403, the token lacks the route's scope
  not_found,               ///< 404
  method_not_allowed,      ///< 405 (add an Allow header)
  conflict,                ///< 409
  payload_too_large,       ///< 413
  unsupported_media_type,  ///< 415
  overloaded,              ///< 503 (adds Retry-After)
  internal,                ///< 500
};

/// "bad_request", "validation", … (the KIND of the type URN).
const char* to_string(problem_kind kind) noexcept;
/// The status a kind answers with by default.
int default_status(problem_kind kind) noexcept;
/// A short human title ("Validation failed").
const char* default_title(problem_kind kind) noexcept;

struct field_error {
  std::string field;
  std::string message;
};

struct problem {
  problem_kind kind = problem_kind::internal;
  int status = 500;
  std::string title;
  std::string detail;
  std::vector<field_error> errors;  ///< Serialized only when non-empty.
  header_list headers;              ///< Extra headers: Allow, Retry-After, WWW-Authenticate.
};

/// Seconds in the Retry-After header of 503 answers made here.
inline constexpr int default_retry_after_s = 1;

/// A problem of `kind` with its default status and title, and the headers the
/// kind requires (unauthorized → WWW-Authenticate: Bearer, overloaded → Retry-After).
problem make_problem(problem_kind kind, std::string detail = {}, std::vector<field_error> errors = {});
/// A 422 validation problem naming one field.
problem validation_problem(std::string field, std::string message);

/// How an errc answers over HTTP.
struct errc_mapping {
  int status;
  problem_kind kind;
};
/// validation→422, bad_request→400, not_found→404, conflict/lead_erased→409,
/// overloaded/timeout→503, storage_failure/corrupt_data/internal/success→500.
errc_mapping map_errc(errc code) noexcept;
/// The problem for an error of a lower layer. For 5xx caused by storage or
/// internal failures the detail is replaced with a generic text (the message
/// may carry internals); it is the caller's job to log the original.
problem problem_from(errc code, std::string detail = {});
problem problem_from(const leadbase::error& err);
/// The problem for a request body the parser refused: 400 (not JSON, wrong
/// top-level kind) or 422 with every field error, for every route that parses one.
problem problem_from(const leadbase::parse_failure& f);

/// The JSON document (rapidjson writer, correct escaping, invalid UTF-8 replaced).
std::string to_json(const problem& p);
/// The complete response: status, application/problem+json, headers, body.
response to_response(const problem& p);
/// Shorthands.
response problem_response(problem_kind kind, std::string detail = {});
response problem_response(const leadbase::error& err);

}  // namespace leadbase::http
