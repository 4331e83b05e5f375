#include "projections/stats.hpp"

#include <algorithm>
#include <cmath>
#include <list>
#include <unordered_map>

#include "events/logging.hpp"
#include "events/thread_name.hpp"
#include "events/time.hpp"
#include "projections/priority.hpp"
#include "storage/lead_scan.hpp"
#include "storage/event_log.hpp"

namespace leadbase {

static_assert(sizeof(lead_summary) == 32, "lead_summary is meant to stay compact");

// -- the pure part ------------------------------------------------------------------

std::string final_failure_class(const lead_state& s) {
  for (const auto& [network, progress] : s.enrichment)
    if (progress.state == enrichment_state::failed) return progress.last_error ? to_string(*progress.last_error) : "";
  return {};
}

lead_summary summarise(const lead_summary& before, const lead_state& after, const event& e,
                       const priority_options& priority, const std::string& rules_version) {
  lead_summary out;
  out.signup_at = after.signup_recorded_at;
  out.final_at = after.final_at.value_or(0);
  out.coverage = static_cast<float>(coverage(after));
  out.status = after.status;
  out.enrichment = after.overall_enrichment();
  out.enrichment_end_at = before.enrichment_end_at;
  const bool ended_now = out.enrichment == enrichment_state::succeeded || out.enrichment == enrichment_state::failed;
  const bool ended_before =
      before.enrichment == enrichment_state::succeeded || before.enrichment == enrichment_state::failed;
  if (ended_now && (!ended_before || out.enrichment != before.enrichment)) {
    // Ended now, or ended otherwise than before (a failed lead retried by an admin, then enriched).
    // An erasure that cuts a pending enrichment short is no outcome of it.
    out.enrichment_end_at = e.type() == event_type::erased ? 0 : e.meta.recorded_at;
  }
  if (auto p = prioritise(after, priority, rules_version))
    out.team = p->team == "sdr" ? queue_team::sdr : queue_team::ldr;
  return out;
}

// -- the store ------------------------------------------------------------------------

namespace {

/// Keeps personal data out of the cache: stats only ask whether a field is there.
void strip(lead_state& s) {
  auto mark = [](std::string& f) {
    if (!f.empty()) f = "*";
  };
  mark(s.contact.email);
  mark(s.contact.name);
  mark(s.contact.phone);
  mark(s.contact.document);
  mark(s.contact.social.instagram);
  mark(s.contact.social.youtube);
  mark(s.contact.social.tiktok);
  s.contact.source = {};
  for (auto& [network, prof] : s.social) mark(prof.handle);
  s.seen.clear();
  s.seen.shrink_to_fit();
  s.instagram_followers.clear();
  s.instagram_followers.shrink_to_fit();
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// lead id -> summary index, open addressing over an id arena.
class lead_index {
 public:
  /// The index of `id`, inserting a default summary when new.
  uint32_t find_or_insert(std::string_view id, bool& inserted) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = fnv1a(id) & mask;; i = (i + 1) & mask) {
      uint32_t slot = slots_[i];
      if (slot == 0) {
        uint32_t idx = static_cast<uint32_t>(keys_.size());
        keys_.push_back({static_cast<uint32_t>(arena_.size()), static_cast<uint8_t>(std::min<size_t>(id.size(), 255))});
        arena_.append(id.data(), keys_.back().len);
        summaries.emplace_back();
        slots_[i] = idx + 1;
        ++count_;
        inserted = true;
        return idx;
      }
      if (key(slot - 1) == id.substr(0, 255)) {
        inserted = false;
        return slot - 1;
      }
    }
  }
  size_t size() const noexcept { return count_; }
  size_t memory_bytes() const noexcept {
    return summaries.capacity() * sizeof(lead_summary) + keys_.capacity() * sizeof(key_ref) +
           slots_.capacity() * sizeof(uint32_t) + arena_.capacity();
  }

  std::vector<lead_summary> summaries;

