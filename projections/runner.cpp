#include "projections/runner.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <future>
#include <optional>

#include "events/logging.hpp"
#include "events/thread_name.hpp"
#include "events/time.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("projections");
  return logger;
}

using storage::storage_error;

} // namespace

std::string checkpoint_key(const std::string& projection_name) { return "checkpoint/" + projection_name; }
std::string fingerprint_key(const std::string& projection_name) { return "fingerprint/" + projection_name; }
std::string damaged_prefix(const std::string& projection_name) { return "damaged/" + projection_name + "/"; }
/// The end of damaged_prefix's range ('/' + 1 = '0').
std::string damaged_end(const std::string& projection_name) { return "damaged/" + projection_name + "0"; }
std::string damaged_key(const std::string& projection_name, global_position position) {
  return damaged_prefix(projection_name) + storage::keys::be64(position);
}

/// Value of a damage record: [version:be64][lead_id]\0[reason] (lead ids hold no 0x00).
std::string encode_damage(const damaged_record& r) {
  std::string v = storage::keys::be64(r.version);
  v += r.lead_id;
  v.push_back('\0');
  v += r.reason.substr(0, 300);
  return v;
}

namespace {

std::optional<damaged_record> decode_damage(std::string_view key, std::string_view prefix, std::string_view value) {
  if (key.size() != prefix.size() + 8 || value.size() < 9) return std::nullopt;
  damaged_record r;
  r.position = storage::keys::read_be64(key, prefix.size());
  r.version = storage::keys::read_be64(value);
  const auto rest = value.substr(8);
  const auto nul = rest.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  r.lead_id.assign(rest.substr(0, nul));
  r.reason.assign(rest.substr(nul + 1));
  return r;
}

} // namespace

const char* to_string(runner_state s) noexcept {
  switch (s) {
    case runner_state::stopped: return "stopped";
    case runner_state::running: return "running";
    case runner_state::rebuilding: return "rebuilding";
  }
  return "stopped";
}

projection_runner::projection_runner(storage::event_log& log, projection& proj, runner_options opts)
    : log_(log),
      proj_(proj),
      opts_(std::move(opts)),
      checkpoint_key_(checkpoint_key(proj.name())),
      fingerprint_key_(fingerprint_key(proj.name())) {
  if (opts_.page_size == 0) opts_.page_size = 1;
}

result<std::unique_ptr<projection_runner>> projection_runner::open(storage::event_log& log, projection& proj,
                                                                   runner_options opts) {
  std::unique_ptr<projection_runner> r(new projection_runner(log, proj, std::move(opts)));
  auto position = r->read_checkpoint();
  if (!position) return position.err();
  r->position_ = *position;
  if (auto s = r->load_damage(); !s) return s.err();
  return r;
}

status projection_runner::load_damage() {
  const std::string prefix = damaged_prefix(proj_.name());
  uint64_t count = 0;
  std::vector<damaged_record> listed;
  auto scanned = log_.scan_meta(prefix, damaged_end(proj_.name()), [&](std::string_view key, std::string_view value) {
    ++count;
    if (listed.size() >= max_listed_damage) return;
    auto r = decode_damage(key, prefix, value);
    if (!r) {
      damaged_record unknown;
      unknown.reason = "(the damage record itself is unreadable)";
      r = unknown;
    }
    listed.push_back(std::move(*r));
  });
  if (!scanned) return scanned;
  if (count > 0)
    log()->error("projection {}: {} damaged event(s) in the log were skipped (GET /v1/admin/projections lists them)",
                 proj_.name(), count);
  std::lock_guard<std::mutex> lock(damage_mutex_);
  damaged_count_ = count;
  damaged_ = std::move(listed);
  return ok();
}

void projection_runner::remember_damage(std::vector<damage_note>& found) {
  if (found.empty()) return;
  std::lock_guard<std::mutex> lock(damage_mutex_);
  for (auto& n : found) {
    // Positions and a decoder's message only; the lead id (an identifier of a
    // person) at debug, and in the admin report.
    log()->error("projection {}: the event at position {} (version {}) cannot be read and was skipped: {}",
                 proj_.name(), n.record.position, n.record.version, n.record.reason);
    log()->debug("projection {}: the damaged event at position {} is of lead {}", proj_.name(), n.record.position,
                 n.record.lead_id);
    ++damaged_count_;
    if (damaged_.size() < max_listed_damage) damaged_.push_back(std::move(n.record));
  }
}

