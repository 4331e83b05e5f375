// Malformed configuration text found by fuzz/config_fuzz.cpp: each must be a
// syntax error naming the place, never a crash.
//
// "[=]" and its kin reach an internal assertion of toml++ 3.3.0 (Debian 12)
// in parse_key (upstream marzer/tomlplusplus PR #301). The release build
// compiles it out and the parser reports the error below; a build with
// assertions on (no NDEBUG) aborts instead, so keep leadbase's builds NDEBUG
// until Debian ships the fix.
//
// A non-ASCII character where whitespace may stand ("é = 1", U+FEFD) makes
// toml++ 3.3.0 reach __builtin_unreachable() in
// is_non_ascii_horizontal_whitespace (upstream issue #295, fixed by PR #305):
// undefined behaviour, which the gcc release build happens to compile into
// "not whitespace". The second test pins that outcome.
#include <catch2/catch.hpp>

#include <string>

#include "app/config.hpp"

using namespace leadbase;

TEST_CASE("config: a table header that starts with a character no key may start with is a syntax error",
          "[config]") {
  const env_lookup no_env = [](const char*) -> const char* { return nullptr; };
  const std::string texts[] = {"[=]", "[ =]", "[.a]", "[[=]]", "[[[1]]]", std::string("[\0auth]", 7)};
  for (const auto& text : texts) {
    INFO(text);
    auto cfg = parse_config(text, "fuzz.toml", no_env);
    REQUIRE_FALSE(cfg);
    CHECK(cfg.err().code == errc::validation);
    CHECK(cfg.err().message.rfind("config: syntax error at fuzz.toml:1:", 0) == 0);
  }
}

TEST_CASE("config: a non-ASCII character between tokens is a syntax error", "[config]") {
  const env_lookup no_env = [](const char*) -> const char* { return nullptr; };
  const std::string texts[] = {"\xC3\xA9 = 1", "\xEF\xBB\xBD" "a = 1", "\xEF\xB7\xBD" "a = 1", "a = 1\n\xC2\xA7",
                               "\xEF\xB9\x9D = 1", "x\xC3\xA9 = 1"};
  for (const auto& text : texts) {
    INFO(text);
    auto cfg = parse_config(text, "fuzz.toml", no_env);
    REQUIRE_FALSE(cfg);
    CHECK(cfg.err().message.rfind("config: syntax error at fuzz.toml:", 0) == 0);
  }
}
