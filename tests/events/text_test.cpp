// events/text.hpp, exhaustively: every code point in every position that
// matters, every UTF-8 sequence of up to three bytes, the four-byte lead and
// boundary bytes, and the look-alikes of "rules".
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "events/json.hpp"
#include "events/text.hpp"

using namespace leadbase;
using namespace std::string_literals;

namespace {

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// The rules of text.hpp, written out once more as the specification.
bool spec_control(char32_t c) { return c <= 0x1F || in(c, 0x7F, 0x9F) || c == 0x2028 || c == 0x2029; }
bool spec_bidi(char32_t c) { return in(c, 0x202A, 0x202E) || in(c, 0x2066, 0x2069); }
bool spec_invisible(char32_t c) {
  for (char32_t x : {0xADu, 0x34Fu, 0x115Fu, 0x1160u, 0x17B4u, 0x17B5u, 0x180Eu, 0x200Bu, 0x3164u, 0xFEFFu, 0xFFA0u})
    if (c == x) return true;
  return in(c, 0x2060, 0x2064) || in(c, 0x206A, 0x206F) || in(c, 0xFFF9, 0xFFFB) || in(c, 0x1BCA0, 0x1BCA3) ||
         in(c, 0x1D173, 0x1D17A) || in(c, 0xE0001, 0xE001F) || in(c, 0xFDD0, 0xFDEF) || (c & 0xFFFF) >= 0xFFFE;
}
bool spec_joiner(char32_t c) { return in(c, 0x200C, 0x200F) || c == 0x61C; }
bool spec_selector(char32_t c) {
  return in(c, 0xFE00, 0xFE0F) || in(c, 0xE0100, 0xE01EF) || in(c, 0x180B, 0x180D) || c == 0x180F;
}
bool spec_tag(char32_t c) { return in(c, 0xE0020, 0xE007F); }

text_fault::kind_t spec_kind(char32_t c) {
  if (spec_control(c)) return text_fault::control;
  if (spec_bidi(c)) return text_fault::bidi;
  return text_fault::invisible;
}

/// Whether `bytes` is well-formed UTF-8, the naive way: decode by the lead
/// byte's length, then refuse overlong forms, surrogates and > U+10FFFF.
bool spec_well_formed(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    auto b = static_cast<uint8_t>(bytes[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > bytes.size()) return false;
    uint32_t c = len == 1 ? b : b & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      auto cb = static_cast<uint8_t>(bytes[i + k]);
      if ((cb & 0xC0) != 0x80) return false;
      c = (c << 6) | (cb & 0x3F);
    }
    static const uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_of[len] || in(c, 0xD800, 0xDFFF) || c > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

bool is_utf8_fault(const std::string& s) {
  auto f = find_text_fault(s);
  return f && f->kind == text_fault::invalid_utf8;
}

} // namespace

TEST_CASE("every code point alone, between letters and between spaces follows the text rules", "[text]") {
  size_t checked = 0;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (in(c, 0xD800, 0xDFFF)) continue;  // not encodable
    const std::string ch = utf8(c);
    const bool never = spec_control(c) || spec_bidi(c) || spec_invisible(c);
    const bool contextual = spec_joiner(c) || spec_selector(c) || spec_tag(c);

    auto alone = find_text_fault(ch);
    auto between_letters = find_text_fault("a" + ch + "b");
    auto between_spaces = find_text_fault("a " + ch + " b");
    if (never || contextual) {
      if (!alone || alone->code_point != c || alone->kind != spec_kind(c) || alone->offset != 0) {
        FAIL_CHECK("U+" << std::hex << unsigned(c) << " alone should be refused as " << spec_kind(c));
      }
    } else if (alone) {
      FAIL_CHECK("U+" << std::hex << unsigned(c) << " alone should pass");
    }
    // Between two letters: joiners, marks and selectors are fine, tags and the rest are not.
    if (never || spec_tag(c)) {
      if (!between_letters || between_letters->code_point != c || between_letters->offset != 1)
        FAIL_CHECK("U+" << std::hex << unsigned(c) << " between letters should be refused");
    } else if (between_letters) {
      FAIL_CHECK("U+" << std::hex << unsigned(c) << " between letters should pass");
    }
    // Beside a space only the characters that show something of their own pass.
    if (never || contextual) {
      if (!between_spaces || between_spaces->code_point != c)
        FAIL_CHECK("U+" << std::hex << unsigned(c) << " between spaces should be refused");
    } else if (between_spaces) {
      FAIL_CHECK("U+" << std::hex << unsigned(c) << " between spaces should pass");
    }
    ++checked;
  }
  CHECK(checked == 0x110000 - 0x800);
}

