#pragma once
// Identifier syntax of API.md: [A-Za-z0-9._:-]{1,64}.
#include <string_view>

namespace leadbase {

inline bool is_valid_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

} // namespace leadbase
