#pragma once
// Damages a stored event directly through RocksDB, as a flipped bit on disk or
// a hostile hand with access to the data dir would: the log's own code is not
// involved. The log caches its newest events in memory, so reopen it (or start
// the server) afterwards to read what is on disk.
#include <rocksdb/db.h>

#include <stdexcept>
#include <string>

#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "tests/support/raw_db.hpp"

namespace leadbase::test {

/// The stored bytes of one event.
inline std::string raw_event(const storage::event_log& log, const std::string& lead, lead_version version) {
  std::string v;
  const auto key = storage::keys::event_key(lead, version);
  auto s = test::raw_db(log)->Get(rocksdb::ReadOptions(), log.cf(storage::key_space::events), key, &v);
  if (!s.ok()) throw std::runtime_error("no stored event " + lead + "/" + std::to_string(version) + ": " + s.ToString());
  return v;
}

inline void put_raw_event(const storage::event_log& log, const std::string& lead, lead_version version,
                          const std::string& bytes) {
  const auto key = storage::keys::event_key(lead, version);
  auto s = test::raw_db(log)->Put(rocksdb::WriteOptions(), log.cf(storage::key_space::events), key, bytes);
  if (!s.ok()) throw std::runtime_error("cannot write the event: " + s.ToString());
}

inline void delete_raw_event(const storage::event_log& log, const std::string& lead, lead_version version) {
  const auto key = storage::keys::event_key(lead, version);
  auto s = test::raw_db(log)->Delete(rocksdb::WriteOptions(), log.cf(storage::key_space::events), key);
  if (!s.ok()) throw std::runtime_error("cannot delete the event: " + s.ToString());
}

/// The event with one byte of `needle` (a plaintext string inside it, e.g. its
/// event id) changed: it still decodes, but its hash is no longer the chain's.
inline std::string tampered(std::string bytes, const std::string& needle) {
  const auto at = bytes.find(needle);
  if (at == std::string::npos) throw std::runtime_error("'" + needle + "' is not in the stored event");
  bytes[at + needle.size() - 1] ^= 0x01;
  return bytes;
}

/// The event with its FlatBuffers root offset pointing outside the buffer:
/// it fails verification, as a corrupted record does.
inline std::string unverifiable(std::string bytes) {
  for (size_t i = 0; i < 4 && i < bytes.size(); ++i) bytes[i] = '\xff';
  return bytes;
}

/// Applies `change` to event `version` of `lead` in place.
template <class Change>
void corrupt_event(const storage::event_log& log, const std::string& lead, lead_version version, Change change) {
  put_raw_event(log, lead, version, change(raw_event(log, lead, version)));
}

} // namespace leadbase::test
