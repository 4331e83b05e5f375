// Fuzz target: the API's JSON request bodies (events/json_parse.cpp).
//
// Input: one selector byte, then the body. The selector (byte % 5) picks the
// parser the HTTP layer would call; the seeds use letters: 'A' POST /v1/signups,
// 'B' one POST /v1/events item, 'C' a batch as a JSON array, 'D' as NDJSON,
// 'E' the erase body.
//
// Beyond "no crash, no sanitizer report": every command a parser accepts must
// survive the stored form, i.e. encode_event -> decode_event (personal fields
// restored as storage does) gives the same canonical bytes, so nothing the API
// accepts can be stored in a form that reads back differently.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/codec.hpp"
#include "events/json.hpp"
#include "fuzz/fuzz_check.hpp"

using namespace leadbase;

namespace {

void check_roundtrip(const append_command& cmd) {
  const event& ev = cmd.ev;
  std::string sealed = encode_personal(personal_of(ev));
  std::string stored = encode_event(ev, sealed);
  auto dec = decode_event(stored);
  FUZZ_CHECK(dec.ok(), "an accepted command does not decode from its stored form");
  auto personal = decode_personal(dec->sealed);
  FUZZ_CHECK(personal.ok(), "the sealed personal fields do not decode");
  event back = std::move(dec->ev);
  restore_personal(back, *personal);
  FUZZ_CHECK(canonical_bytes(back) == canonical_bytes(ev), "stored form reads back differently");
}

template <class T>
void check_failure(const result<T, parse_failure>& p) {
  if (p.ok()) return;
  const auto& f = p.err();
  FUZZ_CHECK(f.code == errc::bad_request || f.code == errc::validation, "a parse failure with another errc");
  FUZZ_CHECK(!f.detail.empty() || !f.errors.empty(), "a parse failure that says nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto p = parse_signup(body);
      check_failure(p);
      if (p) {
        FUZZ_CHECK(p->ev.type() == event_type::signed_up, "a signup that is not a signed_up");
        check_roundtrip(*p);
      }
      break;
    }
    case 1: {
      auto p = parse_event_item(body);
      check_failure(p);
      if (p) check_roundtrip(*p);
      break;
    }
    case 2:
    case 3: {
      auto p = parse_batch(body, data[0] % 5 == 3);
      check_failure(p);
      if (p) {
        FUZZ_CHECK(p->size() <= json_limits::batch_items, "a batch over the item limit was accepted");
        for (const auto& item : *p) {
          check_failure(item.command);
          if (item.command) check_roundtrip(*item.command);
        }
      }
      break;
    }
    default: {
      auto p = parse_erase(body);
      check_failure(p);
      if (p) FUZZ_CHECK(!p->reason.empty(), "an erase without a reason was accepted");
      break;
    }
  }
  return 0;
}