void projection_runner::note_failure(const std::string& why) {
  std::lock_guard<std::mutex> lock(damage_mutex_);
  if (!failing_since_) failing_since_ = std::chrono::steady_clock::now();
  failure_ = why;
}

result<global_position> projection_runner::read_checkpoint() const {
  auto v = log_.read_meta(checkpoint_key_);
  if (!v) return v.err();
  if (!*v) return global_position{0};
  if ((*v)->size() != 8) return error{errc::corrupt_data, "projection checkpoint has the wrong size"};
  return global_position{storage::keys::read_be64(**v)};
}

projection_runner::~projection_runner() { stop(); }

// -- the thread ---------------------------------------------------------------------

status projection_runner::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return ok();
  auto stored = log_.read_meta(fingerprint_key_);
  if (!stored) return stored.err();
  if (position() > 0 && (!*stored || **stored != proj_.fingerprint())) {
    log()->info("projection {}: settings changed since it was built; rebuilding", proj_.name());
    rebuild_requested_ = true;
  } else if (position() == 0 && opts_.rebuild_beside && log_.last_position() > 0) {
    // Never applied anything (a new projection, or a data dir from `import`):
    // build it whole rather than serve it while it fills page by page.
    log()->info("projection {}: not built yet; building it from the log", proj_.name());
    rebuild_requested_ = true;
  }
  stop_requested_ = false;
  start_head_ = log_.last_position();
  caught_up_ = false;
  {
    std::lock_guard<std::mutex> wl(waiters_mutex_);
    accepting_waiters_ = true;
  }
  {
    std::lock_guard<std::mutex> jl(jobs_mutex_);
    jobs_stop_ = false;
    jobs_running_ = true;
  }
  state_ = rebuild_requested_ ? runner_state::rebuilding : runner_state::running;
  jobs_thread_ = std::thread([this] {
    name_this_thread("lb-maintenance");
    maintenance_loop();
  });
  thread_ = std::thread([this] {
    name_this_thread("lb-" + proj_.name());
    loop();
  });
  log()->info("projection {} started at position {} (head {})", proj_.name(), position(), log_.last_position());
  return ok();
}

void projection_runner::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> wl(waiters_mutex_);
    accepting_waiters_ = false;
  }
  fire_waiters(true);
  {
    std::lock_guard<std::mutex> jl(jobs_mutex_);
    jobs_stop_ = true;
  }
  jobs_cv_.notify_all();
  if (jobs_thread_.joinable()) jobs_thread_.join();
  {
    std::lock_guard<std::mutex> jl(jobs_mutex_);
    jobs_running_ = false;
  }
  state_ = runner_state::stopped;
}

void projection_runner::notify() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void projection_runner::rebuild() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rebuild_requested_ = true;
    notified_ = true;
  }
  wake_.notify_one();
}

