// events/text.hpp: the free-text check and the "rules" look-alike test.
#include "events/text.hpp"

#include <cstdint>
#include <cstdio>

namespace leadbase {
namespace {

/// Decodes one code point at `i` (advancing it); false on any ill-formed
/// sequence (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF).
bool decode(std::string_view s, size_t& i, char32_t& cp) noexcept {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  }
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return false;
  }
  if (s.size() - i < len) return false;
  for (size_t k = 1; k < len; ++k) {
    uint8_t b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return true;
}

bool is_control(char32_t c) noexcept {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

bool is_bidi_control(char32_t c) noexcept { return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); }

bool is_whitespace(char32_t c) noexcept {
  return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

/// Never allowed: shows nothing and no name needs it.
bool is_always_invisible(char32_t c) noexcept {
  return c == 0xAD || c == 0x34F || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 || c == 0x180E ||
         c == 0x200B || (c >= 0x2060 && c <= 0x2064) || (c >= 0x206A && c <= 0x206F) || c == 0x3164 ||
         c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0x1BCA0 && c <= 0x1BCA3) ||
         (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0001 && c <= 0xE001F) || (c >= 0xFDD0 && c <= 0xFDEF) ||
         (c & 0xFFFE) == 0xFFFE;
}

/// Allowed only between two visible characters.
bool is_joiner_or_mark(char32_t c) noexcept { return (c >= 0x200C && c <= 0x200F) || c == 0x061C; }

bool is_variation_selector(char32_t c) noexcept {
  return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF) || (c >= 0x180B && c <= 0x180D) ||
         c == 0x180F;
}

bool is_tag(char32_t c) noexcept { return c >= 0xE0020 && c <= 0xE007F; }
constexpr char32_t black_flag = 0x1F3F4, cancel_tag = 0xE007F;

bool is_visible(char32_t c) noexcept {
  return !is_control(c) && !is_bidi_control(c) && !is_whitespace(c) && !is_always_invisible(c) &&
         !is_joiner_or_mark(c) && !is_variation_selector(c) && !is_tag(c);
}

bool is_combining_mark(char32_t c) noexcept {
  return (c >= 0x300 && c <= 0x36F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
}

std::string hex_code_point(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

} // namespace

std::optional<text_fault> find_text_fault(std::string_view s) noexcept {
  // Well-formed first, all of it: an ill-formed string is that, whatever else.
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    char32_t c = 0;
    if (!decode(s, i, c)) return text_fault{text_fault::invalid_utf8, 0, at};
  }
  char32_t prev = 0;               // the previous code point (0: none yet)
  bool after_visible = false;      // prev is visible, or a variation selector of a visible one
  bool in_tag_run = false;         // inside an emoji tag sequence, after its flag
  size_t pending_join = SIZE_MAX;  // offset of a joiner/mark that still needs a visible successor
  char32_t pending_cp = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    char32_t c = 0;
    decode(s, i, c);
    if (is_control(c)) return text_fault{text_fault::control, c, at};
    if (is_bidi_control(c)) return text_fault{text_fault::bidi, c, at};
    if (is_always_invisible(c)) return text_fault{text_fault::invisible, c, at};

    if (is_tag(c)) {
      // U+1F3F4 then tags (at least one) then U+E007F.
      bool ok = c == cancel_tag ? in_tag_run && is_tag(prev) : (in_tag_run || prev == black_flag);
      if (!ok) return text_fault{text_fault::invisible, c, at};
      in_tag_run = c != cancel_tag;
      prev = c;
      after_visible = false;
      continue;
    }
    if (in_tag_run) return text_fault{text_fault::invisible, prev, at};  // a tag run must end with U+E007F
    if (pending_join != SIZE_MAX && !is_visible(c)) return text_fault{text_fault::invisible, pending_cp, pending_join};
    pending_join = SIZE_MAX;

    if (is_joiner_or_mark(c)) {
      // "❤️‍🔥" is U+2764 U+FE0F U+200D U+1F525: a selector may come between.
      if (!after_visible) return text_fault{text_fault::invisible, c, at};
      pending_join = at;
      pending_cp = c;
      after_visible = false;
    } else if (is_variation_selector(c)) {
      // One, right after the visible character it selects a form of.
      if (prev == 0 || !is_visible(prev)) return text_fault{text_fault::invisible, c, at};
      after_visible = true;
    } else {
      after_visible = is_visible(c);
    }
    prev = c;
  }
  if (in_tag_run) return text_fault{text_fault::invisible, prev, s.size()};
  if (pending_join != SIZE_MAX) return text_fault{text_fault::invisible, pending_cp, pending_join};
  return std::nullopt;
}

