// Fuzz target: the stored event decoder (events/codec.cpp): FlatBuffers
// verification, then decoding of the envelope, the payload union and the
// sealed personal fields. The log hands it whatever bytes RocksDB returns, so
// a damaged record must come back as an error, never as a crash.
//
// Whatever decodes must be a fixed point of encode/decode: encoding the
// decoded event and decoding that again gives the same bytes (nothing a reader
// accepts is half-understood).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/codec.hpp"
#include "fuzz/fuzz_check.hpp"

using namespace leadbase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (auto dec = decode_event(bytes)) {
    std::string once = encode_event(dec->ev, dec->sealed);
    auto again = decode_event(once);
    FUZZ_CHECK(again.ok(), "a re-encoded event does not decode");
    FUZZ_CHECK(encode_event(again->ev, again->sealed) == once, "decode/encode is not a fixed point");
    FUZZ_CHECK(canonical_bytes(again->ev) == canonical_bytes(dec->ev), "re-encoding changed the event");
  }

  if (auto p = decode_personal(bytes)) {
    std::string once = encode_personal(*p);
    auto again = decode_personal(once);
    FUZZ_CHECK(again.ok(), "re-encoded personal fields do not decode");
    FUZZ_CHECK(encode_personal(*again) == once, "personal decode/encode is not a fixed point");
  }
  return 0;
}
