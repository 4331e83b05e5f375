#include "actors/service.hpp"

#include "actors/journal.hpp"
#include "actors/lead_actor.hpp"
#include "actors/messages.hpp"

namespace leadbase::actors {
namespace {

std::unique_ptr<caf::actor_system_config> make_config(const service_options& opts) {
  auto cfg = std::make_unique<caf::actor_system_config>();
  cfg->set("scheduler.max-threads", opts.scheduler_threads == 0 ? size_t{1} : opts.scheduler_threads);
  return cfg;
}

class caf_lead_service final : public lead_service {
 public:
  caf_lead_service(storage::event_log& log, const service_options& opts)
      : opts_(opts), cfg_(make_config(opts)), sys_(*cfg_) {
    env_.log = &log;
    env_.passivate_after = opts.passivate_after;
    env_.journal_timeout = opts.journal_timeout;
    env_.snapshot_every = opts.snapshot_every;
    env_.journal = spawn_journal(sys_, log, opts.max_batch, stats_);
    registry_ = spawn_registry(sys_, &env_, opts.max_live_leads);
  }

  ~caf_lead_service() override {
    caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(env_.journal, caf::exit_reason::user_shutdown);
    sys_.await_all_actors_done();
  }

  void append(append_command cmd, append_callback done) override {
    auto cb = admit(std::move(done));
    if (!cb) return;
    caf::anon_send(registry_, append_atom::value, append_msg{std::move(cmd), std::move(cb)});
  }

  void erase(std::string lead_id, std::string reason, std::string requested_by, std::string correlation_id,
             append_callback done) override {
    auto cb = admit(std::move(done));
    if (!cb) return;
    caf::anon_send(registry_, erase_atom::value,
                   erase_msg{std::move(lead_id), std::move(reason), std::move(requested_by),
                             std::move(correlation_id), std::move(cb)});
  }

  void retry_enrichment(std::string, append_callback done) override {
    append_outcome o;
    o.code = errc::not_found;
    o.message = "enrichment is not configured";
    done(std::move(o));
  }

  size_t in_flight() const override { return in_flight_.load(std::memory_order_relaxed); }
  size_t live_leads() const override { return env_.live_leads.load(std::memory_order_relaxed); }
  const journal_stats& journal() const override { return stats_; }

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
    return std::make_shared<append_callback>([this, done = std::move(done)](append_outcome o) {
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
      done(std::move(o));
    });
  }

  service_options opts_;
  std::unique_ptr<caf::actor_system_config> cfg_;
  caf::actor_system sys_;
  journal_stats stats_;
  lead_env env_;
  caf::actor registry_;
  std::atomic<size_t> in_flight_{0};
};

} // namespace

std::unique_ptr<lead_service> start_lead_service(storage::event_log& log, const service_options& opts) {
  return std::make_unique<caf_lead_service>(log, opts);
}

} // namespace leadbase::actors
