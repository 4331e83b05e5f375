#pragma once
// The checks a request passes on its header alone, before a byte of its body
// is read (issue 10 item 3): a body is only buffered for a request that will
// be handled. No Beast: the server hands over what its parser saw.
//
// Order (the first failure answers): X-Correlation-Id (a malformed one is
// replaced, never refused), two Authorization headers → 400, query → 400
// (malformed or a repeated parameter), path → 400 / 404 / 405, auth → 401 /
// 403, Content-Length over the body limit → 413, Content-Type → 415.
//
// HEAD is served by the GET route of the same path (the server sends no body).
#include <cstdint>
#include <optional>
#include <string>

#include "http/auth.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace leadbase::http {

/// What the server's parser saw of one request header.
struct request_head {
  std::string method;
  std::string target;
  header_list headers;
  std::optional<uint64_t> content_length;  ///< when the header says
  bool has_body = false;                   ///< Content-Length > 0 or chunked
  std::string remote_address;
  bool keep_alive = true;
};

struct gate_verdict {
  /// The request, ready for its handler but for the body; correlation_id is
  /// always set (also on a refusal).
  request rq;
  /// The route; also set on a refusal made after routing (its statistics count it).
  const route* matched = nullptr;
  std::optional<response> refusal;  ///< set: the answer, the handler is not called
  bool head = false;  ///< a HEAD request served by a GET route: answer without a body
  std::string correlation_note;  ///< set when a malformed X-Correlation-Id was replaced
};

/// Checks `head` against the routes and tokens. `body_limit` bounds Content-Length.
gate_verdict check_request_head(request_head head, const router& routes, const token_table& tokens,
                                std::size_t body_limit);

/// A fresh correlation id: 16 lower-case hex digits.
std::string make_correlation_id();

/// GET or HEAD of /healthz or /readyz: answered even over the connection limit.
bool is_probe(std::string_view method, std::string_view target) noexcept;

}  // namespace leadbase::http
