#pragma once
// Event <-> stored bytes (the FlatBuffers schema in lead_events.fbs).
//
// Personal fields never go into the envelope in plaintext: storage takes them
// out with `take_personal`, seals `encode_personal`'s bytes with the lead's
// key and hands the sealed bytes to `encode_event`. Reading goes the other way.
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/event.hpp"

namespace leadbase {

struct personal_fields {
  std::string email, name, phone, document, instagram, youtube, tiktok, handle;
  std::string note;  // a contact_logged's note
  bool empty() const {
    return email.empty() && name.empty() && phone.empty() && document.empty() && instagram.empty() &&
           youtube.empty() && tiktok.empty() && handle.empty() && note.empty();
  }
};

/// The event's personal fields (the payload's), copied out.
personal_fields personal_of(const event& ev);
/// Puts personal fields back into a decoded event.
void restore_personal(event& ev, const personal_fields& p);

std::string encode_personal(const personal_fields& p);
result<personal_fields> decode_personal(std::string_view bytes);

/// The stored form of `ev`, with `sealed` as its sealed personal data. The
/// payload's personal fields are not written (only their presence flags).
std::string encode_event(const event& ev, std::string_view sealed);

struct decoded_event {
  event ev;                 // personal fields empty
  std::string_view sealed;  // points into the bytes given to decode_event
};

/// Verifies the buffer, then decodes it. Unknown payload types decode to
/// unknown_event (an event from a newer writer), not an error.
result<decoded_event> decode_event(std::string_view bytes);

} // namespace leadbase

namespace leadbase {

/// The bytes that identify a command's content for idempotency: the event's
/// type, lead, event id, occurred_at, payload and personal fields, without
/// anything the server assigns or a client may vary on a retry (version,
/// position, recorded_at, correlation and causation ids).
std::string canonical_bytes(const event& ev);

} // namespace leadbase
