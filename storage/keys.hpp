#pragma once
// Key encoding for every column family, in one place (docs/design.md). Numbers are
// fixed-width big-endian so that RocksDB's bytewise order is numeric order;
// lead ids never contain 0x00 (docs/http-api.md id syntax), so `lead 0x00 version`
// keeps a lead's events together, in version order, and apart from any other
// lead whose id merely starts with the same characters.
//
// That holds only for ids without a 0x00: the range of "abc\0" starts inside
// that of "abc" and would read its events. So the log takes no id that fails
// is_storable_lead_id, in any read or write (tests/storage/lead_id_keys_test).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "events/strong_count.hpp"

namespace leadbase::storage::keys {

/// Whether `lead_id` may head a key: not empty and no byte below 0x20 - in
/// particular no 0x00 (the separator) and no 0x01 (the range bound). This is
/// the encoding's rule, wider than the API's id syntax (events/ids.hpp) on
/// purpose: a lead stored under an id the API has since stopped accepting
/// ("..") stays readable by verify, audit and the projections.
inline bool is_storable_lead_id(std::string_view lead_id) noexcept {
  if (lead_id.empty()) return false;
  for (char c : lead_id)
    if (static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

inline void put_be64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

inline std::string be64(uint64_t v) {
  std::string k;
  k.reserve(8);
  put_be64(k, v);
  return k;
}

/// Reads 8 big-endian bytes at `at`; the caller checks the size.
inline uint64_t read_be64(std::string_view s, size_t at = 0) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

/// The first 8 bytes of s from `at`, big-endian, zero-padded: integer order
/// of these is bytewise order of the bytes they hold.
inline uint64_t be_word(std::string_view s, size_t at) {
  if (at + 8 <= s.size()) {
    uint64_t v;
    std::memcpy(&v, s.data() + at, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
  }
  uint64_t v = 0;
  for (size_t i = at; i < at + 8; ++i) v = (v << 8) | (i < s.size() ? static_cast<uint8_t>(s[i]) : 0u);
  return v;
}

/// events CF: [lead_id][0x00][version:be64]
inline std::string event_key(std::string_view lead_id, uint64_t version) {
  std::string k;
  k.reserve(lead_id.size() + 9);
  k.append(lead_id);
  k.push_back('\0');
  put_be64(k, version);
  return k;
}

/// The first key after every event of `lead_id` (an exclusive upper bound).
inline std::string lead_upper_bound(std::string_view lead_id) {
  std::string k(lead_id);
  k.push_back('\x01');
  return k;
}

/// Splits an event key; false if it is not one.
inline bool split_event_key(std::string_view key, std::string_view& lead_id, lead_version& version) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return false;
  lead_id = key.substr(0, key.size() - 9);
  version = read_be64(key, key.size() - 8);
  return true;
}

/// global CF: [position:be64]
inline std::string position_key(uint64_t position) { return be64(position); }

} // namespace leadbase::storage::keys
