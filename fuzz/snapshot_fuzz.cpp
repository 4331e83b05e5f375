// Fuzz target: the snapshot decoder (events/snapshot.cpp). A lead rehydrates
// from the snapshot bytes it finds in the log; damaged bytes must come back as
// an error, never as a crash. What decodes must be a fixed point of
// encode/decode (no half-understood state).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/snapshot.hpp"
#include "fuzz/fuzz_check.hpp"

using namespace leadbase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dec = decode_snapshot(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!dec) {
    FUZZ_CHECK(dec.err().code != errc::success, "a failed decode with errc::success");
    return 0;
  }
  std::string once = encode_snapshot(*dec);
  auto again = decode_snapshot(once);
  FUZZ_CHECK(again.ok(), "a re-encoded snapshot does not decode");
  FUZZ_CHECK(encode_snapshot(*again) == once, "snapshot decode/encode is not a fixed point");
  return 0;
}