void projection_runner::loop() {
  bool logged_failure = false;
  for (;;) {
    bool do_rebuild = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_requested_) break;
      std::swap(do_rebuild, rebuild_requested_);
    }
    if (do_rebuild && opts_.rebuild_beside) {
      state_ = runner_state::rebuilding;
      rebuild_beside_now();
    } else if (do_rebuild) {
      state_ = runner_state::rebuilding;
      if (auto s = clear_now(); !s) {
        log()->error("projection {}: cannot clear for a rebuild: {}", proj_.name(), s.err().message);
        std::lock_guard<std::mutex> lock(mutex_);
        rebuild_requested_ = true;  // try again after the pause below
      } else {
        log()->info("projection {}: rebuilding from position 0 (head {})", proj_.name(), log_.last_position());
      }
    }
    auto n = step();
    if (!n) {
      failed_ = true;
      if (!logged_failure) log()->error("projection {}: page failed: {}", proj_.name(), n.err().message);
      logged_failure = true;
      note_failure(n.err().message);
      // The waiters whose wait_ms is over are answered now, not when (if ever)
      // a page applies again.
      fire_waiters(false);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_requested_; });
      continue;
    }
    if (logged_failure) log()->info("projection {}: pages apply again", proj_.name());
    logged_failure = false;
    failed_ = false;
    {
      std::lock_guard<std::mutex> lock(damage_mutex_);
      failing_since_.reset();
      failure_.clear();
    }
    fire_waiters(false);
    if (*n >= opts_.linger_min_page && *n < opts_.page_size && opts_.linger.count() > 0) {
      const auto deadline = std::chrono::steady_clock::now() + opts_.linger;
      const global_position want = position() + std::max<size_t>(opts_.page_size / 2, 1);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, deadline, [&] {
        return stop_requested_ || rebuild_requested_ || log_.last_position() >= want;
      });
      notified_ = false;
    } else if (*n == 0) {
      if (state_ == runner_state::rebuilding) {
        state_ = runner_state::running;
        log()->info("projection {}: rebuild done at position {}", proj_.name(), position());
      }
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, opts_.idle_poll, [this] { return notified_ || stop_requested_ || rebuild_requested_; });
      notified_ = false;
    }
  }
}

void projection_runner::rebuild_beside_now() {
  log()->info("projection {}: rebuilding beside the serving one (at position {}, head {})", proj_.name(),
              position(), log_.last_position());
  // The build runs on its own thread while this one keeps answering waiters
  // (their timeouts) and watches for stop(); no page is applied meanwhile,
  // so the serving projection stays whole at its checkpoint.
  std::atomic<bool> cancel{false};
  std::mutex m;
  std::condition_variable cv;
  std::optional<result<rebuilt>> out;
  build_progress_ = 0.0;
  auto progress = [this](global_position p, global_position h) {
    build_progress_ = h == 0 ? 1.0 : static_cast<double>(p) / static_cast<double>(h);
  };
  std::thread builder([&] {
    name_this_thread("lb-rebuild");
    auto r = opts_.rebuild_beside(progress, cancel);
    std::lock_guard<std::mutex> lock(m);
    out.emplace(std::move(r));
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(m);
    while (!out) {
      cv.wait_for(lock, std::chrono::milliseconds(50));
      lock.unlock();
      fire_waiters(false);
      {
        std::lock_guard<std::mutex> l(mutex_);
        if (stop_requested_) cancel = true;
      }
      lock.lock();
    }
  }
  builder.join();
  build_progress_ = -1.0;
  result<rebuilt>& r = *out;
  if (!r) {
    log()->error("projection {}: the rebuild failed, the projection is unchanged (position {}): {}", proj_.name(),
                 position(), r.err().message);
    std::lock_guard<std::mutex> lock(mutex_);
    rebuild_error_ = r.err().message;
    return;
  }
  // Before the new position is announced: a reader that waited for it must
  // find what the projection caches about the store (the claim hint) reset.
  proj_.replaced();
  position_.store(r->position, std::memory_order_release);
  pending_since_ = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rebuild_error_.clear();
  }
  log()->info("projection {}: switched to the rebuilt projection at position {}", proj_.name(), r->position);
  // The switch replaced the damage records with the ones the new build made
  // (what it skipped); the list in memory follows them.
  if (auto s = load_damage(); !s)
    log()->warn("projection {}: cannot read the rebuilt projection's damage records: {}", proj_.name(),
                s.err().message);
  if (r->cleanup)
    run_maintenance([cleanup = std::move(r->cleanup), name = proj_.name()] {
      if (auto s = cleanup(); !s) log()->warn("projection {}: cleaning up after the rebuild: {}", name, s.err().message);
    });
}

// -- synchronous -------------------------------------------------------------------