TEST_CASE("every UTF-8 sequence of up to three bytes is judged as the standard says", "[text]") {
  size_t valid = 0;
  for (uint32_t n = 0; n < (1u << 24); ++n) {
    for (size_t len : {size_t{1}, size_t{2}, size_t{3}}) {
      if (len < 3 && (n >> (8 * len)) != 0) continue;  // each shorter sequence once
      std::string s;
      for (size_t k = len; k-- > 0;) s += static_cast<char>((n >> (8 * k)) & 0xFF);
      const bool expect = spec_well_formed(s);
      if (is_utf8_fault(s) == expect) FAIL_CHECK("bytes " << std::hex << n << " (" << len << ")");
      valid += expect;
    }
  }
  // 128 one-byte, 128*128 + 1920 two-byte, ... : check one count to know the loop ran.
  CHECK(valid > 60000);
}

TEST_CASE("four-byte UTF-8: every lead and second byte with boundary continuations", "[text]") {
  size_t checked = 0;
  for (unsigned b0 = 0xF0; b0 <= 0xFF; ++b0)
    for (unsigned b1 = 0; b1 <= 0xFF; ++b1)
      for (unsigned b2 : {0x00u, 0x7Fu, 0x80u, 0xBFu, 0xC0u})
        for (unsigned b3 : {0x7Fu, 0x80u, 0x9Fu, 0xBFu, 0xC0u}) {
          std::string s{static_cast<char>(b0), static_cast<char>(b1), static_cast<char>(b2), static_cast<char>(b3)};
          ++checked;
          if (is_utf8_fault(s) == spec_well_formed(s))
            FAIL_CHECK(std::hex << b0 << " " << b1 << " " << b2 << " " << b3);
        }
  // Every code point's encoding cut short is ill-formed.
  for (char32_t c = 0x80; c <= 0x10FFFF; c += (c < 0x10000 ? 1 : 0x3F)) {
    if (in(c, 0xD800, 0xDFFF)) continue;
    std::string s = utf8(c);
    s.pop_back();
    if (!is_utf8_fault("x" + s)) FAIL_CHECK("truncated U+" << std::hex << unsigned(c));
  }
  // The loops ran (a test that checks nothing must not pass): 16 leads x 256 x 5 x 5.
  CHECK(checked == 16u * 256u * 25u);
}

