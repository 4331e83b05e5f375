#include "actors/service.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/answer_once.hpp"
#include "actors/enrichment.hpp"
#include "actors/eraser.hpp"
#include "actors/erasure.hpp"
#include "actors/journal.hpp"
#include "actors/lead_actor.hpp"
#include "actors/caf_error.hpp"
#include "actors/scheduler.hpp"
#include "actors/watchdog.hpp"
#include "discovery/instagram.hpp"
#include "discovery/youtube.hpp"
#include "events/logging.hpp"

namespace leadbase::actors {
namespace {

std::unique_ptr<caf::actor_system_config> make_config(const service_options& opts) {
  auto cfg = std::make_unique<caf::actor_system_config>();
  cfg->set("scheduler.max-threads", opts.scheduler_threads == 0 ? size_t{1} : opts.scheduler_threads);
  // One shared queue with a condition variable instead of CAF 0.17's default
  // work stealing, whose idle workers poll (100 tries, then every 50 us for
  // 25 ms, then every 10 ms): on two cores that polling takes CPU from the
  // HTTP, journal and projection threads, and a worker asleep in its 10 ms
  // phase delays the next message by up to that. pipeline_bench at 0 ms
  // (three alternating runs each): 5.3k -> 5.8k leads/s, server CPU per lead
  // -10%.
  cfg->set("scheduler.policy", caf::atom("sharing"));
  cfg->add_error_category(error_category, render_error);
  return cfg;
}

class caf_lead_service final : public lead_service {
 public:
  caf_lead_service(storage::event_log& log, const service_options& opts, domain_list disposable,
                   std::vector<provider_slot_config> providers, std::vector<storage::work_entry> owed,
                   erasure_read_side read_side)
      : opts_(opts), cfg_(make_config(opts)), sys_(*cfg_), read_side_(read_side) {
    env_.log = &log;
    env_.passivate_after = opts.passivate_after;
    env_.journal_timeout = opts.journal_timeout;
    env_.snapshot_every = opts.snapshot_every;
    env_.rules.follow_ups = opts.follow_ups;
    env_.rules.qualification = opts.qualification;
    env_.rules.disposable_domains = std::move(disposable);
    env_.rules.react.refresh_days = opts.refresh_days;
    env_.rules.claim_ttl_ms = opts.claim_ttl_ms;
    env_.rules.retry = opts.discovery.retry;
    eraser_ = spawn_eraser(sys_, log);
    env_.journal = spawn_journal(sys_, log, opts.max_batch, stats_, eraser_, opts.journal_timeout);
    registry_ = spawn_registry(sys_, &env_, opts.max_live_leads);
    env_.scheduler = spawn_scheduler(sys_, registry_, &scheduled_);
    if (!providers.empty())
      env_.enrichment = spawn_enrichment(sys_, std::move(providers), opts.discovery.breaker, registry_, enrichment_status_);
    env_.rules.has_provider = static_cast<bool>(env_.enrichment);
    resume_owed_work(std::move(owed));
    std::vector<std::pair<std::string, caf::actor>> core = {
        {"journal", caf::actor_cast<caf::actor>(env_.journal)},
        {"registry", caf::actor_cast<caf::actor>(registry_)},
        {"scheduler", caf::actor_cast<caf::actor>(env_.scheduler)},
        {"eraser", caf::actor_cast<caf::actor>(eraser_)}};
    if (env_.enrichment) core.emplace_back("enrichment", caf::actor_cast<caf::actor>(env_.enrichment));
    watchdog_ = spawn_watchdog(sys_, std::move(core), failure_);
  }

