#pragma once
// The projection runner (docs/design.md, the read path): tails the global log from
// its checkpoint and applies every event to one projection, exactly once.
//
// Operation
//   A page (read_global(position, page_size)) is applied to the projection, and
//   its rows, index changes and the new checkpoint (meta `checkpoint/<name>`)
//   are written in ONE WriteBatch. A crash keeps all of a page or none of it, and
//   the checkpoint says which: no event is applied twice, none is skipped.
//   The thread wakes on notify() (the app calls it after a commit) or polls
//   last_position() every idle_poll.
//   Rebuild (online, rebuild(); offline, rebuild_offline()): with
//   runner_options::rebuild_beside (lead_views: projections/bulk_rebuild.hpp)
//   the new projection is built beside the one that serves, from a snapshot
//   of the log at position P, and swapped in atomically with checkpoint P;
//   reads serve the old projection, whole, until then (it is not advanced
//   meanwhile, so its position never goes back: P >= the old checkpoint), and
//   the events appended during the build are applied after the switch, from
//   P, as any others. A crash or a failure before the switch leaves the old
//   projection serving; its leftovers are cleaned up afterwards (the cleanup
//   the rebuilder returns, on the maintenance thread). min_position waits and
//   timeouts are still answered while it builds. Without rebuild_beside the
//   projection's key ranges and the checkpoint are deleted in one batch and
//   the log replayed from position 0: reads then see a partial projection.
//   The projection's fingerprint (its settings, e.g. the priority weights) is
//   kept in meta `fingerprint/<name>`; when it changed since the last run,
//   start() rebuilds, the same way; with rebuild_beside it also builds a
//   projection that never applied anything (checkpoint 0) on a non-empty log,
//   instead of serving one that fills page by page.
//   Lag: events = head − position; seconds ≈ now − recorded_at of the oldest
//   event not yet applied (0 when caught up).
//   Damage: an event the log cannot read (stored_event::damage: corrupt bytes,
//   failed verification or unsealing, a missing record) is not applied; it is
//   recorded under meta `damaged/<name>/<position:be64>` in the page's batch
//   (so a restart keeps the record and never meets it again), logged once, and
//   the runner goes on: one bad record cannot stop the projection for every
//   other lead. info() lists the records; a rebuild clears and re-finds them.
//   Events that read fine but break the hash chain are not the runner's to
//   find (it skips the hashes): history, replay, as-of and verify check the chain.
//   Waiters: a page that fails still expires the waiters whose time is up, so
//   a read with min_position never waits past its wait_ms.
//
// Concurrency: start/stop/notify/rebuild/info/when_reached/wait_for are
//   thread-safe. when_reached callbacks run on the runner thread (or on the
//   caller's when already reached): keep them short.
//
// Limitations: one projection per runner; erase compaction runs on a small
//   maintenance thread owned by the runner.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "events/errc.hpp"
#include "storage/event_log.hpp"

namespace rocksdb {
class WriteBatch;
} // namespace rocksdb

namespace leadbase::projections {

/// What a runner drives: (view, event) → view, plus its store.
class projection {
 public:
  virtual ~projection() = default;
  virtual std::string name() const = 0;
  /// Its settings; a change means the stored projection is stale (rebuild).
  virtual std::string fingerprint() const = 0;
  /// Adds the effect of `events` (in global order; damaged events, which the
  /// runner records instead, are left out) to `batch`.
  /// Reads committed state only (everything before events.front()).
  virtual status apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) = 0;
  /// Adds the deletion of every key it owns to `batch`.
  virtual status clear(rocksdb::WriteBatch& batch) = 0;
  /// Called after a batch from apply() was written, before the runner's
  /// position() says so (a reader that waited for the position sees it).
  virtual void committed() {}
  /// Called after the whole store was replaced or cleared (a rebuild switched
  /// in, a replay from 0): what the projection cached about it is stale.
  virtual void replaced() {}
};

