#include "projections/stats_projection.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <unordered_map>

#include "events/logging.hpp"
#include "projections/stats_codec.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "storage/lead_scan.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase {
namespace {

using storage::key_space;
using storage::storage_error;

/// LRU cache of stripped lead states.
class state_cache {
 public:
  explicit state_cache(size_t capacity) : capacity_(capacity) {}
  const lead_state* find(const std::string& id) {
    auto it = map_.find(id);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  void put(const std::string& id, lead_state s) {
    auto [it, inserted] = map_.try_emplace(id);
    if (!inserted) {
      it->second->second = std::move(s);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(id, std::move(s));
    it->second = order_.begin();
    if (capacity_ != 0 && order_.size() > capacity_) {
      map_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  void clear() {
    map_.clear();
    order_.clear();
  }
  size_t size() const noexcept { return order_.size(); }

 private:
  size_t capacity_;  // 0 = unbounded
  std::list<std::pair<std::string, lead_state>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, lead_state>>::iterator> map_;
};

millis floor_to(millis t, millis unit) { return t - ((t % unit) + unit) % unit; }

/// The hour buckets that a page's minute deltas change.
bucket_deltas hours_of(const bucket_deltas& minutes) {
  bucket_deltas hours;
  for (const auto& [start, b] : minutes) hours[floor_to(start, hour_ms)].add(b);
  return hours;
}

/// Nearest rank over a histogram: the smallest bin floor with at least p % of the values at or below it.
std::optional<int64_t> percentile(const std::map<uint16_t, int64_t>& hist, int64_t n, double p) {
  if (n <= 0) return std::nullopt;
  const auto k = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(n))), 1, n);
  int64_t seen = 0;
  for (const auto& [bin, count] : hist) {
    seen += count;
    if (seen >= k) return processing_bin_floor(bin);
  }
  return hist.empty() ? std::nullopt : std::optional<int64_t>(processing_bin_floor(hist.rbegin()->first));
}

/// The work part of a report: stages from the totals, the rest from the window's sum.
void work_figures(const stats_counters& c, const time_bucket& w, stats_report& r) {
  r.work_claimed = c.work_stage_leads[static_cast<size_t>(work_stage::assigned)];
  r.work_contacted = c.work_stage_leads[static_cast<size_t>(work_stage::contacted)];
  r.work_meeting_booked = c.work_stage_leads[static_cast<size_t>(work_stage::meeting_booked)];
  r.work_closed = c.work_stage_leads[static_cast<size_t>(work_stage::closed)];
  r.expired_claims = static_cast<uint64_t>(std::max<int64_t>(w.expired_claims, 0));
  for (size_t i = 0; i < contact_outcomes; ++i) r.contacts_by_outcome[to_string(static_cast<contact_outcome>(i))] = 0;
  for (const auto& [outcome, n] : w.contacts_by_outcome)
    if (n > 0) r.contacts_by_outcome[outcome] = static_cast<uint64_t>(n);
  if (w.first_contact_count > 0) {
    r.first_contact_mean_ms =
        static_cast<double>(w.first_contact_sum_ms) / static_cast<double>(w.first_contact_count);
    r.first_contact_p50_ms = percentile(w.first_contact_hist, w.first_contact_count, 50);
    r.first_contact_p95_ms = percentile(w.first_contact_hist, w.first_contact_count, 95);
  }
}

} // namespace

struct stats_projection::impl {
  storage::event_log& log;
  stats_options opts;
  lead_state_loader loader;
  state_cache cache;
  std::unordered_map<std::string, lead_state> pending;  ///< the page's states, cached once committed
  std::atomic<size_t> cached{0};                        ///< cache.size(), for readers on other threads

  rocksdb::DB* const stats_db;  ///< the log's, for the stats family's snapshot reads (storage/raw_access.hpp)

  impl(storage::event_log& l, rocksdb::DB* d, stats_options o, lead_state_loader ld)
      : log(l), opts(std::move(o)), loader(std::move(ld)), cache(loader ? opts.state_cache : 0), stats_db(d) {}

  rocksdb::DB* db() const { return stats_db; }
  rocksdb::ColumnFamilyHandle* cf() const { return log.cf(key_space::stats); }

  result<char> generation(const rocksdb::ReadOptions& ro) const {
    std::string v;
    auto s = db()->Get(ro, cf(), rocksdb::Slice(stats_codec::generation_key.data(), stats_codec::generation_key.size()), &v);
    if (s.IsNotFound()) return 'a';
    if (!s.ok()) return storage_error(s, "read the stats generation");
    if (v != "a" && v != "b") return error{errc::corrupt_data, "the stats generation is unreadable"};
    return v[0];
  }

