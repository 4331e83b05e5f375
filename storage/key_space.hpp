#pragma once
// The log's key spaces: one RocksDB column family each (the layout of each is
// in storage/event_log.hpp). Code names a family by this enum, never by its
// string; the strings are RocksDB's names on disk and live only here.
#include <array>
#include <cstddef>
#include <cstdint>

namespace leadbase::storage {

enum class key_space : uint8_t {
  marker,     ///< RocksDB's `default` family: the write marker (event_log.cpp)
  events,     ///< [lead_id][0x00][version] -> envelope
  global,     ///< [position] -> event key
  event_ids,  ///< [event_id] -> position, version, lead
  heads,      ///< [lead_id] -> the lead's head
  keys,       ///< [lead_id] -> the lead's data key
  snapshots,  ///< [lead_id] -> a folded state
  meta,       ///< projection checkpoints, fingerprints, damage records
  work,       ///< [lead_id] -> when the lead owes work
  views,      ///< the read side's rows (their keys: projections/lead_views.hpp)
  index,      ///< the read side's secondary indexes (their keys: projections/lead_views.hpp)
  stats,      ///< the read side's stats: totals, per-lead summaries, time buckets (projections/stats_codec.hpp)
};

inline constexpr std::size_t key_space_count = 12;

/// Every key space, in the order the log opens them.
inline constexpr std::array<key_space, key_space_count> all_key_spaces = {
    key_space::marker, key_space::events, key_space::global, key_space::event_ids,
    key_space::heads,  key_space::keys,   key_space::snapshots, key_space::meta,
    key_space::work,   key_space::views,  key_space::index,     key_space::stats};

/// The column family's name on disk.
constexpr const char* family_name(key_space k) noexcept {
  switch (k) {
    case key_space::marker: return "default";
    case key_space::events: return "events";
    case key_space::global: return "global";
    case key_space::event_ids: return "event_ids";
    case key_space::heads: return "heads";
    case key_space::keys: return "keys";
    case key_space::snapshots: return "snapshots";
    case key_space::meta: return "meta";
    case key_space::work: return "work";
    case key_space::views: return "views";
    case key_space::index: return "index";
    case key_space::stats: return "stats";
  }
  return "";
}

} // namespace leadbase::storage