/// The meta keys a runner keeps for a projection: its position and its settings.
std::string checkpoint_key(const std::string& projection_name);
std::string fingerprint_key(const std::string& projection_name);
/// The meta key range [damaged_prefix, damaged_end) of a projection's damage
/// records (key: the prefix + position:be64).
std::string damaged_prefix(const std::string& projection_name);
std::string damaged_end(const std::string& projection_name);

/// An event a projection skipped because the log cannot read it.
struct damaged_record {
  global_position position = 0;
  std::string lead_id;       ///< empty when even the global index entry is unreadable
  lead_version version = 0;  ///< 0 when unknown
  std::string reason;
};
/// A damage record's meta key and value, as the runner writes and reads them
/// (a rebuild beside writes its own with the projection it builds).
std::string damaged_key(const std::string& projection_name, global_position position);
std::string encode_damage(const damaged_record& r);

/// (events done so far, last position)
using rebuild_progress = std::function<void(global_position, global_position)>;

/// What a rebuild beside the serving projection did.
struct rebuilt {
  global_position position = 0;      ///< the new projection's checkpoint
  std::function<status()> cleanup;   ///< reclaims what it replaced (may be empty); any thread, later
};

/// Builds the projection beside the one that serves and swaps it in
/// atomically (e.g. projections/bulk_rebuild.hpp for lead_views): readers see
/// the old projection or the new one, never a mix or a part; on failure the
/// old one is left as it was. It must leave the projection, its checkpoint and
/// its fingerprint exactly as a replay from 0 would, return the position
/// reached, and give up soon after `cancel` turns true. `progress` as
/// rebuild_offline's.
using atomic_rebuilder = std::function<result<rebuilt>(const rebuild_progress& progress,
                                                       const std::atomic<bool>& cancel)>;

enum class runner_state : uint8_t { stopped, running, rebuilding };
const char* to_string(runner_state s) noexcept;

struct runner_options {
  size_t page_size = 1000;
  std::chrono::milliseconds idle_poll{5};
  /// Under load (the last page had at least linger_min_page events but was not
  /// full) the runner waits up to `linger` for half a page before the next one:
  /// fuller pages fold a lead's signup and its next events into one write of
  /// its row and index keys, and insert more keys in order. Bounds the extra
  /// projection lag under load; a quiet log is applied at once.
  std::chrono::milliseconds linger{20};
  size_t linger_min_page = 64;
  size_t max_waiters = 10000;  ///< when_reached beyond this answers false at once
  /// When set, every rebuild (online, offline, at start-up) uses it instead
  /// of clearing the projection and replaying page by page.
  atomic_rebuilder rebuild_beside;
};

struct runner_info {
  std::string name;
  global_position position = 0;
  global_position head = 0;
  uint64_t lag_events = 0;
  double lag_seconds = 0;
  runner_state state = runner_state::stopped;
  double progress = 1.0;  ///< position / head (1 when the log is empty); while a rebuild beside
                          ///< builds, the share of the log it has folded
  /// It has applied the log's head as of its start (and any start-up rebuild
  /// swapped in): until then it serves part of the log (actors/health.hpp).
  bool caught_up = false;
  bool failed = false;    ///< the last page failed (storage error); it is retried
  std::string rebuild_error;  ///< why the last rebuild beside failed (the old projection serves); empty if none
  double failing_seconds = 0;  ///< how long pages have been failing (0 when the last one applied)
  std::string failure;         ///< the failing page's error, while failed
  uint64_t damaged_events = 0;           ///< events skipped as damaged (see damaged_record)
  std::vector<damaged_record> damaged;   ///< the first max_listed_damage of them, by position
};

/// How many damage records runner_info lists (the count covers them all).
inline constexpr size_t max_listed_damage = 100;

class projection_runner {
 public:
  /// Loads the checkpoint. The log and the projection outlive the runner.
  static result<std::unique_ptr<projection_runner>> open(storage::event_log& log, projection& proj,
                                                         runner_options opts = {});
  ~projection_runner();  ///< stop()
  projection_runner(const projection_runner&) = delete;
  projection_runner& operator=(const projection_runner&) = delete;

