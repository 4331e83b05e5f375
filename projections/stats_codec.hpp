#pragma once
// The stats projection's keys and values in the `stats` key space
// (storage/key_space.hpp), owned by the read side:
//
//   #                              -> the serving generation: 'a' or 'b' (absent: 'a')
//   <gen> g                        -> the totals (stats_counters): gauges, counters, /metrics
//   <gen> l <lead_id>              -> the lead's summary (lead_summary)
//   <gen> m <minute start:be64>    -> the minute's time bucket (time_bucket)
//   <gen> h <hour start:be64>      -> the hour's time bucket (the sum of its minutes)
//
// Why buckets: GET /v1/stats must answer within 50 ms at 10M leads, so a
// window is never a scan of the leads. Each windowed fact (a signup, an
// enrichment that ended, a lead that became final with its processing time)
// is counted in the minute and the hour it happened in; a window sums the
// minute buckets at its ragged ends and the hour buckets between (at most
// 2×59 minutes + 8784 hours for 366 days, only the buckets that exist), and a
// series sums one range per point. Percentiles come from the buckets'
// processing histograms (stats.hpp processing_bin). Windows are counted to the
// minute: a window's first minute is the one its start falls in, whole.
//
// Generations: a rebuild writes the other generation beside the serving one
// and switches `#` in the batch that writes its checkpoint, so readers and
// the runner see the old stats or the new ones, never a mix; the old
// generation is deleted afterwards. Every read of the stats is made under
// one RocksDB snapshot, `#` included.
#include <optional>
#include <string>
#include <string_view>

#include "projections/stats.hpp"

namespace leadbase::stats_codec {

inline constexpr std::string_view generation_key = "#";
/// The generation after `g` ('a' <-> 'b').
char other_generation(char g) noexcept;

std::string totals_key(char gen);
std::string lead_key(char gen, std::string_view lead_id);
std::string minute_key(char gen, millis minute_start);
std::string hour_key(char gen, millis hour_start);
/// [begin, end) of every key of a generation.
std::string generation_begin(char gen);
std::string generation_end(char gen);
/// The bucket start a minute/hour key holds (its last 8 bytes).
millis bucket_start(std::string_view key) noexcept;

std::string encode(const lead_summary& s);
std::optional<lead_summary> decode_summary(std::string_view v);
std::string encode(const stats_counters& c);
std::optional<stats_counters> decode_counters(std::string_view v);
std::string encode(const time_bucket& b);
std::optional<time_bucket> decode_bucket(std::string_view v);

} // namespace leadbase::stats_codec