TEST_CASE("joiners and marks only between visible characters, selectors right after one", "[text]") {
  const std::string zwj = utf8(0x200D), zwnj = utf8(0x200C), rlm = utf8(0x200F), vs16 = utf8(0xFE0F);
  // Accepted: emoji ZWJ sequences (with selectors and skin tones), Persian ZWNJ, keycaps, a flag.
  for (const std::string& ok : std::vector<std::string>{
           utf8(0x1F468) + zwj + utf8(0x1F469) + zwj + utf8(0x1F467),  // family
           utf8(0x2764) + vs16 + zwj + utf8(0x1F525),                   // heart on fire
           utf8(0x1F3F3) + vs16 + zwj + utf8(0x1F308),                  // rainbow flag
           utf8(0x1F469) + utf8(0x1F3FD) + zwj + utf8(0x1F4BB),         // woman technologist, medium skin
           "\xD9\x85\xDB\x8C" + zwnj + "\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85",  // Persian mi-khaham
           "1" + vs16 + utf8(0x20E3),                                   // keycap 1
           utf8(0x1F3F4) + utf8(0xE0067) + utf8(0xE0062) + utf8(0xE0073) + utf8(0xE0063) + utf8(0xE0074) +
               utf8(0xE007F),  // flag of Scotland
           "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D" + rlm + "x",             // Hebrew, a mark, Latin
           "Jos\xC3\xA9 Z\xC3\xA9 \xE6\x9D\x8E\xE5\xB0\x8F\xE9\xBE\x8D", "e\xCC\x81", "",
       }) {
    INFO(ok);
    CHECK_FALSE(find_text_fault(ok));
  }
  for (const std::string& bad : std::vector<std::string>{
           zwj + "a", "a" + zwj, "a " + zwj + "b", "a" + zwj + " b", "a" + zwj + zwj + "b", "a" + zwj + vs16,
           vs16 + "a", "a" + vs16 + vs16, " " + vs16, rlm + "rules", "rules" + rlm,
           utf8(0xE0067) + "a",                                       // a tag without its flag
           utf8(0x1F3F4) + utf8(0xE007F),                             // a flag with a cancel tag only
           utf8(0x1F3F4) + utf8(0xE0067),                             // a tag run that never ends
           utf8(0x1F3F4) + utf8(0xE0067) + "a" + utf8(0xE007F),       // interrupted
           "a" + utf8(0xE0061) + utf8(0xE0062),                      // ASCII smuggled in tags
       }) {
    INFO(bad);
    auto f = find_text_fault(bad);
    REQUIRE(f);
    CHECK(f->kind == text_fault::invisible);
  }
}

TEST_CASE("text_field_error names the fault, the character and where it is", "[text]") {
  CHECK(text_field_error("Ana", 200).empty());
  CHECK(text_field_error("a\x07", 200) == "must not contain control characters (U+0007 at byte 1)");
  CHECK(text_field_error("ab" + utf8(0x202E), 200).find("bidirectional override or isolate characters (U+202E at byte 2)") !=
        std::string::npos);
  CHECK(text_field_error("a" + utf8(0x200B) + "b", 200).find("invisible characters") != std::string::npos);
  CHECK(text_field_error("a\xC3", 200).find("UTF-8") != std::string::npos);
  CHECK(text_field_error(utf8(0x85), 200).find("U+0085") != std::string::npos);  // C1 NEL
  CHECK(text_field_error(std::string(3, 'a'), 2) == "must be at most 2 characters");
  CHECK(text_field_error("\xC3\xA9\xC3\xA9", 2).empty());  // characters, not bytes
}

TEST_CASE("decided_by look-alikes of \"rules\" are recognised; other names are not", "[text]") {
  const std::string cyr_e = utf8(0x0435), cyr_s = utf8(0x0455), zwsp = utf8(0x200B), nbsp = utf8(0xA0);
  for (const std::string& fake : std::vector<std::string>{
           "rules"s, "Rules"s, "RULES"s, "rUlEs"s, " rules"s, "rules "s, "\trules"s, "r u l e s"s,
           nbsp + "rules", "rules" + utf8(0x3000), "ru" + zwsp + "les", "ru" + utf8(0x200D) + "les",
           utf8(0xFEFF) + "rules", "ru" + utf8(0xAD) + "les", utf8(0x202E) + "selur",
           "rul" + cyr_e + "s", "rule" + cyr_s, utf8(0x0433) + "ules",                       // Cyrillic
           "ru" + utf8(0x0399) + "es", "RU" + utf8(0x0406) + "ES", "ruIes", "ru1es", "ru|es",  // l look-alikes
           "RUL" + utf8(0x0395) + "S",                                                      // Greek Epsilon
           utf8(0xFF52) + utf8(0xFF55) + utf8(0xFF4C) + utf8(0xFF45) + utf8(0xFF53),        // fullwidth
           utf8(0xFF32) + utf8(0xFF35) + utf8(0xFF2C) + utf8(0xFF25) + utf8(0xFF33),
           utf8(0x1D42B) + utf8(0x1D42E) + utf8(0x1D425) + utf8(0x1D41E) + utf8(0x1D42C),   // math bold
           utf8(0x0280) + utf8(0x1D1C) + utf8(0x029F) + utf8(0x1D07) + utf8(0xA731),        // small capitals
           "r" + utf8(0x0301) + "ules",                                                    // a combining mark
       }) {
    INFO(fake);
    CHECK(imitates_rules(fake));
  }
  for (const std::string& real : std::vector<std::string>{
           "maria"s, "rule"s, "rulers"s, "rules2"s, "the rules"s, "rules-bot"s, "r.ules"s, "ru les engine"s,
           "rul\xC3\xA9s"s /* precomposed e-acute: visibly different */, ""s, "Maria (overrode the rules)"s,
       }) {
    INFO(real);
    CHECK_FALSE(imitates_rules(real));
  }
}

