#pragma once
// The per-lead hash chain (docs/http-api.md, "Audit"): each event's hash is SHA-256
// over the previous event's hash and the event's stored bytes; the first
// event's prev_hash is 32 zero bytes.
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"

namespace leadbase::storage {

hash256 chain_hash(const hash256& prev, std::string_view stored_bytes);

// Hex rendering of a hash: leadbase::to_hex in events/json.hpp.

/// True when every event's prev_hash is the hash of the one before it (zeros
/// for version 1) and versions follow 1, 2, 3 ... without a gap. `Stored` has
/// members `ev` (an event) and `hash`.
template <class Stored>
bool chain_intact(const std::vector<Stored>& events) {
  hash256 expected{};
  lead_version version = 0;
  for (const auto& s : events) {
    if (s.ev.meta.prev_hash != expected || s.ev.meta.version != version + 1) return false;
    expected = s.hash;
    version = s.ev.meta.version;
  }
  return true;
}

} // namespace leadbase::storage
