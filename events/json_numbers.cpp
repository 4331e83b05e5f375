#include "events/json_numbers.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/reader.h>

namespace leadbase {

namespace {

constexpr unsigned reader_flags = rapidjson::kParseValidateEncodingFlag |  // UTF-8 only
                                  rapidjson::kParseIterativeFlag |         // no recursion
                                  rapidjson::kParseNumbersAsStringsFlag;   // numbers are ours to read

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Whether a number that std::from_chars found out of range is too big rather
/// than too small: the decimal position of its first significant digit is
/// above the point. An overflow is at 10^309 or more, an underflow below
/// 10^-323, so the sign alone tells them apart. The token is valid JSON (the
/// reader checked its grammar).
bool overflows(const char* p, const char* end) {
  if (p < end && *p == '-') ++p;
  while (p < end && *p == '0') ++p;
  long integer_digits = 0;
  for (; p < end && is_digit(*p); ++p) ++integer_digits;
  long zeros_after_point = 0;
  if (p < end && *p == '.') {
    ++p;
    if (integer_digits == 0)
      for (; p < end && *p == '0'; ++p) ++zeros_after_point;
    while (p < end && is_digit(*p)) ++p;
  }
  long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    for (; p < end && is_digit(*p); ++p)
      if (exponent < 1000000) exponent = exponent * 10 + (*p - '0');  // large enough to decide, no overflow
    if (negative) exponent = -exponent;
  }
  const long magnitude = integer_digits > 0 ? integer_digits + exponent : exponent - zeros_after_point;
  return magnitude > 0;
}

/// Forwards every SAX event to the document, converting numbers from their
/// text. The reader never calls Int…Double with kParseNumbersAsStringsFlag, but
/// they must exist for its other branch to compile.
class number_reading_handler {
 public:
  explicit number_reading_handler(rapidjson::Document& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_.EndArray(elements); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const char* end = s + n;
    const bool integral = std::none_of(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; });
    if (integral) {
      if (s < end && *s == '-') {
        std::int64_t i = 0;
        if (auto r = std::from_chars(s, end, i); r.ec == std::errc() && r.ptr == end) return doc_.Int64(i);
      } else {
        std::uint64_t u = 0;
        if (auto r = std::from_chars(s, end, u); r.ec == std::errc() && r.ptr == end) return doc_.Uint64(u);
      }
      // Beyond 64 bits: a double, as rapidjson reads it.
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    if (r.ptr != end) return false;  // not reachable: the reader checked the grammar
    if (r.ec == std::errc()) return doc_.Double(d);
    if (r.ec != std::errc::result_out_of_range) return false;
    if (overflows(s, end)) {
      too_big = true;
      return false;
    }
    return doc_.Double(*s == '-' ? -0.0 : 0.0);
  }

  bool too_big = false;

 private:
  rapidjson::Document& doc_;
};

/// The generator Document::Populate runs: the reader over `text` into the
/// document's own value stack.
struct reading {
  std::string_view text;
  rapidjson::ParseResult result;

  bool operator()(rapidjson::Document& doc) {
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
    number_reading_handler handler(doc);
    rapidjson::Reader reader;
    result = reader.Parse<reader_flags>(in, handler);
    if (result.Code() == rapidjson::kParseErrorTermination && handler.too_big)
      result.Set(rapidjson::kParseErrorNumberTooBig, result.Offset());
    return !result.IsError();
  }
};

}  // namespace

rapidjson::ParseResult parse_json_document(rapidjson::Document& doc, std::string_view text) {
  doc.SetNull();
  reading r{text, {}};
  doc.Populate(r);
  if (r.result.IsError()) doc.SetNull();
  return r.result;
}

} // namespace leadbase
