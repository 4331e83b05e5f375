#pragma once
// JSON documents read by rapidjson 1.1.0 (Debian 12), with every number
// converted by std::from_chars instead of by rapidjson. Used by
// events/json_parse.cpp for every body and event item.
//
// Why: rapidjson 1.1.0's full-precision number reader (kParseFullPrecisionFlag,
// needed so that ratios read back exactly as written) has three faults, all
// found by fuzz/json_fuzz.cpp:
// - a double whose digits are all zeros and whose exponent leaves its fast
//   path (0e308, 0.000… with 23 zeros) goes through DiyFp::Normalize(0), i.e.
//   __builtin_clzll(0): in the release build 0e308 read as -6.06e-269;
// - a significand starting with 18446744073709551615 (2^64 - 1) followed by a
//   digit of 5 or more (0.000184467440737095516155) overflows while rounding
//   and takes the same path (read as -7.46e-155);
// - a number too big by its digits alone ("5333…(84 digits)e308") reads past
//   the end of its table of cached powers and is accepted.
// Patching the text around these (an earlier fix rewrote zero doubles) left
// the second one open; reading the digits ourselves closes the whole class.
//
// So the reader hands each number over as its text (kParseNumbersAsStringsFlag)
// and this converts it: an integer that fits 64 bits exactly, as rapidjson
// would (IsInt/IsUint/IsInt64/IsUint64 answer the same), anything else
// correctly rounded by std::from_chars. Beyond the range of a double the
// document is refused with kParseErrorNumberTooBig ("Number too big to be
// stored in double"), as rapidjson refuses 1e400; below the smallest subnormal
// the number reads as a signed zero.
#include <rapidjson/document.h>

#include <string_view>

namespace leadbase {

/// Parses `text` into `doc` (UTF-8 validated, iterative: deep nesting cannot
/// overflow the stack). On an error `doc` is left null and the result carries
/// rapidjson's error code and byte offset.
rapidjson::ParseResult parse_json_document(rapidjson::Document& doc, std::string_view text);

} // namespace leadbase
