#include "events/json_numbers.hpp"

namespace leadbase {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_number_char(char c) { return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; }

/// The end of a zero written as a JSON double that starts at `at` ("0.000",
/// "-0e308", "0.0E-5": integer part "0", only zeros after the point, any
/// exponent), or `at` when the number there is anything else. Whatever follows
/// the number does not matter: rapidjson reads (and misreads) the number before
/// it finds that the document goes on wrongly.
std::size_t zero_double_end(std::string_view text, std::size_t at) {
  const std::size_t n = text.size();
  std::size_t k = at;
  if (k < n && text[k] == '-') ++k;
  if (k >= n || text[k] != '0') return at;
  ++k;
  if (k < n && is_digit(text[k])) return at;  // "00": not a number
  bool is_double = false;
  if (k < n && text[k] == '.') {
    const std::size_t first = ++k;
    while (k < n && text[k] == '0') ++k;
    if (k == first) return at;                  // "0.": not a number
    if (k < n && is_digit(text[k])) return at;  // "0.01": not zero
    is_double = true;
  }
  if (k < n && (text[k] == 'e' || text[k] == 'E')) {
    ++k;
    if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
    const std::size_t first = k;
    while (k < n && is_digit(text[k])) ++k;
    if (k == first) return at;  // "0e": refused before any value is computed
    is_double = true;
  }
  return is_double ? k : at;
}

/// Where the number at `at` ends and whether it is beyond the range of a double
/// (10^309 or more) because of its integer digits: rapidjson 1.1.0 checks only
/// the exponent ("1e400" is refused) and reads "5333…(84 digits)e308" past the
/// end of its table of cached powers (found by fuzz/json_fuzz.cpp).
bool too_big(std::string_view text, std::size_t at, std::size_t& end) {
  const std::size_t n = text.size();
  std::size_t k = at;
  if (k < n && text[k] == '-') ++k;
  while (k < n && text[k] == '0') ++k;
  long digits = 0;
  for (; k < n && is_digit(text[k]); ++k) ++digits;
  if (k < n && text[k] == '.')
    for (++k; k < n && is_digit(text[k]); ++k) {
    }
  long exponent = 0;
  if (k < n && (text[k] == 'e' || text[k] == 'E')) {
    ++k;
    bool negative = false;
    if (k < n && (text[k] == '+' || text[k] == '-')) negative = text[k++] == '-';
    for (; k < n && is_digit(text[k]); ++k)
      if (exponent < 100000) exponent = exponent * 10 + (text[k] - '0');
    if (negative) exponent = -exponent;
  }
  end = k;
  return digits > 0 && digits + exponent > 309;
}

}  // namespace

std::string_view rewrite_zero_doubles(std::string_view text, std::string& storage) {
  bool copied = false;
  const std::size_t n = text.size();
  bool in_string = false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, whatever it is
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !is_digit(c)) continue;
    std::size_t big_end = i;
    if (too_big(text, i, big_end) && big_end - i >= 5) {
      // Written so that rapidjson refuses it as "Number too big" (1e999…), as it
      // does when the exponent alone is too large.
      if (!copied) {
        storage.assign(text.data(), text.size());
        copied = true;
      }
      std::size_t k = i;
      if (c == '-') ++k;
      storage[k++] = '1';
      storage[k++] = 'e';
      for (; k < big_end; ++k) storage[k] = '9';
      i = big_end - 1;
      continue;
    }
    const std::size_t end = zero_double_end(text, i);
    if (end == i) {
      while (i + 1 < n && is_number_char(text[i + 1])) ++i;  // the rest of this number token
      continue;
    }
    // A number directly followed by what could continue it ("0e0e0308") makes the
    // document invalid anyway; there "0.0" could join what follows into a new
    // zero double ("0.0e0308"), so it becomes "0" and spaces instead.
    const bool joined = end < n && is_number_char(text[end]);
    const std::string_view canonical = joined ? (c == '-' ? "-0" : "0") : (c == '-' ? "-0.0" : "0.0");
    if (text.substr(i, end - i) != canonical) {
      if (!copied) {
        storage.assign(text.data(), text.size());
        copied = true;
      }
      storage.replace(i, canonical.size(), canonical);
      for (std::size_t k = i + canonical.size(); k < end; ++k) storage[k] = ' ';
    }
    i = end - 1;
  }
  return copied ? std::string_view(storage) : text;
}

} // namespace leadbase
