#pragma once
// The seed's four metrics (DOMAIN.md "Monitoring") as a projection over the
// global log: GET /v1/stats and the domain families of GET /metrics.
//
// Definitions (exactly DOMAIN.md's, made precise):
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
//                    the window; mean and nearest-rank p50/p95/p99, exact.
//   queues           prioritise() on each lead's latest state: sdr / ldr counts.
//
// Operation
//   `apply` folds each event into the lead's state with `evolve` (the same
//   fold as everywhere else), derives a compact `lead_summary` from it
//   (`summarise`, a pure function), and moves the aggregates from the old
//   summary to the new one. Full lead states are kept only in a bounded LRU
//   cache of recently touched leads, with personal fields replaced by "*" and
//   no event-id list; on a miss the state is re-folded from the log through the
//   `loader` (a signup, version 1, needs none). Windowed figures scan the
//   summaries (one contiguous array) at request time, so they are exact and
//   need no per-window bookkeeping; cumulative counters and a processing-time
//   histogram are kept for /metrics.
//
// Memory
//   Per lead: a 32-byte summary + 8-byte key reference in one array, a 4-byte
//   slot in an open-addressing index kept at most half full (8 bytes), and the
//   lead id's characters in an arena: about 50 + id length bytes; with 1M leads
//   of 10-character ids ≈ 60 MB, up to ≈ 100 MB right after the arrays grow.
//   The state cache holds at most `state_cache` leads (default 8192, a few KB
//   each). Without a loader nothing can be re-folded, so the cache is unbounded:
//   that mode is for tests and small logs only.
//
// Concurrency
//   All members are thread-safe (a shared mutex: readers scan concurrently, one
//   writer applies). `stats_follower` applies the log on its own thread.
//
// Limitations
//   The projection lives in memory and is rebuilt from the log on start-up:
//   the follower first loads the whole log lead by lead (one sequential scan,
//   no re-folds; see load()), then follows it in global order. At most 254 distinct error classes are
//   tracked; any further class is counted as "other" (bounds label cardinality).
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/lead_state.hpp"
#include "projections/priority_options.hpp"

namespace leadbase {
namespace storage {
class event_log;
}

// -- the pure part ------------------------------------------------------------------

enum class queue_team : uint8_t { none = 0, sdr = 1, ldr = 2 };

/// What the stats keep of one lead. 32 bytes.
struct lead_summary {
  millis signup_at = 0;          ///< recorded_at of signed_up; 0 = no signup yet
  millis final_at = 0;           ///< recorded_at of the first final state; 0 = not yet
  millis enrichment_end_at = 0;  ///< when the enrichment last ended; 0 = never (or no outcome)
  float coverage = 0;            ///< coverage() of the latest state
  lead_status status = lead_status::none;
  enrichment_state enrichment = enrichment_state::not_needed;  ///< overall_enrichment()
  uint8_t fail_class = 0;        ///< interned error class of the final failure; 0 = none
  queue_team team = queue_team::none;

  /// The enrichment ended and counts as an outcome (see the file comment).
  bool enrichment_ended() const noexcept {
    return enrichment_end_at != 0 &&
           (enrichment == enrichment_state::succeeded || enrichment == enrichment_state::failed);
  }
};

/// The summary of `after`, the state just after `e`, given the lead's summary
/// before it. Pure. `fail_class` is filled with 0; the store interns the class
/// that `final_failure_class(after)` names.
lead_summary summarise(const lead_summary& before, const lead_state& after, const event& e,
                       const priority_options& priority, const std::string& rules_version);

/// The error class of a finally failed enrichment: last_error of the first
/// network (by name) whose state is failed; "" when none.
std::string final_failure_class(const lead_state& s);

// -- the store ------------------------------------------------------------------------

struct stats_options {
  priority_options priority;
  std::string rules_version = "2026-11-01";
  std::size_t state_cache = 8192;  ///< full lead states kept (LRU) when a loader is set
};

/// A lead's state folded over its events with position < `before` (a cache miss).
using lead_state_loader = std::function<result<lead_state>(const std::string& lead_id, global_position before)>;

/// The loader that reads the lead's stream from the log.
lead_state_loader log_state_loader(const storage::event_log& log);

/// GET /v1/stats (API.md), for one window.
struct stats_report {
  uint64_t signups_total = 0, signups_in_window = 0;
  std::optional<double> success_rate;  ///< null when no enrichment ended in the window
  uint64_t succeeded = 0, failed = 0, retrying = 0;
  std::map<std::string, uint64_t> failures_by_class;
  std::optional<double> coverage_complete_ratio, coverage_mean;  ///< null with no lead
  std::optional<double> processing_mean_ms;                      ///< null when none became final
  std::optional<int64_t> processing_p50_ms, processing_p95_ms, processing_p99_ms;
  uint64_t queue_sdr = 0, queue_ldr = 0;
  global_position position = 0;  ///< the last event applied
};

/// Processing-time histogram bounds (seconds) for /metrics.
inline constexpr std::array<double, 16> processing_buckets_s = {0.05, 0.1, 0.25, 0.5, 1,    2.5,  5,     10,
                                                                 30,   60,  120,  300, 900, 3600, 21600, 86400};

/// Cumulative figures and gauges for /metrics.
struct stats_counters {
  global_position position = 0;
  uint64_t signups_total = 0;
  uint64_t enrichment_succeeded_total = 0, enrichment_failed_total = 0;  ///< outcomes (endings)
  /// enrichment_failed events by (error class, final?).
  std::map<std::pair<std::string, bool>, uint64_t> failed_attempts_total;
  std::array<uint64_t, 8> leads_by_status{};  ///< index = lead_status
  uint64_t enrichment_pending = 0, enrichment_retrying = 0;
  uint64_t coverage_leads = 0, coverage_complete = 0;
  double coverage_sum = 0;
  uint64_t queue_sdr = 0, queue_ldr = 0;
  std::array<uint64_t, processing_buckets_s.size() + 1> processing_buckets{};  ///< cumulative; last = +Inf
  double processing_sum_s = 0;
  uint64_t processing_count = 0;
  uint64_t leads = 0;
  uint64_t damaged_events = 0;  ///< events the log cannot read, skipped (skip_damaged, note_damaged)
  std::size_t memory_bytes = 0;  ///< estimate of the summaries, index, arena and cache
};

class stats_store {
 public:
  explicit stats_store(stats_options opts = {}, lead_state_loader loader = {});
  ~stats_store();
  stats_store(const stats_store&) = delete;
  stats_store& operator=(const stats_store&) = delete;

