#pragma once
// Small FlatBuffers conversions shared by the event codec and the snapshot
// codec (internal to events/; include only from .cpp files that build or read
// lead_events.fbs tables).
#include <flatbuffers/flatbuffers.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"

namespace leadbase::fbu {

using builder = flatbuffers::FlatBufferBuilder;
using str_offset = flatbuffers::Offset<flatbuffers::String>;

/// FlatBuffers reads scalars in place, so a buffer must start at an address
/// aligned for its largest scalar (8 bytes); RocksDB hands out values at any
/// offset of a block. Returns `bytes` itself when it is aligned, else a copy of
/// it in `scratch` (valid until the next call with the same scratch). Each
/// decoder keeps its own thread_local scratch, so decoders may nest.
inline std::string_view aligned(std::string_view bytes, std::vector<uint64_t>& scratch) {
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) return bytes;
  scratch.resize(bytes.size() / sizeof(uint64_t) + 1);
  std::memcpy(scratch.data(), bytes.data(), bytes.size());
  return {reinterpret_cast<const char*>(scratch.data()), bytes.size()};
}

/// An absent field for an empty string (FlatBuffers then stores nothing).
inline str_offset opt_string(builder& b, const std::string& s) { return s.empty() ? 0 : b.CreateString(s); }

inline std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string{}; }

/// A network by its name, as events and snapshots store it; network::unknown
/// (a name this version did not know, or none) is stored as no name.
inline str_offset network_name(builder& b, network n) {
  return n == network::unknown ? 0 : b.CreateString(to_string(n));
}
/// The network a stored name names; network::unknown for any other name.
inline network network_named(const flatbuffers::String* s) {
  return s ? network_from_string(std::string_view(s->c_str(), s->size())).value_or(network::unknown) : network::unknown;
}

inline flatbuffers::Offset<flatbuffers::Vector<str_offset>> strings(builder& b, const std::vector<std::string>& v) {
  std::vector<str_offset> offs;
  offs.reserve(v.size());
  for (const auto& s : v) offs.push_back(b.CreateString(s));
  return b.CreateVector(offs);
}

inline std::vector<std::string> strings(const flatbuffers::Vector<str_offset>* v) {
  std::vector<std::string> out;
  if (v) {
    out.reserve(v->size());
    for (auto* s : *v) out.push_back(s->str());
  }
  return out;
}

/// Copies exactly N bytes; anything else (absent, wrong size) gives zeros.
template <size_t N>
void copy_bytes(const flatbuffers::Vector<uint8_t>* v, std::array<uint8_t, N>& out) {
  out.fill(0);
  if (v && v->size() == N) std::copy(v->begin(), v->end(), out.begin());
}

} // namespace leadbase::fbu
