#pragma once
// Bearer-token authentication with scopes (docs/http-api.md "Conventions").
//
// Operation: the table keeps only SHA-256 digests of the configured tokens. A
// presented token is hashed and compared against every entry in constant time
// (no early exit, no length leak), so timing reveals neither which token nor
// how much of one matched.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/errc.hpp"
#include "http/problem.hpp"

namespace leadbase::http {

/// The scopes a token may have; `authenticated` is no scope of a token but what
/// a route requires when any valid token will do (GET /v1/whoami).
enum class scope : uint8_t { ingest, read, audit, admin, metrics, work, authenticated };

/// "ingest", "read", "audit", "admin", "metrics", "work" ("authenticated").
const char* to_string(scope s) noexcept;
std::optional<scope> parse_scope(std::string_view name) noexcept;

/// A small set of scopes.
class scope_set {
 public:
  scope_set() = default;
  scope_set(std::initializer_list<scope> l) {
    for (auto s : l) insert(s);
  }
  void insert(scope s) noexcept { bits_ |= bit(s); }
  bool contains(scope s) const noexcept { return (bits_ & bit(s)) != 0; }
  bool empty() const noexcept { return bits_ == 0; }

 private:
  static uint8_t bit(scope s) noexcept { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }
  uint8_t bits_ = 0;
};

/// One `[auth] tokens` entry of the configuration file.
struct token_entry {
  std::string name;
  std::string token;
  std::vector<std::string> scopes;
};

/// Who a request authenticated as.
struct principal {
  std::string name;
  scope_set scopes;
};

class token_table {
 public:
  /// Builds the table from configuration entries. Fails (errc::validation, with
  /// a message naming the entry) on an empty name or token, an unknown scope,
  /// or a duplicate name or token.
  static result<token_table> from_entries(const std::vector<token_entry>& entries);

  /// Adds one token; same checks as from_entries.
  status add(std::string name, std::string_view token, scope_set scopes);

  /// The principal holding `token`, or nullptr. Constant time in the token.
  const principal* find(std::string_view token) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::array<unsigned char, 32> digest;
    principal who;
  };
  std::vector<entry> entries_;
};

enum class auth_outcome { ok, unauthorized, forbidden };

struct auth_result {
  auth_outcome outcome = auth_outcome::unauthorized;
  const principal* who = nullptr;  ///< Set when the token is known.
};

/// The token of an "Authorization: Bearer TOKEN" value (scheme case-insensitive),
/// or std::nullopt when the header is absent or not a bearer credential.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

/// Checks `authorization` (the header value, possibly empty) against `table`
/// for a route that requires `required` (std::nullopt: public route → ok).
auth_result authorize(const token_table& table, std::string_view authorization,
                      std::optional<scope> required) noexcept;

/// The 401 (with WWW-Authenticate: Bearer) or 403 problem for a failed check.
problem auth_problem(const auth_result& r, std::optional<scope> required);

}  // namespace leadbase::http
