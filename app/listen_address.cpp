// app/listen_address.cpp — parse_listen (see config.hpp): HOST:PORT and
// [IPV6]:PORT, as --listen and the config's `listen` take them.
#include <algorithm>
#include <string>

#include "app/config.hpp"

namespace leadbase {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

result<listen_address> parse_listen(std::string_view text) {
  const std::string shown = "'" + std::string{text} + "'";
  const std::string usage = "expected HOST:PORT or [IPV6]:PORT (e.g. 127.0.0.1:8080), got " + shown;
  listen_address out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return {errc::validation, usage};
    std::string_view host = text.substr(1, close - 1);
    bool ok = host.find(':') != std::string_view::npos
              && std::all_of(host.begin(), host.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                          || c == ':' || c == '.';
                 });
    if (!ok)
      return {errc::validation, "'" + std::string{host} + "' is not an IPv6 address, in " + shown};
    out.host = std::string{host};
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return {errc::validation, usage};
    std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return {errc::validation, "an IPv6 address needs brackets (e.g. [::1]:8080), got " + shown};
    bool ok = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
             || c == '-' || c == '_';
    });
    if (!ok)
      return {errc::validation, "'" + std::string{host} + "' is not a host name or address, in "
                                    + shown};
    out.host = std::string{host};
    port = text.substr(colon + 1);
  }
  if (!all_digits(port))
    return {errc::validation, usage};
  if (port.size() > 5 || std::stoul(std::string{port}) > 65535 || std::stoul(std::string{port}) == 0)
    return {errc::validation, "port must be between 1 and 65535, got " + shown};
  out.port = static_cast<uint16_t>(std::stoul(std::string{port}));
  return out;
}

} // namespace leadbase