  result<stats_counters> totals(const rocksdb::ReadOptions& ro, char gen) const {
    std::string v;
    auto s = db()->Get(ro, cf(), stats_codec::totals_key(gen), &v);
    if (s.IsNotFound()) return stats_counters{};
    if (!s.ok()) return storage_error(s, "read the stats totals");
    auto c = stats_codec::decode_counters(v);
    if (!c) return error{errc::corrupt_data, "the stats totals are unreadable"};
    return *c;
  }

  /// Adds every bucket of `kind` ('m' or 'h') with a start in [from, to) to `sum`.
  status scan(const rocksdb::ReadOptions& base, char gen, char kind, millis from, millis to, time_bucket& sum) const {
    if (from >= to) return ok();
    const std::string lo = kind == 'm' ? stats_codec::minute_key(gen, from) : stats_codec::hour_key(gen, from);
    const std::string hi = kind == 'm' ? stats_codec::minute_key(gen, to) : stats_codec::hour_key(gen, to);
    rocksdb::Slice upper(hi);
    rocksdb::ReadOptions ro = base;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db()->NewIterator(ro, cf()));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      auto b = stats_codec::decode_bucket(it->value().ToStringView());
      if (!b) return error{errc::corrupt_data, "a stats time bucket is unreadable"};
      sum.add(*b);
    }
    if (!it->status().ok()) return storage_error(it->status(), "read the stats time buckets");
    return ok();
  }

  /// The sum of the buckets in [from, to) (minute-aligned): hours where whole, minutes at the ends.
  result<time_bucket> sum_range(const rocksdb::ReadOptions& ro, char gen, millis from, millis to) const {
    time_bucket sum;
    const millis ha = floor_to(from + hour_ms - 1, hour_ms), hb = floor_to(to, hour_ms);
    status s = ok();
    if (ha < hb) {
      s = scan(ro, gen, 'm', from, ha, sum);
      if (s) s = scan(ro, gen, 'h', ha, hb, sum);
      if (s) s = scan(ro, gen, 'm', hb, to, sum);
    } else {
      s = scan(ro, gen, 'm', from, to, sum);
    }
    if (!s) return s.err();
    return sum;
  }

  /// The lead's state before `e`: the page's, the cache's, a signup's, or re-folded.
  result<lead_state*> state_before(const event& e) {
    const std::string& id = e.meta.lead_id;
    if (auto it = pending.find(id); it != pending.end()) return &it->second;
    if (const lead_state* hit = cache.find(id)) return &pending.emplace(id, *hit).first->second;
    if (e.meta.version <= 1 || !loader) return &pending.emplace(id, initial(id)).first->second;
    auto loaded = loader(id, e.meta.position);
    if (!loaded) return loaded.err();
    strip_personal(*loaded);
    return &pending.emplace(id, std::move(*loaded)).first->second;
  }

  /// The committed summaries of the page's leads, in one MultiGet.
  status load_summaries(char gen, const std::vector<storage::stored_event>& events,
                        std::unordered_map<std::string, std::optional<lead_summary>>& out) const {
    std::vector<std::string> keys;
    for (const auto& se : events)
      if (out.try_emplace(se.ev.meta.lead_id).second) keys.push_back(stats_codec::lead_key(gen, se.ev.meta.lead_id));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db()->MultiGet(rocksdb::ReadOptions(), cf(), keys.size(), slices.data(), values.data(), statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return storage_error(statuses[i], "read stats summaries");
      auto s = stats_codec::decode_summary(values[i].ToStringView());
      if (!s) return error{errc::corrupt_data, "a lead's stats summary is unreadable"};
      out[keys[i].substr(2)] = std::move(*s);
    }
    return ok();
  }

  /// Adds committed + delta for each bucket to the batch (deleting those that become empty).
  status write_buckets(char gen, char kind, const bucket_deltas& deltas, rocksdb::WriteBatch& batch) const {
    std::string v;
    for (const auto& [start, delta] : deltas) {
      if (delta.empty()) continue;
      const std::string key = kind == 'm' ? stats_codec::minute_key(gen, start) : stats_codec::hour_key(gen, start);
      time_bucket b;
      auto s = db()->Get(rocksdb::ReadOptions(), cf(), key, &v);
      if (s.ok()) {
        auto old = stats_codec::decode_bucket(v);
        if (!old) return error{errc::corrupt_data, "a stats time bucket is unreadable"};
        b = std::move(*old);
      } else if (!s.IsNotFound()) {
        return storage_error(s, "read a stats time bucket");
      }
      b.add(delta);
      s = b.empty() ? batch.Delete(cf(), key) : batch.Put(cf(), key, stats_codec::encode(b));
      if (!s.ok()) return storage_error(s, "batch a stats time bucket");
    }
    return ok();
  }
};

