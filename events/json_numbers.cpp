#include "events/json_numbers.hpp"

namespace leadbase {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::string_view zero_exponents_of_zero_numbers(std::string_view text, std::string& storage) {
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
    // A number: sign, digits and '.', then maybe an exponent.
    std::size_t j = i + (c == '-' ? 1 : 0);
    bool nonzero = false;
    for (; j < n && (is_digit(text[j]) || text[j] == '.'); ++j)
      if (text[j] != '0' && text[j] != '.') nonzero = true;
    if (j < n && (text[j] == 'e' || text[j] == 'E')) {
      ++j;
      if (j < n && (text[j] == '+' || text[j] == '-')) ++j;
      for (; j < n && is_digit(text[j]); ++j) {
        if (nonzero || text[j] == '0') continue;
        if (!copied) {
          storage.assign(text.data(), text.size());
          copied = true;
        }
        storage[j] = '0';
      }
    }
    i = j - 1;  // the loop's ++i moves to the character after the number
  }
  return copied ? std::string_view(storage) : text;
}

} // namespace leadbase
