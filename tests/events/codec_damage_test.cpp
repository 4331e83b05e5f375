// Damaged stored events: bytes that pass FlatBuffers verification but are not
// what any writer produces must decode to corrupt_data, never crash the reader.
// Inputs found by fuzz/event_codec_fuzz.cpp (scripts/fuzz.sh event_codec).
#include <catch2/catch.hpp>

#include <string>

#include <flatbuffers/flatbuffers.h>

#include "events/codec.hpp"
#include "events/lead_events_generated.h"

using namespace leadbase;

namespace {

/// An envelope of `type` whose payload table is missing.
std::string envelope_without_payload(fb::Payload type) {
  flatbuffers::FlatBufferBuilder b;
  auto id = b.CreateString("e1"), lead = b.CreateString("u-1");
  fb::EnvelopeBuilder eb(b);
  eb.add_event_id(id);
  eb.add_lead_id(lead);
  eb.add_version(1);
  eb.add_payload_type(type);
  b.Finish(eb.Finish(), fb::EnvelopeIdentifier());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace

TEST_CASE("codec: a stored event with a payload type but no payload is corrupt_data, not a crash", "[codec]") {
  for (auto type : {fb::Payload::SignedUp, fb::Payload::Qualified, fb::Payload::Enriched,
                    fb::Payload::EnrichmentFailed, fb::Payload::Erased}) {
    INFO("payload type " << static_cast<int>(type));
    auto decoded = decode_event(envelope_without_payload(type));
    REQUIRE_FALSE(decoded);
    CHECK(decoded.err().code == errc::corrupt_data);
  }
}

TEST_CASE("codec: the fuzzer's 50-byte envelope (Erased, no payload) is corrupt_data", "[codec]") {
  // fuzz/corpus/event_codec/regression-erased-without-payload, minimised by libFuzzer.
  const unsigned char input[] = {0x2c, 0x00, 0x00, 0x00, 0x4c, 0x42, 0x45, 0x56, 0x00, 0x00, 0x48, 0xa4, 0x20,
                                 0x00, 0x48, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x05, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x05};
  auto decoded = decode_event(std::string(reinterpret_cast<const char*>(input), sizeof input));
  REQUIRE_FALSE(decoded);
  CHECK(decoded.err().code == errc::corrupt_data);
}

TEST_CASE("codec: an envelope of an unknown (newer) payload type still decodes as unknown_event", "[codec]") {
  auto decoded = decode_event(envelope_without_payload(static_cast<fb::Payload>(42)));
  REQUIRE(decoded);
  REQUIRE(std::holds_alternative<unknown_event>(decoded->ev.data));
  CHECK(std::get<unknown_event>(decoded->ev.data).type_tag == 42);
}