  /// Applies events in global order. An event at or below position() is skipped
  /// (position 0 = unknown, always applied). Stops at the first event whose
  /// lead state cannot be loaded and returns that error; the events before it
  /// stay applied.
  status apply(const event& e);
  status apply(const std::vector<event>& events);

  /// Start-up load from a whole-log scan in lead order (storage/lead_scan.hpp):
  /// applies `e` with no position check. Every figure is per lead or a sum,
  /// so loading lead by lead gives what applying in global order gives, with
  /// no lead ever evicted and re-folded. Only into an empty store; then
  /// finish_load(the scan's last position).
  status load(const event& e);
  void finish_load(global_position position);

  /// An event the log cannot read (stored_event::damage) at `position`: it is
  /// skipped and counted, and position() moves to it when it is the next one.
  /// Call it in global order, after the events before it were applied.
  void skip_damaged(global_position position);
  /// Counts a damaged event met by the start-up load (no position known).
  void note_damaged();

  global_position position() const noexcept { return position_.load(std::memory_order_acquire); }
  /// The log's head when the follower started (stats_follower::start): until
  /// position() reaches it every figure comes from part of the log.
  void set_start_head(global_position head) noexcept { start_head_.store(head, std::memory_order_release); }
  /// position() has reached the start head: the figures cover the whole log
  /// (a store that was never given a start head is complete as it is).
  bool caught_up() const noexcept { return position() >= start_head_.load(std::memory_order_acquire); }
  stats_report report(millis window_ms, millis now) const;
  stats_counters counters() const;

  /// Calls `done(true)` once position() >= target, or `done(false)` once
  /// `deadline` (wall clock ms) passes first; from the applying thread or the
  /// caller's. Expired waiters are answered by `expire_waiters` (the follower
  /// calls it on every poll).
  void when_reached(global_position target, millis deadline, std::function<void(bool)> done);
  void expire_waiters(millis now);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::atomic<global_position> position_{0};
  std::atomic<global_position> start_head_{0};
  void fire_waiters(millis now);
};

/// Follows the log on its own thread: reads read_global pages after the
/// store's position and applies them; polls last_position() when idle. An
/// event the log cannot read is skipped and counted (skip_damaged), so one bad
/// record cannot stop the figures; the loader skips such events too.
class stats_follower {
 public:
  stats_follower(const storage::event_log& log, stats_store& store,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(50), std::size_t page = 1000);
  ~stats_follower();  ///< stop()
  stats_follower(const stats_follower&) = delete;
  stats_follower& operator=(const stats_follower&) = delete;

  void start();
  void stop();
  /// Wakes the follower now (e.g. after a commit).
  void poke();

 private:
  void run();
  const storage::event_log& log_;
  stats_store& store_;
  std::chrono::milliseconds poll_;
  std::size_t page_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, poked_ = false;
  std::thread thread_;
};

/// Parses a window: a positive integer and a unit s, m, h, d or w ("5m", "15m",
/// "1h", "24h", "7d"), at most 366 days. nullopt for anything else.
std::optional<millis> parse_window(std::string_view text);

} // namespace leadbase