TEST_CASE("a qualified override whose decided_by imitates the rules is refused with 422", "[text][json]") {
  auto item = [](const std::string& decided_by_json) {
    return parse_event_item(
        R"({"event_id":"q-1","lead_id":"u-1","type":"qualified","occurred_at":"2026-11-28T12:00:00.000Z",)"
        R"("data":{"outcome":"qualified","decided_by":)" +
        decided_by_json + "}}");
  };
  REQUIRE(item(R"("maria")").ok());
  for (const char* fake : {R"("Rules")", R"(" rules")", R"("RULES ")", R"("ru\u200bles")", R"("ru\u200dles")",
                           R"("rul\u0435s")", R"("\u202eselur")", R"("\uff52\uff55\uff4c\uff45\uff53")",
                           R"("r\u0301ules")", R"("ru\u2060les")"}) {
    INFO(fake);
    auto r = item(fake);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    REQUIRE(r.err().errors.size() == 1);
    CHECK(r.err().errors[0].field == "data.decided_by");
  }
}

TEST_CASE("free-text fields refuse controls, bidi overrides and misleading invisible characters", "[text][json]") {
  const std::string base =
      R"({"event_id":"sg-1","lead_id":"u-1","occurred_at":"2026-11-28T12:00:00.000Z","email":"a@b.c",)";
  auto signup = [&](const std::string& field, const std::string& value_json) {
    std::string body = base;
    if (field == "name") return parse_signup(body + R"("name":)" + value_json + "}");
    if (field.rfind("source.", 0) == 0)
      return parse_signup(body + R"("name":"A","source":{")" + field.substr(7) + R"(":)" + value_json + "}}");
    return parse_signup(body + R"("name":"A",")" + field + R"(":)" + value_json + "}");
  };
  REQUIRE(signup("name", R"("Ana Souza")").ok());
  for (const char* field : {"name", "phone", "country", "locale", "document", "source.utm_source",
                            "source.utm_campaign", "source.utm_content"}) {
    for (const char* bad : {R"("a\u0085b")", R"("a\u009bb")", R"("a\u202eb")", R"("a\u2066b")", R"("a\u200bb")",
                            R"("a\u2028b")", R"("\u200da")", R"("a\ufeff")", R"("a\u0007")"}) {
      INFO(field << " = " << bad);
      auto r = signup(field, bad);
      REQUIRE_FALSE(r.ok());
      CHECK(r.err().code == errc::validation);
      REQUIRE(r.err().errors.size() == 1);
      CHECK(r.err().errors[0].field == field);
    }
  }
  // The erase reason too.
  auto e = parse_erase(R"({"reason":"LGPD \u202Erequest"})");
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().errors.at(0).field == "reason");
  CHECK(parse_erase(R"({"reason":"LGPD art. 18 \u2014 pedido n\u00ba 42"})").ok());
}