stats_projection::stats_projection(storage::event_log& log, stats_options opts, lead_state_loader loader)
    : impl_(std::make_unique<impl>(log, log.raw_rocksdb(storage::raw_access()), std::move(opts), std::move(loader))) {}
stats_projection::~stats_projection() = default;

std::string stats_projection::fingerprint() const {
  const auto& p = impl_->opts.priority;
  // stats/2: the work figures (stats_codec format 2); a data dir built by
  // stats/1 is rebuilt at the first start (projections/runner.cpp).
  return "stats/2 weights " + std::to_string(p.weight_reach) + "," + std::to_string(p.weight_engagement) + "," +
         std::to_string(p.weight_activity) + "," + std::to_string(p.weight_completeness) + " thresholds " +
         std::to_string(p.threshold_a) + "," + std::to_string(p.threshold_b) + " rules " + impl_->opts.rules_version;
}

status stats_projection::apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) {
  impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  d.pending.clear();  // a page applied again starts from the committed states
  auto gen = d.generation(rocksdb::ReadOptions());
  if (!gen) return gen.err();
  auto c = d.totals(rocksdb::ReadOptions(), *gen);
  if (!c) return c.err();
  std::unordered_map<std::string, std::optional<lead_summary>> summaries;
  if (auto s = d.load_summaries(*gen, events, summaries); !s) return s;
  bucket_deltas minutes;
  for (const auto& se : events) {
    const event& e = se.ev;
    auto state = d.state_before(e);
    if (!state) return state.err();
    evolve(**state, e);
    strip_personal(**state);
    std::optional<lead_summary>& before = summaries[e.meta.lead_id];
    lead_summary after = summarise(before.value_or(lead_summary{}), **state, e, d.opts.priority, d.opts.rules_version);
    fold_summary(before, after, e, *c, minutes);
    before = std::move(after);
  }
  for (const auto& [lead, s] : summaries) {
    if (!s) continue;
    auto st = batch.Put(d.cf(), stats_codec::lead_key(*gen, lead), stats_codec::encode(*s));
    if (!st.ok()) return storage_error(st, "batch a stats summary");
  }
  if (auto s = d.write_buckets(*gen, 'm', minutes, batch); !s) return s;
  if (auto s = d.write_buckets(*gen, 'h', hours_of(minutes), batch); !s) return s;
  auto st = batch.Put(d.cf(), stats_codec::totals_key(*gen), stats_codec::encode(*c));
  if (!st.ok()) return storage_error(st, "batch the stats totals");
  return ok();
}

void stats_projection::committed() {
  for (auto& [id, s] : impl_->pending) impl_->cache.put(id, std::move(s));
  impl_->pending.clear();
  impl_->cached = impl_->cache.size();
}

status stats_projection::clear(rocksdb::WriteBatch& batch) {
  impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  d.pending.clear();
  d.cache.clear();
  d.cached = 0;
  for (char gen : {'a', 'b'}) {
    auto s = batch.DeleteRange(d.cf(), stats_codec::generation_begin(gen), stats_codec::generation_end(gen));
    if (!s.ok()) return storage_error(s, "batch the stats deletion");
  }
  auto s = batch.Delete(d.cf(), rocksdb::Slice(stats_codec::generation_key.data(), stats_codec::generation_key.size()));
  if (!s.ok()) return storage_error(s, "batch the stats deletion");
  return ok();
}