 private:
  struct key_ref {
    uint32_t offset;
    uint8_t len;
  };
  std::string_view key(uint32_t idx) const { return std::string_view(arena_).substr(keys_[idx].offset, keys_[idx].len); }
  void grow() {
    std::vector<uint32_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    size_t mask = slots_.size() - 1;
    for (uint32_t slot : old) {
      if (slot == 0) continue;
      size_t i = fnv1a(key(slot - 1)) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }
  std::vector<uint32_t> slots_;
  std::vector<key_ref> keys_;
  std::string arena_;
  size_t count_ = 0;
};

/// LRU cache of stripped lead states.
class state_cache {
 public:
  explicit state_cache(size_t capacity) : capacity_(capacity) {}
  lead_state* find(const std::string& id) {
    auto it = map_.find(id);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  lead_state& put(const std::string& id, lead_state s) {
    auto [it, inserted] = map_.try_emplace(id);
    if (!inserted) {
      it->second->second = std::move(s);
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
    order_.emplace_front(id, std::move(s));
    it->second = order_.begin();
    if (capacity_ != 0 && order_.size() > capacity_) {
      map_.erase(order_.back().first);
      order_.pop_back();
    }
    return order_.front().second;
  }
  size_t size() const noexcept { return order_.size(); }

 private:
  size_t capacity_;  // 0 = unbounded
  std::list<std::pair<std::string, lead_state>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, lead_state>>::iterator> map_;
};

constexpr size_t max_classes = 255;  // index 0 = none

} // namespace

struct stats_store::impl {
  stats_options opts;
  lead_state_loader loader;
  mutable std::shared_mutex mutex;
  lead_index index;
  state_cache cache;
  std::vector<std::string> classes{""};  // interned error classes
  stats_counters c;                      // kept incrementally (memory_bytes, leads at read time)

  std::mutex waiters_mutex;
  struct waiter {
    global_position target;
    millis deadline;
    std::function<void(bool)> done;
  };
  std::vector<waiter> waiters;

  impl(stats_options o, lead_state_loader l)
      : opts(std::move(o)), loader(std::move(l)), cache(loader ? opts.state_cache : 0) {}

  uint8_t intern(const std::string& cls) {
    if (cls.empty()) return 0;
    for (size_t i = 1; i < classes.size(); ++i)
      if (classes[i] == cls) return static_cast<uint8_t>(i);
    if (classes.size() >= max_classes - 1) {
      auto it = std::find(classes.begin(), classes.end(), "other");
      if (it != classes.end()) return static_cast<uint8_t>(it - classes.begin());
      classes.push_back("other");
      return static_cast<uint8_t>(classes.size() - 1);
    }
    classes.push_back(cls);
    return static_cast<uint8_t>(classes.size() - 1);
  }

  /// Adds (sign +1) or removes (-1) a summary's contribution to the gauges.
  void account(const lead_summary& s, int sign) {
    auto add = [sign](uint64_t& v, uint64_t n = 1) { v = sign > 0 ? v + n : v - n; };
    if (s.status == lead_status::none) return;
    add(c.leads_by_status[static_cast<size_t>(s.status)]);
    if (s.signup_at != 0) {
      if (s.enrichment == enrichment_state::pending) add(c.enrichment_pending);
      if (s.enrichment == enrichment_state::retry_scheduled) add(c.enrichment_retrying);
      if (s.status != lead_status::erased) {
        add(c.coverage_leads);
        if (s.coverage >= 1.0f) add(c.coverage_complete);
        c.coverage_sum += sign * static_cast<double>(s.coverage);
      }
    }
    if (s.team == queue_team::sdr) add(c.queue_sdr);
    if (s.team == queue_team::ldr) add(c.queue_ldr);
  }

  void count_transitions(const lead_summary& before, const lead_summary& after, const event& e) {
    if (before.signup_at == 0 && after.signup_at != 0) ++c.signups_total;
    if (after.enrichment_ended() &&
        (after.enrichment_end_at != before.enrichment_end_at || after.enrichment != before.enrichment)) {
      if (after.enrichment == enrichment_state::succeeded) ++c.enrichment_succeeded_total;
      else ++c.enrichment_failed_total;
    }
    if (before.final_at == 0 && after.final_at != 0 && after.signup_at != 0) {
      const double secs = static_cast<double>(after.final_at - after.signup_at) / 1000.0;
      for (size_t b = 0; b < processing_buckets_s.size(); ++b)
        if (secs <= processing_buckets_s[b]) ++c.processing_buckets[b];
      ++c.processing_buckets.back();
      c.processing_sum_s += secs;
      ++c.processing_count;
    }
    if (const auto* f = std::get_if<enrichment_failed>(&e.data)) {
      const bool final = !(f->retryable && f->next_attempt_at);
      ++c.failed_attempts_total[{classes[intern(to_string(f->error_class))], final}];
    }
  }