  // -- the thread ---------------------------------------------------------------
  /// Starts the thread (rebuilds first when the fingerprint changed). Idempotent.
  status start();
  /// Stops and joins the thread; pending waiters are answered false. Idempotent.
  void stop();
  /// New events exist: wake now instead of at the next poll.
  void notify();
  /// Online rebuild (the thread does it; start() must have run): beside the
  /// serving projection with rebuild_beside, else clear and replay from 0.
  void rebuild();

  // -- synchronous use (offline tools, tests; only while the thread is not running)
  /// Applies at most one page; returns the number of events applied.
  result<size_t> step();
  /// Clears the projection and replays the whole log; `progress(position, head)`
  /// is called after every page. With runner_options::rebuild_beside, that
  /// does the rebuild instead (and calls `progress` as it documents), then its
  /// cleanup.
  status rebuild_offline(const std::function<void(global_position, global_position)>& progress = {});
  /// step() until the head that was current when called.
  status catch_up();

  // -- state ----------------------------------------------------------------------
  global_position position() const noexcept { return position_.load(std::memory_order_acquire); }
  runner_info info() const;

  /// Calls `cb(true)` once the projection has applied position `n`, or
  /// `cb(false)` after `timeout`, when the runner stops, or when too many wait.
  void when_reached(global_position n, std::chrono::milliseconds timeout, std::function<void(bool)> cb);
  /// Blocks until position `n` is applied; errc::timeout otherwise. Never call it
  /// from a when_reached callback.
  status wait_for(global_position n, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  /// Runs `job` on the runner's maintenance thread (e.g. a compaction after an
  /// erasure); jobs still queued at stop() run before it returns.
  void run_maintenance(std::function<void()> job);

 private:
  projection_runner(storage::event_log& log, projection& proj, runner_options opts);
  void loop();
  status clear_now();
  result<global_position> read_checkpoint() const;
  void fire_waiters(bool stopping);
  void maintenance_loop();
  /// The online rebuild with rebuild_beside, on the runner's thread.
  void rebuild_beside_now();
  status load_damage();
  void note_failure(const std::string& why);

  struct damage_note {
    damaged_record record;
    std::string key, value;
  };
  void remember_damage(std::vector<damage_note>& found);

  storage::event_log& log_;
  projection& proj_;
  runner_options opts_;
  std::string checkpoint_key_, fingerprint_key_;

  std::atomic<global_position> position_{0};
  std::atomic<runner_state> state_{runner_state::stopped};
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> pending_since_{-1};  ///< recorded_at of the next unapplied event read, or -1
  std::atomic<double> build_progress_{-1};   ///< a rebuild beside is building: its progress, else -1
  std::atomic<global_position> start_head_{0};  ///< the log's head when start() ran
  mutable std::atomic<bool> caught_up_{false};  ///< start_head_ applied since start(); latched

  mutable std::mutex damage_mutex_;
  uint64_t damaged_count_ = 0;
  std::vector<damaged_record> damaged_;  ///< the first max_listed_damage, by position
  std::optional<std::chrono::steady_clock::time_point> failing_since_;  ///< under damage_mutex_
  std::string failure_;                                                 ///< under damage_mutex_

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool rebuild_requested_ = false;
  std::string rebuild_error_;  ///< guarded by mutex_
  bool notified_ = false;
  std::thread thread_;

  struct waiter {
    std::chrono::steady_clock::time_point deadline;
    std::function<void(bool)> cb;
  };
  std::mutex waiters_mutex_;
  std::multimap<global_position, waiter> waiters_;
  bool accepting_waiters_ = false;

  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  bool jobs_stop_ = false;
  bool jobs_running_ = false;
  std::thread jobs_thread_;
};

} // namespace leadbase::projections