std::string describe(const text_fault& f) {
  const std::string where = " at byte " + std::to_string(f.offset);
  switch (f.kind) {
    case text_fault::invalid_utf8: return "must be valid UTF-8 (an ill-formed sequence" + where + ")";
    case text_fault::control:
      return "must not contain control characters (" + hex_code_point(f.code_point) + where + ")";
    case text_fault::bidi:
      return "must not contain bidirectional override or isolate characters (" + hex_code_point(f.code_point) +
             where + ")";
    case text_fault::invisible: break;
  }
  return "must not contain invisible characters where they could mislead (" + hex_code_point(f.code_point) + where +
         "; zero-width joiners and direction marks only between two visible characters)";
}

size_t code_point_count(std::string_view utf8) noexcept {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool has_visible(std::string_view s) noexcept {
  for (size_t i = 0; i < s.size();) {
    char32_t c = 0;
    if (!decode(s, i, c)) return false;
    if (is_visible(c)) return true;
  }
  return false;
}

std::string text_field_error(std::string_view s, size_t max_chars) {
  if (auto f = find_text_fault(s)) return describe(*f);
  if (code_point_count(s) > max_chars) return "must be at most " + std::to_string(max_chars) + " characters";
  return {};
}

std::string person_name_error(std::string_view name, size_t max_chars) {
  if (std::string why = text_field_error(name, max_chars); !why.empty()) return why;
  if (!has_visible(name)) return "must not be blank";
  // GET /v1/leads?owner= reads them as the caller and as unassigned.
  if (name == "me" || name == "none") return "must not be \"me\" or \"none\" (the queue's owner filter reserves them)";
  return {};
}

namespace {

/// The Latin letter (lower case) `c` is drawn like, for the letters of
/// "rules"; 0 for anything else. From Unicode's confusables.txt, the part
/// that matters here.
char rules_letter(char32_t c) noexcept {
  if (c == 'I' || c == '1' || c == '|') return 'l';  // capital I, one and the bar are drawn as l
  if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
  if (c >= 0xFF21 && c <= 0xFF3A) c = c - 0xFF21 + 'a';  // fullwidth
  if (c >= 0xFF41 && c <= 0xFF5A) c = c - 0xFF41 + 'a';
  if (c >= 0x1D400 && c <= 0x1D6A3) {  // mathematical alphanumerics: 52 letters a style
    unsigned k = (c - 0x1D400) % 52;
    c = 'a' + (k < 26 ? k : k - 26);
  }
  switch (c) {
    case 'r': case 'u': case 'l': case 'e': case 's': return static_cast<char>(c);
    // r
    case 0x0433: case 0x1D26: case 0x2C85: case 0xAB47: case 0xAB48: case 0x1D63: case 0x02B3: case 0x0280:
    case 0x13A1: case 0x13D2: case 0x1587: case 0xA4E3: case 0x211B: case 0x211C: case 0x211D: case 0x01A6:
      return 'r';
    // u
    case 0x028B: case 0x03C5: case 0x057D: case 0x1D1C: case 0xA79F: case 0xAB4E: case 0xAB52: case 0x222A:
    case 0x22C3: case 0x054D: case 0x1200: case 0x144C: case 0xA4F4: case 0x1D58: case 0x1D64:
      return 'u';
    // l
    case 0x01C0: case 0x05C0: case 0x05D5: case 0x05DF: case 0x0627: case 0x0661: case 0x06F1: case 0x07CA:
    case 0x2110: case 0x2111: case 0x2112: case 0x2113: case 0x2160: case 0x216C: case 0x217C: case 0x2223:
    case 0x2C92: case 0x2D4F: case 0xA4E1: case 0xA4F2: case 0x0399: case 0x0406: case 0x04C0: case 0x04CF:
    case 0x029F: case 0x13DE: case 0x14AA: case 0x0196: case 0xFFE8: case 0x02E1: case 0x2097:
      return 'l';
    // e
    case 0x0435: case 0x04BD: case 0x212E: case 0x212F: case 0x2147: case 0xAB32: case 0x1D07: case 0x0415:
    case 0x0395: case 0x13AC: case 0x2130: case 0x22FF: case 0x2D39: case 0xA4F0: case 0x1D49: case 0x2091:
      return 'e';
    // s
    case 0x0455: case 0x01BD: case 0xA731: case 0xABAA: case 0x0405: case 0x13DA: case 0x054F: case 0x13D5:
    case 0xA4E2: case 0x02E2: case 0x209B:
      return 's';
    default: return 0;
  }
}

} // namespace

bool imitates_rules(std::string_view name) {
  std::string letters;  // what a reader sees, as far as it can spell "rules"
  bool reordered = false;  // a bidi control or mark may show "selur" as "rules"
  for (size_t i = 0; i < name.size();) {
    char32_t c = 0;
    if (!decode(name, i, c)) return false;  // refused as invalid UTF-8 anyway
    reordered = reordered || is_bidi_control(c) || (c >= 0x200E && c <= 0x200F) || c == 0x061C;
    if (!is_visible(c) || is_combining_mark(c)) continue;  // shows nothing of its own
    char letter = rules_letter(c);
    if (letter == 0 || letters.size() == 5) return false;
    letters += letter;
  }
  return letters == "rules" || (reordered && letters == "selur");
}

} // namespace leadbase
