#pragma once
// A work-around for rapidjson 1.1.0 (Debian 12), used by events/json_parse.cpp
// before every parse.
//
// With kParseFullPrecisionFlag, rapidjson reads a number whose digits are all
// zeros and whose exponent leaves its fast path (0e308, -0.0e308, 0.000e-30)
// through DiyFp::Normalize(0): __builtin_clzll(0), undefined behaviour that in
// the release build gives a wrong value, even a negative one (0e308 reads as
// -6.06e-269, "0.0000000000000000000000e308" as 2.27e-13). Found by
// fuzz/json_fuzz.cpp; fixed upstream after 1.1.0 ("buffer only contains zeros").
//
// Such a number is exactly zero whatever its exponent, so its exponent digits
// can be written as '0' without changing its value, the document's validity or
// any error offset (same length).
#include <string>
#include <string_view>

namespace leadbase {

/// `text`, or, when it holds a JSON number with an all-zero significand and an
/// exponent other than 0, a copy in `storage` with those exponent digits set to
/// '0'. String contents are left alone. Linear, no allocation in the usual case.
std::string_view zero_exponents_of_zero_numbers(std::string_view text, std::string& storage);

} // namespace leadbase
