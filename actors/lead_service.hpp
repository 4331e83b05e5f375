#pragma once
// The write side as the HTTP layer and the importer see it: plain C++, no CAF
// in this header, so that http/ and app/ compile without CAF's headers.
// actors/lead_service.cpp implements it with the lead actors and the journal.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>
#include <memory>
#include <string>
#include <variant>

#include "events/decide.hpp"
#include "events/errc.hpp"

namespace leadbase {

/// The answer to one append: accepted, a duplicate of a stored event, or an error.
struct append_outcome {
  errc code = errc::success;
  std::string message;           // for errors
  bool duplicate = false;
  lead_version version = 0;
  global_position position = 0;
};

using append_callback = std::function<void(append_outcome)>;

/// A person's work on one lead (docs/domain.md "Working the leads").
using work_command = std::variant<claim, release, log_contact, assign>;

/// The answer to a work command: the append's outcome and, on success, the
/// lead's state after it (what the view of the answer shows, without waiting
/// for the projection).
struct work_outcome {
  append_outcome result;
  std::optional<lead_state> state;
};
using work_callback = std::function<void(work_outcome)>;

/// Figures the journal keeps, for /metrics and the benchmarks. Read with relaxed loads.
struct journal_stats {
  std::atomic<uint64_t> batches{0};        // synced writes
  std::atomic<uint64_t> events{0};         // appends written (requests, one per lead and write)
  std::atomic<uint64_t> write_ns{0};       // total time in synced writes
  std::atomic<uint64_t> max_batch_seen{0};
  std::atomic<size_t> queued{0};           // appends waiting for the next write
  /// Batch-size histogram: bucket i counts writes of at most batch_buckets[i] appends.
  static constexpr std::array<uint64_t, 8> batch_buckets = {1, 4, 16, 64, 256, 1024, 4096, UINT64_MAX};
  std::array<std::atomic<uint64_t>, 8> batch_hist{};
  /// Write-latency histogram (seconds upper bounds), for fsync latency.
  static constexpr std::array<double, 10> latency_buckets_s = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                               0.025,  0.05,  0.1,    0.25,  1e300};
  std::array<std::atomic<uint64_t>, 10> latency_hist{};
};

/// One Creator Discovery provider as /metrics shows it.
struct provider_status {
  leadbase::network network = leadbase::network::unknown;
  std::string breaker;  // closed, open, half_open
  uint64_t calls = 0;   // real calls made
  uint64_t successes = 0;
  std::map<std::string, uint64_t> failures;  // by error class
  uint64_t fail_fast = 0;                    // refused while the circuit was open
  uint64_t breaker_opened = 0;               // times it opened
  size_t in_flight = 0;
  size_t queued = 0;
};

class lead_service {
 public:
  virtual ~lead_service() = default;

  /// Routes the command to its lead's actor. `done` is called exactly once, on
  /// some other thread, and only after the event is durable (or was refused).
  /// When more than the configured number of appends are in flight, `done` is
  /// called at once with errc::overloaded and nothing is appended.
  virtual void append(append_command cmd, append_callback done) = 0;

  /// Appends `erased` and destroys the lead's data key (LGPD art. 18).
  virtual void erase(std::string lead_id, std::string reason, std::string requested_by,
                     std::string correlation_id, append_callback done) = 0;

  /// Asks the lead for a new enrichment attempt now.
  virtual void retry_enrichment(std::string lead_id, append_callback done) = 0;

  /// A claim, release or contact for `lead_id`, decided by the lead (events/decide.hpp).
  /// `done` is called exactly once, on some other thread, after the event is
  /// durable or the command was refused. The default refuses (for test doubles).
  virtual void work(std::string lead_id, work_command cmd, work_callback done) {
    (void)lead_id;
    (void)cmd;
    done(work_outcome{append_outcome{errc::internal, "work is not supported here", false, 0, 0}, std::nullopt});
  }

  /// Appends currently waiting for the journal (for backpressure and metrics).
  virtual size_t in_flight() const = 0;
  /// Lead actors currently alive.
  virtual size_t live_leads() const = 0;
  /// The journal's counters.
  virtual const journal_stats& journal() const = 0;
  /// Every configured Creator Discovery provider.
  virtual std::vector<provider_status> providers() const = 0;
  /// Leads with a retry or refresh scheduled (the retry backlog).
  virtual size_t scheduled_work() const = 0;
  /// Why the service cannot take writes: one of its core actors (journal,
  /// registry, scheduler, enrichment) stopped while the service runs, e.g.
  /// after an exception. Appends then answer errors (never hang); readiness
  /// reports this until a restart. nullopt while all of them run.
  virtual std::optional<std::string> failure() const { return std::nullopt; }
};

} // namespace leadbase
