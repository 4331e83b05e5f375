#pragma once
// The seed's four metrics (docs/domain.md "Monitoring"): the pure part of the stats
// projection (projections/stats_projection.hpp keeps them in RocksDB).
//
// Definitions (exactly docs/domain.md's, made precise):
//   signups          a lead counts once, at the recorded_at of its signed_up.
//   enrichment       a lead's enrichment *ends* when its overall enrichment
//                    state (lead_state::overall_enrichment) turns succeeded or
//                    failed; it ends at the recorded_at of that event. success
//                    rate = succeeded / (succeeded + failed) over the leads whose
//                    enrichment ended in the window and is still ended that way.
//                    Retryable failures (retry_scheduled) are not failures: they
//                    are `retrying` (a gauge: leads waiting for a retry now).
//                    failures_by_class: the ended-failed leads of the window by
//                    the error class of their final failure. An erasure that
//                    cuts a pending enrichment short is no enrichment outcome.
//   coverage         coverage() of projections/priority.hpp per lead, over every
//                    lead that signed up and is not erased: complete_ratio =
//                    share with coverage 1.0, mean = mean coverage (6 decimals).
//   processing time  signed_up.recorded_at -> recorded_at of the event that first
//                    put the lead in a final state (lead_state::final_at, set by
//                    the one fold `evolve`), over the leads that became final in
//                    the window; exact mean, nearest-rank p50/p95/p99 to three
//                    significant digits (stats_codec.hpp, the histogram).
//   queues           prioritise() on each lead's latest state: sdr / ldr counts.
//   work (docs/domain.md "Working the leads")
//                    stages: gauges over every lead that signed up and is not
//                    erased, by work_state::stage() of its latest state
//                    (claimed = stage assigned: owned, no contact yet). An
//                    erased lead is worked no more: it leaves the stages.
//                    contacts: each contact_logged counts once, at its
//                    recorded_at, by outcome (meetings booked = outcome
//                    meeting_booked). expired claims: each `released` with
//                    reason expired, at its recorded_at. first contact time:
//                    signed_up.recorded_at -> the first contact_logged's
//                    recorded_at (lead_state::first_contact_ms), over the leads
//                    whose first contact falls in the window; mean, p50, p95
//                    like processing time. An erasure takes back none of
//                    these windowed facts (like a signup's).
//
// The fold: each event is folded into the lead's state with `evolve` (the same
// fold as everywhere else); `summarise` (pure) derives the compact
// `lead_summary` the stats keep per lead; `fold_summary` moves the lead's
// contribution to the totals and to the time buckets from its old summary to
// its new one. So every figure is a function of the leads' current
// summaries, whatever the order the leads were folded in.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/lead_state.hpp"
#include "projections/priority_options.hpp"

namespace leadbase {
namespace storage {
class event_log;
}

enum class queue_team : uint8_t { none = 0, sdr = 1, ldr = 2 };

/// What the stats keep of one lead.
struct lead_summary {
  millis signup_at = 0;          ///< recorded_at of signed_up; 0 = no signup yet
  millis final_at = 0;           ///< recorded_at of the first final state; 0 = not yet
  millis enrichment_end_at = 0;  ///< when the enrichment last ended; 0 = never (or no outcome)
  int64_t coverage_micro = 0;    ///< coverage() of the latest state, in millionths
  lead_status status = lead_status::none;
  enrichment_state enrichment = enrichment_state::not_needed;  ///< overall_enrichment()
  queue_team team = queue_team::none;
  std::string fail_class;        ///< error class of the final failure ("unknown" if none named); empty unless failed
  work_stage stage = work_stage::unassigned;  ///< work_state::stage() of the latest state
  millis first_contact_at = 0;   ///< recorded_at of the first contact_logged; 0 = none yet