result<stats_report> stats_projection::report(millis window_ms, millis now) const {
  const impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  storage::db_snapshot snap(d.db());
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  auto gen = d.generation(ro);
  if (!gen) return gen.err();
  auto c = d.totals(ro, *gen);
  if (!c) return c.err();
  const millis to = floor_to(now, minute_ms) + minute_ms;
  auto w = d.sum_range(ro, *gen, floor_to(now - window_ms + 1, minute_ms), to);
  if (!w) return w.err();
  stats_report r;
  r.position = c->position;
  r.signups_total = c->signups_total;
  r.retrying = c->enrichment_retrying;
  r.queue_sdr = c->queue_sdr;
  r.queue_ldr = c->queue_ldr;
  if (c->coverage_leads > 0) {
    const double n = static_cast<double>(c->coverage_leads);
    r.coverage_complete_ratio = static_cast<double>(c->coverage_complete) / n;
    r.coverage_mean = std::round(static_cast<double>(c->coverage_micro_sum) / n) / 1e6;
  }
  r.signups_in_window = static_cast<uint64_t>(std::max<int64_t>(w->signups, 0));
  r.succeeded = static_cast<uint64_t>(std::max<int64_t>(w->succeeded, 0));
  r.failed = static_cast<uint64_t>(std::max<int64_t>(w->failed, 0));
  for (const auto& [cls, n] : w->failed_by_class)
    if (n > 0) r.failures_by_class[cls] = static_cast<uint64_t>(n);
  if (r.succeeded + r.failed > 0)
    r.success_rate = static_cast<double>(r.succeeded) / static_cast<double>(r.succeeded + r.failed);
  if (w->processing_count > 0) {
    r.processing_mean_ms = static_cast<double>(w->processing_sum_ms) / static_cast<double>(w->processing_count);
    r.processing_p50_ms = percentile(w->processing_hist, w->processing_count, 50);
    r.processing_p95_ms = percentile(w->processing_hist, w->processing_count, 95);
    r.processing_p99_ms = percentile(w->processing_hist, w->processing_count, 99);
  }
  work_figures(*c, *w, r);
  return r;
}

result<stats_series> stats_projection::series(millis window_ms, millis step_ms, millis now) const {
  const impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  if (step_ms < min_series_step || step_ms > max_series_step || step_ms % minute_ms != 0 || window_ms < step_ms ||
      window_ms > max_series_window || (window_ms + step_ms - 1) / step_ms > static_cast<millis>(max_series_points))
    return error{errc::validation, "window and step out of bounds"};
  storage::db_snapshot snap(d.db());
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  auto gen = d.generation(ro);
  if (!gen) return gen.err();
  stats_series out;
  out.step_ms = step_ms;
  const millis n = (window_ms + step_ms - 1) / step_ms;
  const millis last = floor_to(now, step_ms);
  for (millis i = n - 1; i >= 0; --i) {
    const millis at = last - i * step_ms;
    auto b = d.sum_range(ro, *gen, at, at + step_ms);
    if (!b) return b.err();
    stats_point p;
    p.at = at;
    p.signups = b->signups;
    p.enrichment_succeeded = b->succeeded;
    p.enrichment_failed = b->failed;
    p.processing_ms_p95 = percentile(b->processing_hist, b->processing_count, 95);
    p.contacts = b->contacts;
    p.meetings_booked = b->meetings_booked;
    out.points.push_back(p);
  }
  return out;
}

result<stats_counters> stats_projection::counters() const {
  const impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  storage::db_snapshot snap(d.db());
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  auto gen = d.generation(ro);
  if (!gen) return gen.err();
  auto c = d.totals(ro, *gen);
  if (!c) return c.err();
  // An estimate: the cache's states are stripped, a few hundred bytes each.
  c->memory_bytes = d.cached.load() * (sizeof(lead_state) + 256);
  return c;
}

// -- rebuild ------------------------------------------------------------------------

namespace {

/// One generation built from a lead-order scan of the log (stats_projection::rebuild).
class stats_build {
 public:
  stats_build(storage::event_log& log, const stats_options& opts, char gen)
      : log_(log), opts_(opts), gen_(gen), cf_(log.cf(key_space::stats)) {}

  status on_event(std::string_view lead_id, const event& e) {
    if (!in_lead_) {
      state_ = initial(std::string(lead_id));
      summary_.reset();
      in_lead_ = true;
    }
    evolve(state_, e);
    strip_personal(state_);
    lead_summary after = summarise(summary_.value_or(lead_summary{}), state_, e, opts_.priority, opts_.rules_version);
    fold_summary(summary_, after, e, totals_, minutes_);
    summary_ = std::move(after);
    ++events_;
    return ok();
  }

  /// Writes the lead's summary; the batch when it is large.
  status on_lead_end(std::string_view lead_id, const projections::rebuild_progress& progress, global_position head) {
    in_lead_ = false;
    if (summary_) {
      auto s = batch_.Put(cf_, stats_codec::lead_key(gen_, lead_id), stats_codec::encode(*summary_));
      if (!s.ok()) return storage_error(s, "batch a stats summary");
    }
    if (batch_.GetDataSize() < (8u << 20)) return ok();
    if (auto written = log_.write(batch_, "write stats summaries"); !written) return written;
    batch_.Clear();
    if (progress) progress(std::min<global_position>(events_, head), head);
    return ok();
  }