result<size_t> projection_runner::step() {
  const global_position head = log_.last_position();
  const global_position pos = position();
  if (pos >= head) {
    pending_since_ = -1;
    return size_t{0};
  }
  auto page = log_.read_global(pos, opts_.page_size + 1, storage::event_log::hashes::skip, storage::on_damage::mark);
  if (!page) return page.err();
  auto& events = *page;
  if (events.empty()) return size_t{0};
  int64_t next_pending = -1;
  if (events.size() > opts_.page_size) {
    if (!events.back().damaged()) next_pending = events.back().ev.meta.recorded_at;
    events.pop_back();
  }
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].ev.meta.position != pos + 1 + i)
      return error{errc::corrupt_data, "the global log has a gap at position " + std::to_string(pos + 1 + i)};
  const size_t page_events = events.size();
  const global_position last = events.back().ev.meta.position;

  // Damaged events are recorded, in this page's batch, instead of applied.
  std::vector<damage_note> found;
  for (auto& se : events) {
    if (!se.damaged()) continue;
    damage_note n;
    n.record = damaged_record{se.ev.meta.position, se.ev.meta.lead_id, se.ev.meta.version, se.damage};
    n.key = damaged_key(proj_.name(), se.ev.meta.position);
    n.value = encode_damage(n.record);
    found.push_back(std::move(n));
  }
  if (!found.empty())
    events.erase(std::remove_if(events.begin(), events.end(), [](const auto& se) { return se.damaged(); }),
                 events.end());
  pending_since_ = events.empty() ? -1 : events.front().ev.meta.recorded_at;

  rocksdb::WriteBatch batch;
  if (!events.empty()) {
    if (auto s = proj_.apply(events, batch); !s) return s.err();
  }
  for (const auto& n : found) {
    auto s = batch.Put(log_.cf(storage::key_space::meta), n.key, n.value);
    if (!s.ok()) return storage_error(s, "batch damage record");
  }
  auto s = batch.Put(log_.cf(storage::key_space::meta), checkpoint_key_, storage::keys::be64(last));
  if (s.ok() && pos == 0) s = batch.Put(log_.cf(storage::key_space::meta), fingerprint_key_, proj_.fingerprint());
  if (!s.ok()) return storage_error(s, "batch checkpoint");
  // Not synced: a crash loses a suffix of pages together with their checkpoint,
  // which the next run applies again. The log's own synced writes sync the WAL.
  if (auto written = log_.write(batch, "write projection page"); !written) return written.err();
  // The projection's in-memory part (the claim hint, the stats cache) first:
  // a reader that sees the position (min_position, claim next) sees the page.
  proj_.committed();
  position_.store(last, std::memory_order_release);
  pending_since_ = next_pending;
  remember_damage(found);
  return page_events;
}

status projection_runner::clear_now() {
  rocksdb::WriteBatch batch;
  if (auto s = proj_.clear(batch); !s) return s;
  auto s = batch.Delete(log_.cf(storage::key_space::meta), checkpoint_key_);
  if (!s.ok()) return storage_error(s, "batch checkpoint delete");
  s = batch.Put(log_.cf(storage::key_space::meta), fingerprint_key_, proj_.fingerprint());
  if (!s.ok()) return storage_error(s, "batch fingerprint");
  // The replay meets the damage again (or not, if it was repaired meanwhile).
  s = batch.DeleteRange(log_.cf(storage::key_space::meta), damaged_prefix(proj_.name()), damaged_end(proj_.name()));
  if (!s.ok()) return storage_error(s, "batch damage records delete");
  if (auto written = log_.write(batch, "clear projection"); !written) return written;
  proj_.replaced();
  position_.store(0, std::memory_order_release);
  pending_since_ = -1;
  std::lock_guard<std::mutex> lock(damage_mutex_);
  damaged_count_ = 0;
  damaged_.clear();
  return ok();
}

status projection_runner::rebuild_offline(const std::function<void(global_position, global_position)>& progress) {
  if (opts_.rebuild_beside) {
    const std::atomic<bool> never{false};
    auto reached = opts_.rebuild_beside(progress, never);
    pending_since_ = -1;
    if (reached) {
      proj_.replaced();
      position_.store(reached->position, std::memory_order_release);
      // The new projection came with its own damage records (what its build skipped).
      if (auto s = load_damage(); !s) return s;
      if (reached->cleanup) return reached->cleanup();
      return ok();
    }
    // The projection is as it was. What a whole-log build cannot get past
    // (e.g. the events family and the global index disagree), the page
    // replay below may: it skips and records what it cannot read.
    if (reached.err().code != errc::corrupt_data) return reached.err();
    log()->warn("projection {}: the rebuild beside met damage ({}); replaying page by page instead", proj_.name(),
                reached.err().message);
  }
  if (auto s = clear_now(); !s) return s;
  const global_position head = log_.last_position();
  if (progress) progress(0, head);
  while (position() < head) {
    auto n = step();
    if (!n) return n.err();
    if (*n == 0) break;
    if (progress) progress(position(), head);
  }
  return ok();
}