  /// The enrichment ended and counts as an outcome (see the file comment).
  bool enrichment_ended() const noexcept {
    return enrichment_end_at != 0 &&
           (enrichment == enrichment_state::succeeded || enrichment == enrichment_state::failed);
  }
  bool operator==(const lead_summary& o) const noexcept;
};

/// The summary of `after`, the state just after `e`, given the lead's summary
/// before it. Pure.
lead_summary summarise(const lead_summary& before, const lead_state& after, const event& e,
                       const priority_options& priority, const std::string& rules_version);

/// The error class of a finally failed enrichment: last_error of the first
/// network (by name) whose state is failed; "" when none.
std::string final_failure_class(const lead_state& s);

/// Keeps personal data out of the states the stats cache: they only ask
/// whether a field is there.
void strip_personal(lead_state& s);

struct stats_options {
  priority_options priority;
  std::string rules_version = "2026-11-01";
  std::size_t state_cache = 16384;  ///< full lead states kept (LRU) when a loader is set
};

/// A lead's state folded over its events with position < `before` (a cache miss).
using lead_state_loader = std::function<result<lead_state>(const std::string& lead_id, global_position before)>;

/// The loader that reads the lead's stream from the log.
lead_state_loader log_state_loader(const storage::event_log& log);

/// GET /v1/stats (docs/http-api.md), for one window.
struct stats_report {
  uint64_t signups_total = 0, signups_in_window = 0;
  std::optional<double> success_rate;  ///< null when no enrichment ended in the window
  uint64_t succeeded = 0, failed = 0, retrying = 0;
  std::map<std::string, uint64_t> failures_by_class;
  std::optional<double> coverage_complete_ratio, coverage_mean;  ///< null with no lead
  std::optional<double> processing_mean_ms;                      ///< null when none became final
  std::optional<int64_t> processing_p50_ms, processing_p95_ms, processing_p99_ms;
  uint64_t queue_sdr = 0, queue_ldr = 0;
  /// Work stages now (not windowed): claimed = stage assigned.
  uint64_t work_claimed = 0, work_contacted = 0, work_meeting_booked = 0, work_closed = 0;
  uint64_t expired_claims = 0;                   ///< in the window
  std::map<std::string, uint64_t> contacts_by_outcome;  ///< in the window; every outcome, 0 included
  std::optional<double> first_contact_mean_ms;   ///< null when no first contact in the window
  std::optional<int64_t> first_contact_p50_ms, first_contact_p95_ms;
  global_position position = 0;  ///< the last event applied
};

/// First-contact-time histogram bounds (seconds) for /metrics: a minute to a week.
inline constexpr std::array<double, 12> first_contact_buckets_s = {60,    300,   900,    1800,   3600,   7200,
                                                                    14400, 28800, 86400, 172800, 345600, 604800};

/// Outcomes of contact_logged, as an index (contact_outcome's values).
inline constexpr size_t contact_outcomes = 6;
/// Work stages, as an index (work_stage's values).
inline constexpr size_t work_stages = 5;

/// Processing-time histogram bounds (seconds) for /metrics.
inline constexpr std::array<double, 16> processing_buckets_s = {0.05, 0.1, 0.25, 0.5, 1,    2.5,  5,     10,
                                                                 30,   60,  120,  300, 900, 3600, 21600, 86400};

/// Cumulative figures and gauges (/metrics; the totals the projection keeps).
/// Counts are kept with unsigned wrap-around while a lead moves (−1 then +1).
struct stats_counters {
  global_position position = 0;
  uint64_t signups_total = 0;
  uint64_t enrichment_succeeded_total = 0, enrichment_failed_total = 0;  ///< outcomes (endings)
  /// enrichment_failed events by (error class, final?).
  std::map<std::pair<std::string, bool>, uint64_t> failed_attempts_total;
  std::array<uint64_t, 8> leads_by_status{};  ///< index = lead_status
  uint64_t enrichment_pending = 0, enrichment_retrying = 0;
  uint64_t coverage_leads = 0, coverage_complete = 0;
  int64_t coverage_micro_sum = 0;  ///< sum of lead_summary::coverage_micro (exact)
  uint64_t queue_sdr = 0, queue_ldr = 0;
  std::array<uint64_t, processing_buckets_s.size() + 1> processing_buckets{};  ///< cumulative; last = +Inf
  int64_t processing_sum_ms = 0;
  uint64_t processing_count = 0;
  uint64_t leads = 0;
  // Work (stats format 2): stage gauges by work_stage (not erased leads),
  // contacts by outcome, expired claims, first contact time (histogram).
  std::array<uint64_t, work_stages> work_stage_leads{};
  std::array<uint64_t, contact_outcomes> contacts_total{};
  uint64_t claims_expired_total = 0;
  std::array<uint64_t, first_contact_buckets_s.size() + 1> first_contact_buckets{};  ///< cumulative; last = +Inf
  int64_t first_contact_sum_ms = 0;
  uint64_t first_contact_count = 0;
  uint64_t damaged_events = 0;   ///< events the log cannot read, skipped (from the runner)
  std::size_t memory_bytes = 0;  ///< estimate of the state cache

