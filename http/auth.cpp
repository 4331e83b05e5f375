#include "http/auth.hpp"

#include <openssl/sha.h>

namespace leadbase::http {

const char* to_string(scope s) noexcept {
  switch (s) {
    case scope::ingest: return "ingest";
    case scope::read: return "read";
    case scope::audit: return "audit";
    case scope::admin: return "admin";
    case scope::metrics: return "metrics";
    case scope::work: return "work";
    case scope::authenticated: return "authenticated";
  }
  return "unknown";
}

std::optional<scope> parse_scope(std::string_view name) noexcept {
  for (auto s : {scope::ingest, scope::read, scope::audit, scope::admin, scope::metrics, scope::work})
    if (name == to_string(s)) return s;
  return std::nullopt;
}

namespace {

std::array<unsigned char, 32> digest_of(std::string_view token) noexcept {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  return d;
}

/// 0 when equal; no data-dependent branches.
unsigned diff(const std::array<unsigned char, 32>& a, const std::array<unsigned char, 32>& b) noexcept {
  volatile unsigned acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc = acc | static_cast<unsigned>(a[i] ^ b[i]);
  return acc;
}

}  // namespace

status token_table::add(std::string name, std::string_view token, scope_set scopes) {
  if (name.empty()) return error{errc::validation, "auth.tokens: an entry has an empty name"};
  if (token.empty()) return error{errc::validation, "auth.tokens." + name + ": empty token"};
  auto d = digest_of(token);
  for (const auto& e : entries_) {
    if (e.who.name == name) return error{errc::validation, "auth.tokens." + name + ": duplicate name"};
    if (diff(e.digest, d) == 0)
      return error{errc::validation, "auth.tokens." + name + ": same token as '" + e.who.name + "'"};
  }
  entries_.push_back(entry{d, principal{std::move(name), scopes}});
  return ok();
}

result<token_table> token_table::from_entries(const std::vector<token_entry>& entries) {
  token_table t;
  for (const auto& e : entries) {
    scope_set s;
    for (const auto& name : e.scopes) {
      auto sc = parse_scope(name);
      if (!sc) return error{errc::validation, "auth.tokens." + e.name + ": unknown scope '" + name + "'"};
      s.insert(*sc);
    }
    if (auto st = t.add(e.name, e.token, s); !st) return st.err();
  }
  return t;
}

const principal* token_table::find(std::string_view token) const noexcept {
  auto d = digest_of(token);
  const principal* found = nullptr;
  for (const auto& e : entries_) {
    // Look at every entry whatever matched before: the loop's timing does not
    // depend on the token.
    bool eq = diff(e.digest, d) == 0;
    if (eq) found = &e.who;
  }
  return found;
}

std::optional<std::string_view> bearer_token(std::string_view v) noexcept {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
  constexpr std::string_view scheme = "bearer";
  if (v.size() <= scheme.size() || !iequals(v.substr(0, scheme.size()), scheme)) return std::nullopt;
  v.remove_prefix(scheme.size());
  if (!is_space(v.front())) return std::nullopt;
  while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  for (char c : v)
    if (is_space(c)) return std::nullopt;  // b64token has no spaces
  return v;
}

auth_result authorize(const token_table& table, std::string_view authorization,
                      std::optional<scope> required) noexcept {
  if (!required) return {auth_outcome::ok, nullptr};
  auto token = bearer_token(authorization);
  if (!token) return {auth_outcome::unauthorized, nullptr};
  const principal* who = table.find(*token);
  if (!who) return {auth_outcome::unauthorized, nullptr};
  if (*required != scope::authenticated && !who->scopes.contains(*required)) return {auth_outcome::forbidden, who};
  return {auth_outcome::ok, who};
}

problem auth_problem(const auth_result& r, std::optional<scope> required) {
  if (r.outcome == auth_outcome::forbidden) {
    std::string detail = "this token lacks the scope";
    if (required) detail += std::string{" '"} + to_string(*required) + "'";
    return make_problem(problem_kind::forbidden, std::move(detail));
  }
  return make_problem(problem_kind::unauthorized, "a valid bearer token is required");
}

}  // namespace leadbase::http