  /// The buckets, the totals and the switch to this generation at `position`,
  /// deleting the `old` one and the projection's damage records, in one batch.
  status finish(global_position position, char old, const std::string& fingerprint) {
    if (auto written = log_.write(batch_, "write stats summaries"); !written) return written;
    rocksdb::Status s;
    rocksdb::WriteBatch sw;
    for (const auto& [start, b] : minutes_)
      if (!b.empty()) s = sw.Put(cf_, stats_codec::minute_key(gen_, start), stats_codec::encode(b));
    for (const auto& [start, b] : hours_of(minutes_))
      if (!b.empty() && s.ok()) s = sw.Put(cf_, stats_codec::hour_key(gen_, start), stats_codec::encode(b));
    totals_.position = position;
    auto* meta = log_.cf(key_space::meta);
    const std::string name = "stats";
    if (s.ok()) s = sw.Put(cf_, stats_codec::totals_key(gen_), stats_codec::encode(totals_));
    if (s.ok()) s = sw.Put(cf_, rocksdb::Slice(stats_codec::generation_key.data(), stats_codec::generation_key.size()),
                           std::string(1, gen_));
    if (s.ok()) s = sw.DeleteRange(cf_, stats_codec::generation_begin(old), stats_codec::generation_end(old));
    if (s.ok()) s = sw.Put(meta, projections::checkpoint_key(name), storage::keys::be64(position));
    if (s.ok()) s = sw.Put(meta, projections::fingerprint_key(name), fingerprint);
    if (s.ok()) s = sw.DeleteRange(meta, projections::damaged_prefix(name), projections::damaged_end(name));
    if (!s.ok()) return storage_error(s, "batch the stats switch");
    return log_.write(sw, "write the stats switch");
  }

 private:
  storage::event_log& log_;
  const stats_options& opts_;
  char gen_;
  rocksdb::ColumnFamilyHandle* cf_;
  rocksdb::WriteBatch batch_;
  lead_state state_;
  std::optional<lead_summary> summary_;
  bool in_lead_ = false;
  stats_counters totals_;
  bucket_deltas minutes_;
  uint64_t events_ = 0;
};

} // namespace

result<projections::rebuilt> stats_projection::rebuild(const projections::rebuild_progress& progress,
                                                       const std::atomic<bool>& cancel) {
  impl& d = *impl_;
  if (!d.cf()) return error{errc::internal, "the log has no stats family"};
  auto serving = d.generation(rocksdb::ReadOptions());
  if (!serving) return serving.err();
  const char target = stats_codec::other_generation(*serving);
  // Leftovers of a build that did not finish (a crash, a failure) go first.
  auto wipe = [&d, target] {
    return d.db()->DeleteRange(rocksdb::WriteOptions(), d.cf(), stats_codec::generation_begin(target),
                               stats_codec::generation_end(target));
  };
  if (auto s = wipe(); !s.ok()) return storage_error(s, "delete an unfinished stats build");
  storage::log_snapshot snap(d.log);
  if (!snap.last_position()) return snap.last_position().err();
  const global_position head = *snap.last_position();
  if (progress) progress(0, head);
  stats_build build(d.log, d.opts, target);
  status s = storage::scan_leads(
      d.log, snap, {}, [&build](std::string_view lead, storage::stored_event& se) { return build.on_event(lead, se.ev); },
      [&](std::string_view lead) { return build.on_lead_end(lead, progress, head); }, [&cancel] { return cancel.load(); },
      [](std::string_view, lead_version version, const error& why) -> status {
        return error{errc::corrupt_data, "an event (version " + std::to_string(version) + ") cannot be read: " + why.message};
      });
  if (s && cancel) s = error{errc::internal, "the stats rebuild was cancelled"};
  if (s) s = build.finish(head, *serving, fingerprint());
  if (!s) {
    wipe().PermitUncheckedError();
    return s.err();
  }
  // The cached states are of the old generation's position: fold anew.
  d.pending.clear();
  d.cache.clear();
  d.cached = 0;
  if (progress) progress(head, head);
  module_logger("projections")->info("projection stats: built from the log up to position {}", head);
  return projections::rebuilt{head, {}};
}

projections::runner_options with_stats_rebuild(stats_projection& stats, projections::runner_options base) {
  base.rebuild_beside = [&stats](const projections::rebuild_progress& progress, const std::atomic<bool>& cancel) {
    return stats.rebuild(progress, cancel);
  };
  return base;
}

} // namespace leadbase
