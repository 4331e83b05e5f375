#pragma once
// Free text from clients (names, decided_by, reasons, UTM fields, the erase
// reason, ...): the one check every such field passes before it is stored, so
// what an operator or an auditor reads is what was sent.
//
// Refused (text_fault), whatever the field:
//   invalid_utf8  not well-formed UTF-8 (overlong forms, surrogates, > U+10FFFF)
//   control       C0 (U+0000-U+001F), DEL, C1 (U+0080-U+009F), and the line and
//                 paragraph separators U+2028/U+2029: nothing here is multi-line
//   bidi          the bidirectional embeddings, overrides and isolates
//                 U+202A-U+202E, U+2066-U+2069 ("Trojan Source"): they reorder
//                 what is shown, so "evil" can read as "live"
//   invisible     characters that show nothing and carry nothing a name needs:
//                 zero-width space U+200B, word joiner and invisible operators
//                 U+2060-U+2064, U+FEFF, soft hyphen U+00AD, U+034F, U+180E,
//                 Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), Khmer
//                 U+17B4/U+17B5, deprecated format characters U+206A-U+206F,
//                 interlinear annotation U+FFF9-U+FFFB, shorthand format
//                 controls U+1BCA0-U+1BCA3, musical format U+1D173-U+1D17A,
//                 language tag U+E0001 and unassigned tags U+E0002-U+E001F,
//                 noncharacters (U+FDD0-U+FDEF, U+xxFFFE/U+xxFFFF); and,
//                 where they would mislead:
//                 - ZWNJ/ZWJ (U+200C/U+200D) and the direction marks LRM, RLM,
//                   ALM (U+200E/U+200F/U+061C): allowed only between two
//                   visible characters (Persian and Indic spelling, emoji
//                   sequences), never at an edge or beside a space;
//                 - variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF,
//                   Mongolian U+180B-U+180D, U+180F): one, right after a
//                   visible character (emoji and ideographic variants);
//                 - tag characters U+E0020-U+E007F: only in an emoji tag
//                   sequence (U+1F3F4, tags, U+E007F: subdivision flags).
// "Visible" = none of the above and no whitespace. Everything else passes
// (letters of every script, marks, emoji, symbols, private use).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace leadbase {

struct text_fault {
  enum kind_t { invalid_utf8, control, bidi, invisible } kind = invalid_utf8;
  char32_t code_point = 0;  // the offending character (invalid_utf8: 0)
  size_t offset = 0;        // its byte offset
};

/// The first fault of `s` (rules above), or nullopt when it may be stored.
std::optional<text_fault> find_text_fault(std::string_view s) noexcept;

/// "must not contain control characters (U+0007 at byte 3)" and the like:
/// the message of a field error.
std::string describe(const text_fault& f);

/// Characters in a well-formed UTF-8 string (what the field limits count).
size_t code_point_count(std::string_view utf8) noexcept;

/// Whether well-formed `s` shows anything: at least one character that is no
/// whitespace (U+0020, U+00A0, U+2000-U+200A, U+3000, ...), no control and no
/// invisible or format character (the rules above). "", " ", "\u00A0\u3000": false.
bool has_visible(std::string_view s) noexcept;

/// The field error for free text of at most `max_chars` characters, or "" when
/// it is fine (length first, then find_text_fault).
std::string text_field_error(std::string_view s, size_t max_chars);

/// The field error for a person's name (a token's `name`, an assignment's
/// `owner`: what a lead's `work.owner` holds), or "" when it is fine: free
/// text of at most `max_chars` characters, not blank, and neither of the
/// owner filter's reserved words `me` and `none`.
std::string person_name_error(std::string_view name, size_t max_chars);

/// Whether `name` reads as the rules engine's own decider "rules" (events/
/// qualification.cpp writes decided_by = "rules"): compared after dropping
/// whitespace, format and invisible characters and combining marks, ignoring
/// case, with look-alike letters of other scripts and styles (Cyrillic е/ѕ,
/// Greek Ε, fullwidth, mathematical, small capitals, I/1/| for l) read as the
/// Latin letter they imitate. " Rules", "RULES", "ru\u200Bles" and "rulеs"
/// (Cyrillic е) all do; "rulers" and "Rulé" do not.
bool imitates_rules(std::string_view name);

} // namespace leadbase