  double coverage_sum() const noexcept { return static_cast<double>(coverage_micro_sum) / 1e6; }
  double processing_sum_s() const noexcept { return static_cast<double>(processing_sum_ms) / 1000.0; }
  double first_contact_sum_s() const noexcept { return static_cast<double>(first_contact_sum_ms) / 1000.0; }
};

/// One time bucket's windowed facts (stats_codec.hpp stores them per minute
/// and per hour). Signed: a page adds a lead's new contribution and takes its
/// old one away.
struct time_bucket {
  int64_t signups = 0, succeeded = 0, failed = 0;
  int64_t processing_count = 0, processing_sum_ms = 0;
  /// Contacts logged and meetings booked (contacts with outcome
  /// meeting_booked) in the bucket (count_work_event).
  int64_t contacts = 0, meetings_booked = 0;
  std::map<std::string, int64_t> failed_by_class;
  std::map<uint16_t, int64_t> processing_hist;  ///< histogram bin (stats_codec.hpp) -> leads
  // Work (stats format 2): claims that expired, contacts by outcome name, and
  // the leads whose first contact fell in the bucket with its time.
  int64_t expired_claims = 0;
  std::map<std::string, int64_t> contacts_by_outcome;
  int64_t first_contact_count = 0, first_contact_sum_ms = 0;
  std::map<uint16_t, int64_t> first_contact_hist;  ///< processing_bin of the time -> leads

  void add(const time_bucket& o, int sign = 1);
  bool empty() const noexcept;
};

/// Time bucket deltas of a page, by bucket start (ms since the epoch).
using bucket_deltas = std::map<millis, time_bucket>;

/// Moves a lead from summary `before` (nullopt: the stats never saw it) to
/// `after` because of `e`: the gauges, the cumulative counters and the
/// minute buckets (`minutes`, keyed by minute start) all follow.
void fold_summary(const std::optional<lead_summary>& before, const lead_summary& after, const event& e,
                  stats_counters& c, bucket_deltas& minutes);

/// What a work event counts once, as an event (not through the summaries): a
/// contact_logged (contacts, by outcome, meetings booked) and a `released`
/// whose claim expired, in the counters and in its minute bucket.
void count_work_event(const event& e, stats_counters& c, bucket_deltas& minutes);

/// Processing-time histogram of the time buckets: values below 1000 ms have a
/// bin each; above, three significant decimal digits (bin floor at most 1 %
/// below the value). A nearest-rank percentile is reported as its bin's floor.
uint16_t processing_bin(int64_t ms) noexcept;
int64_t processing_bin_floor(uint16_t bin) noexcept;

inline constexpr millis minute_ms = 60'000;
inline constexpr millis hour_ms = 3'600'000;

/// Parses a window: a positive integer and a unit s, m, h, d or w ("5m", "15m",
/// "1h", "24h", "7d"), at most 366 days. nullopt for anything else.
std::optional<millis> parse_window(std::string_view text);

} // namespace leadbase