  ~caf_lead_service() override {
    failure_->stopping = true;
    caf::anon_send_exit(watchdog_, caf::exit_reason::user_shutdown);
    // Enrichment first: its providers stop their I/O threads before the leads go.
    if (env_.enrichment) caf::anon_send_exit(env_.enrichment, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(env_.scheduler, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(env_.journal, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(eraser_, caf::exit_reason::user_shutdown);
    sys_.await_all_actors_done();
  }

  void append(append_command cmd, append_callback done) override {
    auto cb = admit(std::move(done));
    if (!cb) return;
    caf::anon_send(registry_, append_atom::value, append_msg{std::move(cmd), std::move(cb)});
  }

  void erase(std::string lead_id, std::string reason, std::string requested_by, std::string correlation_id,
             append_callback done) override {
    // The lead answers once its key is purged; the read side's part follows.
    auto purged = [read_side = read_side_, lead_id, done = std::move(done)](append_outcome o) {
      if (o.code != errc::success) return done(std::move(o));
      finish_erasure(read_side, lead_id, std::move(o), done);
    };
    auto cb = admit(std::move(purged));
    if (!cb) return;
    caf::anon_send(registry_, erase_atom::value,
                   erase_msg{std::move(lead_id), std::move(reason), std::move(requested_by),
                             std::move(correlation_id), std::move(cb)});
  }

  void retry_enrichment(std::string lead_id, append_callback done) override {
    auto cb = admit(std::move(done));
    if (!cb) return;
    caf::anon_send(registry_, retry_atom::value, retry_msg{std::move(lead_id), std::move(cb)});
  }

  void work(std::string lead_id, work_command cmd, work_callback done) override {
    // Admitted like an append (it is one); `done` hears the state as well.
    auto state = std::make_shared<std::optional<lead_state>>();
    auto cb = admit([state, done = std::move(done)](append_outcome o) {
      done(work_outcome{std::move(o), std::move(*state)});
    });
    if (!cb) return;
    auto answer = std::make_shared<work_callback>([state, cb](work_outcome o) {
      *state = std::move(o.state);
      (*cb)(std::move(o.result));
    });
    caf::anon_send(registry_, work_atom::value, work_msg{std::move(lead_id), std::move(cmd), std::move(answer)});
  }

  std::vector<provider_status> providers() const override {
    std::vector<provider_status> out;
    std::lock_guard<std::mutex> guard(enrichment_status_->mutex);
    for (const auto& [network, st] : enrichment_status_->by_network) out.push_back(st);
    return out;
  }

  size_t scheduled_work() const override { return scheduled_.load(std::memory_order_relaxed); }

  size_t in_flight() const override { return in_flight_.load(std::memory_order_relaxed); }

  size_t live_leads() const override { return env_.live_leads.load(std::memory_order_relaxed); }
  const journal_stats& journal() const override { return stats_; }

  std::optional<std::string> failure() const override {
    std::lock_guard<std::mutex> lock(failure_->mutex);
    return failure_->why;
  }

 private:
  /// Backpressure: past the limit the caller hears `overloaded` at once and
  /// nothing is queued (the HTTP layer answers 503 with Retry-After).
  std::shared_ptr<append_callback> admit(append_callback done) {
    if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= opts_.max_in_flight) {
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
      append_outcome o;
      o.code = errc::overloaded;
      o.message = "too many appends in flight";
      done(std::move(o));
      return nullptr;
    }
    auto once = std::make_shared<answer_once>(std::move(done), in_flight_);
    return std::make_shared<append_callback>([once](append_outcome o) { once->answer(std::move(o)); });
  }

  /// Pending and scheduled work survives restarts: the log's `work` family
  /// (read by start_lead_service) says which leads owe something and when;
  /// wake them then.
  void resume_owed_work(std::vector<storage::work_entry> owed) {
    for (auto& w : owed) caf::anon_send(env_.scheduler, schedule_atom::value, std::move(w.lead_id), w.due);
    if (!owed.empty()) module_logger("actors")->info("resuming work owed by {} leads", owed.size());
  }

  service_options opts_;
  // Before sys_, so it outlives every message (and its answer_once) the
  // actor system drops while it shuts down.
  std::atomic<size_t> in_flight_{0};
  std::unique_ptr<caf::actor_system_config> cfg_;
  caf::actor_system sys_;
  journal_stats stats_;
  lead_env env_;
  registry_actor registry_;
  std::atomic<size_t> scheduled_{0};
  std::shared_ptr<enrichment_status> enrichment_status_ = std::make_shared<enrichment_status>();
  std::shared_ptr<core_failure> failure_ = std::make_shared<core_failure>();
  eraser_actor eraser_;
  erasure_read_side read_side_;
  caf::actor watchdog_;
};

} // namespace

result<std::unique_ptr<lead_service>> start_lead_service(storage::event_log& log, const service_options& opts,
                                                         erasure_read_side read_side) {
  auto disposable = load_disposable_domains(opts.qualification);
  if (!disposable) return disposable.err();
  std::vector<provider_slot_config> providers;
  if (opts.follow_ups && opts.discovery.instagram) {
    auto p = discovery::instagram_provider::create(*opts.discovery.instagram);
    if (!p) return p.err();
    providers.push_back({std::move(*p), opts.discovery.instagram->max_in_flight, opts.provider_queue});
  }
  if (opts.follow_ups && opts.discovery.youtube) {
    auto p = discovery::youtube_provider::create(*opts.discovery.youtube);
    if (!p) return p.err();
    providers.push_back({std::move(*p), opts.discovery.youtube->max_in_flight, opts.provider_queue});
  }
  // Owed work that cannot be read would be done never: refuse to start. The
  // claims' lapses are owed with or without follow-ups.
  auto work = log.scan_work();
  if (!work)
    return error{work.err().code, "cannot read owed work (due enrichments, retries, claim lapses): " + work.err().message};
  std::vector<storage::work_entry> owed = std::move(*work);
  return std::unique_ptr<lead_service>(std::make_unique<caf_lead_service>(
      log, opts, std::move(*disposable), std::move(providers), std::move(owed), read_side));
}

} // namespace leadbase::actors
