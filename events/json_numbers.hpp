#pragma once
// A work-around for rapidjson 1.1.0 (Debian 12), used by events/json_parse.cpp
// before every parse.
//
// With kParseFullPrecisionFlag, rapidjson reads a double whose digits are all
// zeros and whose decimal exponent leaves its fast path (0e308, -0.0e308,
// 0.00000000000000000000000 with 23 zeros) through DiyFp::Normalize(0):
// __builtin_clzll(0), undefined behaviour that in the release build gives a
// wrong value, even a negative one (0e308 read as -6.06e-269, 23 zeros after
// the point as -1.75e-192). Found by fuzz/json_fuzz.cpp; fixed upstream after
// 1.1.0 ("buffer only contains zeros").
//
// Such a number is exactly (+ or -) zero, so it can be written "0.0" or "-0.0"
// followed by spaces: same value, same type (a double), same length, so the
// document's validity and every error offset stay as they were.
#include <string>
#include <string_view>

namespace leadbase {

/// `text`, or, when it holds a zero written as a JSON double other than "0.0"
/// or "-0.0" outside strings, a copy in `storage` with each such number written
/// as "0.0"/"-0.0" padded with spaces (as "0"/"-0" when a character that could
/// continue a number follows it: the document is invalid then, and "0.0" could
/// join that character). A number whose integer digits put it at 10^309 or
/// beyond ("5333…(84 digits)e308"), which rapidjson 1.1.0 reads past the end of
/// its table of cached powers, is written "1e999…" so that rapidjson refuses it
/// as "Number too big", as it does when the exponent alone is too large.
/// Linear; no copy in the usual case.
std::string_view rewrite_zero_doubles(std::string_view text, std::string& storage);

} // namespace leadbase