  status apply_one(const event& e) {
    const std::string& id = e.meta.lead_id;
    lead_state* s = cache.find(id);
    if (s == nullptr) {
      if (e.meta.version <= 1 || !loader) {
        s = &cache.put(id, initial(id));
      } else {
        auto loaded = loader(id, e.meta.position);
        if (!loaded) return loaded.err();
        strip(*loaded);
        s = &cache.put(id, std::move(*loaded));
      }
    }
    evolve(*s, e);
    strip(*s);
    bool inserted = false;
    uint32_t idx = index.find_or_insert(id, inserted);
    lead_summary before = index.summaries[idx];
    lead_summary after = summarise(before, *s, e, opts.priority, opts.rules_version);
    if (after.enrichment == enrichment_state::failed) {
      after.fail_class = intern(final_failure_class(*s));
      if (after.fail_class == 0) after.fail_class = intern("unknown");
    }
    account(before, -1);
    account(after, +1);
    count_transitions(before, after, e);
    index.summaries[idx] = after;
    return ok();
  }
};

stats_store::stats_store(stats_options opts, lead_state_loader loader)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(loader))) {}
stats_store::~stats_store() = default;

status stats_store::apply(const event& e) { return apply(std::vector<event>{e}); }

status stats_store::apply(const std::vector<event>& events) {
  status result = ok();
  {
    std::unique_lock lock(impl_->mutex);
    for (const auto& e : events) {
      const global_position at = position_.load(std::memory_order_relaxed);
      if (e.meta.position != 0 && e.meta.position <= at) continue;
      if (auto s = impl_->apply_one(e); !s) {
        result = s;
        break;
      }
      if (e.meta.position != 0) position_.store(e.meta.position, std::memory_order_release);
    }
    impl_->c.position = position_.load(std::memory_order_relaxed);
  }
  fire_waiters(now_millis());
  return result;
}

status stats_store::load(const event& e) {
  std::unique_lock lock(impl_->mutex);
  return impl_->apply_one(e);
}

void stats_store::skip_damaged(global_position position) {
  {
    std::unique_lock lock(impl_->mutex);
    if (position != 0 && position <= position_.load(std::memory_order_relaxed)) return;  // met before
    ++impl_->c.damaged_events;
    if (position != 0) position_.store(position, std::memory_order_release);
    impl_->c.position = position_.load(std::memory_order_relaxed);
  }
  fire_waiters(now_millis());
}

void stats_store::note_damaged() {
  std::unique_lock lock(impl_->mutex);
  ++impl_->c.damaged_events;
}

void stats_store::finish_load(global_position position) {
  {
    std::unique_lock lock(impl_->mutex);
    position_.store(position, std::memory_order_release);
    impl_->c.position = position;
  }
  fire_waiters(now_millis());
}

stats_report stats_store::report(millis window_ms, millis now) const {
  stats_report r;
  const millis since = now - window_ms;
  auto in_window = [&](millis t) { return t != 0 && t > since && t <= now; };
  std::vector<int64_t> processing;
  std::vector<uint64_t> by_class;
  std::shared_lock lock(impl_->mutex);
  by_class.assign(impl_->classes.size(), 0);
  r.position = position_.load(std::memory_order_acquire);
  const stats_counters& c = impl_->c;
  r.signups_total = c.signups_total;
  r.retrying = c.enrichment_retrying;
  r.queue_sdr = c.queue_sdr;
  r.queue_ldr = c.queue_ldr;
  if (c.coverage_leads > 0) {
    r.coverage_complete_ratio = static_cast<double>(c.coverage_complete) / static_cast<double>(c.coverage_leads);
    // Per-lead coverage is kept as a float (k/9 to 7 digits): 6 decimals are exact.
    r.coverage_mean = std::round(c.coverage_sum / static_cast<double>(c.coverage_leads) * 1e6) / 1e6;
  }
  double processing_sum = 0;
  for (const lead_summary& s : impl_->index.summaries) {
    if (in_window(s.signup_at)) ++r.signups_in_window;
    if (s.enrichment_ended() && in_window(s.enrichment_end_at)) {
      if (s.enrichment == enrichment_state::succeeded) {
        ++r.succeeded;
      } else {
        ++r.failed;
        ++by_class[s.fail_class];
      }
    }
    if (s.signup_at != 0 && in_window(s.final_at)) {
      processing.push_back(s.final_at - s.signup_at);
      processing_sum += static_cast<double>(s.final_at - s.signup_at);
    }
  }
  for (size_t i = 0; i < by_class.size(); ++i)
    if (by_class[i] != 0) r.failures_by_class[impl_->classes[i].empty() ? "unknown" : impl_->classes[i]] += by_class[i];
  lock.unlock();

  if (r.succeeded + r.failed > 0)
    r.success_rate = static_cast<double>(r.succeeded) / static_cast<double>(r.succeeded + r.failed);
  if (!processing.empty()) {
    const size_t n = processing.size();
    r.processing_mean_ms = processing_sum / static_cast<double>(n);
    // Nearest rank: the smallest value with at least p % of the values at or below it.
    auto rank = [&](double p) {
      size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
      k = std::clamp<size_t>(k, 1, n) - 1;
      std::nth_element(processing.begin(), processing.begin() + static_cast<std::ptrdiff_t>(k), processing.end());
      return processing[k];
    };
    r.processing_p50_ms = rank(50);
    r.processing_p95_ms = rank(95);
    r.processing_p99_ms = rank(99);
  }
  return r;
}

stats_counters stats_store::counters() const {
  std::shared_lock lock(impl_->mutex);
  stats_counters c = impl_->c;
  c.position = position_.load(std::memory_order_acquire);
  c.leads = impl_->index.size();
  c.memory_bytes = impl_->index.memory_bytes() + impl_->cache.size() * (sizeof(lead_state) + 256);
  return c;
}

void stats_store::when_reached(global_position target, millis deadline, std::function<void(bool)> done) {
  if (position() >= target) return done(true);
  {
    std::lock_guard lock(impl_->waiters_mutex);
    impl_->waiters.push_back({target, deadline, std::move(done)});
  }
  fire_waiters(now_millis());  // the position may have moved meanwhile
}

void stats_store::expire_waiters(millis now) { fire_waiters(now); }

void stats_store::fire_waiters(millis now) {
  std::vector<std::pair<std::function<void(bool)>, bool>> ready;
  {
    std::lock_guard lock(impl_->waiters_mutex);
    if (impl_->waiters.empty()) return;
    const global_position at = position();
    auto& ws = impl_->waiters;
    for (auto it = ws.begin(); it != ws.end();) {
      if (at >= it->target || now >= it->deadline) {
        ready.emplace_back(std::move(it->done), at >= it->target);
        it = ws.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [done, reached] : ready) done(reached);
}

lead_state_loader log_state_loader(const storage::event_log& log) {
  return [&log](const std::string& lead_id, global_position before) -> result<lead_state> {
    auto events = log.read_stream(lead_id, 1, UINT64_MAX, SIZE_MAX, storage::on_damage::mark);
    if (!events) return events.err();
    lead_state s = initial(lead_id);
    for (const auto& e : *events) {
      if (e.damaged()) continue;  // counted by the follower where it met it
      if (e.ev.meta.position >= before) break;
      evolve(s, e.ev);
    }
    return s;
  };
}

// -- follower -----------------------------------------------------------------------

stats_follower::stats_follower(const storage::event_log& log, stats_store& store, std::chrono::milliseconds poll,
                               std::size_t page)
    : log_(log), store_(store), poll_(poll), page_(page) {}

stats_follower::~stats_follower() { stop(); }

void stats_follower::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  store_.set_start_head(log_.last_position());
  thread_ = std::thread([this] {
    name_this_thread("lb-stats");
    run();
  });
}

void stats_follower::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void stats_follower::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

void stats_follower::run() {
  auto log = module_logger("stats");
  bool caught_up_logged = false;
  // A failing read is retried every poll; say so at most every 10 s.
  auto last_warn = std::chrono::steady_clock::time_point{};
  auto may_warn = [&last_warn] {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_warn < std::chrono::seconds(10)) return false;
    last_warn = now;
    return true;
  };
  if (store_.position() == 0 && log_.last_position() > 0) {
    // Start-up: the whole log lead by lead, one sequential scan (in global
    // order a lead's later events would find it evicted from the state cache
    // and re-fold it from the log). Then follow from the scan's position.
    const auto t0 = std::chrono::steady_clock::now();
    storage::log_snapshot snap(log_);
    status loaded = snap.last_position() ? ok() : status(snap.last_position().err());
    if (loaded) {
      loaded = storage::scan_leads(
          log_, snap, {}, [this](std::string_view, storage::stored_event& se) { return store_.load(se.ev); }, {},
          [this] {
            std::lock_guard lock(mutex_);
            return stop_;
          },
          [this, &log](std::string_view lead_id, lead_version version, const error& why) {
            log->error("stats: an event (version {}) cannot be read and was skipped: {}", version, why.message);
            log->debug("stats: the damaged event is version {} of lead {}", version, lead_id);
            store_.note_damaged();
            return ok();
          });
    }
    if (loaded) {
      store_.finish_load(*snap.last_position());
      log->info("stats: loaded the log up to position {} in {:.1f} s", *snap.last_position(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } else {
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
      }
      // The store is partly loaded and cannot be trusted: that is fatal for
      // the figures, not for the service; say so loudly and keep the service up.
      log->error("stats: the start-up load failed: {}; /v1/stats stays at position 0", loaded.err().message);
      return;
    }
  }
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    bool busy = false;
    const global_position at = store_.position();
    if (log_.last_position() > at) {
      auto page = log_.read_global(at, page_, storage::event_log::hashes::skip, storage::on_damage::mark);
      if (!page) {
        if (may_warn()) log->warn("stats: reading the log after position {} failed: {}", at, page.err().message);
      } else if (!page->empty()) {
        // Runs of sound events are applied; a damaged event between them is
        // skipped (and counted) once everything before it is in.
        std::vector<event> events;
        events.reserve(page->size());
        status st = ok();
        for (auto& s : *page) {
          if (!s.damaged()) {
            events.push_back(std::move(s.ev));
            continue;
          }
          st = store_.apply(events);
          events.clear();
          if (!st) break;
          if (s.ev.meta.position > store_.position())
            log->error("stats: the event at position {} (version {}) cannot be read and was skipped: {}",
                       s.ev.meta.position, s.ev.meta.version, s.damage);
          store_.skip_damaged(s.ev.meta.position);
        }
        if (st) st = store_.apply(events);
        if (!st) {
          if (may_warn()) log->warn("stats: applying after position {} failed (will retry): {}", store_.position(), st.err().message);
        } else {
          busy = true;
        }
      }
      caught_up_logged = false;
    } else if (!caught_up_logged) {
      log->debug("stats: at the head, position {}", at);
      caught_up_logged = true;
    }
    store_.expire_waiters(now_millis());
    if (busy) continue;
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, poll_, [this] { return stop_ || poked_; });
    poked_ = false;
  }
}

std::optional<millis> parse_window(std::string_view text) {
  if (text.size() < 2 || text.size() > 8) return std::nullopt;
  const char unit = text.back();
  std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t n = 0;
  for (char ch : digits) n = n * 10 + (ch - '0');
  int64_t per = 0;
  switch (unit) {
    case 's': per = 1000; break;
    case 'm': per = 60'000; break;
    case 'h': per = 3'600'000; break;
    case 'd': per = 86'400'000; break;
    case 'w': per = 7 * 86'400'000LL; break;
    default: return std::nullopt;
  }
  const int64_t ms = n * per;
  if (n <= 0 || ms > 366LL * 86'400'000) return std::nullopt;
  return ms;
}

} // namespace leadbase
