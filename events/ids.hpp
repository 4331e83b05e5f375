#pragma once
// Identifier syntax of docs/http-api.md "Conventions": [A-Za-z0-9._:-]{1,64}, and not only dots.
//
// "." and ".." are path segments every HTTP client, proxy and URL library
// rewrites (/v1/leads/.. is /v1/), so a lead so named could be written but
// never read back; "..." is refused with them, for one simple rule. The same
// rule holds at ingest and on every read path (http/router.cpp checks each
// {lead_id}), and the log itself refuses an id with a NUL or another control
// byte (storage/keys.hpp), whose key range could overlap another lead's.
#include <string_view>

namespace leadbase {

inline constexpr const char* id_rule_text = "must match [A-Za-z0-9._:-]{1,64} and not be only dots";

inline bool is_valid_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  bool only_dots = true;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '-';
    if (!ok) return false;
    only_dots = only_dots && c == '.';
  }
  return !only_dots;
}

} // namespace leadbase