status projection_runner::catch_up() {
  const global_position head = log_.last_position();
  while (position() < head) {
    auto n = step();
    if (!n) return n.err();
    if (*n == 0) break;
  }
  return ok();
}

// -- state and waiting ------------------------------------------------------------------

runner_info projection_runner::info() const {
  runner_info i;
  i.name = proj_.name();
  i.position = position();
  i.head = std::max(log_.last_position(), i.position);
  i.lag_events = i.head - i.position;
  i.state = state_.load();
  i.failed = failed_.load();
  // Latched: a later online rebuild serves the old projection whole meanwhile.
  if (!caught_up_ && i.state == runner_state::running && i.position >= start_head_.load()) caught_up_ = true;
  i.caught_up = caught_up_;
  {
    std::lock_guard<std::mutex> lock(damage_mutex_);
    i.damaged_events = damaged_count_;
    i.damaged = damaged_;
    if (failing_since_) {
      i.failing_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - *failing_since_).count();
      i.failure = failure_;
    }
  }
  i.progress = i.head == 0 ? 1.0 : static_cast<double>(i.position) / static_cast<double>(i.head);
  if (const double building = build_progress_.load(); building >= 0) i.progress = building;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    i.rebuild_error = rebuild_error_;
  }
  if (i.lag_events > 0) {
    int64_t since = pending_since_.load();
    if (since < 0) {
      auto next = log_.read_global(i.position, 1, storage::event_log::hashes::skip, storage::on_damage::mark);
      if (next && !next->empty() && !next->front().damaged()) since = next->front().ev.meta.recorded_at;
    }
    if (since >= 0) i.lag_seconds = std::max<double>(0.0, static_cast<double>(now_millis() - since) / 1000.0);
  }
  return i;
}

void projection_runner::when_reached(global_position n, std::chrono::milliseconds timeout,
                                     std::function<void(bool)> cb) {
  if (position() >= n) return cb(true);
  {
    std::lock_guard<std::mutex> lock(waiters_mutex_);
    if (accepting_waiters_ && waiters_.size() < opts_.max_waiters) {
      waiters_.emplace(n, waiter{std::chrono::steady_clock::now() + timeout, std::move(cb)});
      return;
    }
  }
  cb(position() >= n);
}

status projection_runner::wait_for(global_position n, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<bool>>();
  auto fut = done->get_future();
  when_reached(n, timeout, [done](bool reached) { done->set_value(reached); });
  if (fut.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready || !fut.get())
    return error{errc::timeout, "the projection did not reach position " + std::to_string(n) + " in time"};
  return ok();
}

void projection_runner::fire_waiters(bool stopping) {
  std::vector<std::pair<std::function<void(bool)>, bool>> due;
  {
    std::lock_guard<std::mutex> lock(waiters_mutex_);
    if (waiters_.empty()) return;
    const global_position pos = position();
    const auto now = std::chrono::steady_clock::now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      const bool reached = it->first <= pos;
      if (reached || stopping || it->second.deadline <= now) {
        due.emplace_back(std::move(it->second.cb), reached);
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [cb, reached] : due) cb(reached);
}

void projection_runner::run_maintenance(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    if (jobs_running_ && !jobs_stop_) {
      jobs_.push_back(std::move(job));
      jobs_cv_.notify_one();
      return;
    }
  }
  job();  // no maintenance thread: run it here
}

void projection_runner::maintenance_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(jobs_mutex_);
      jobs_cv_.wait(lock, [this] { return jobs_stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

} // namespace leadbase::projections
