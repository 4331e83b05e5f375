#include "actors/journal.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/caf_error.hpp"
#include "events/logging.hpp"
#include "events/time.hpp"

namespace leadbase::actors {
namespace {

struct journal_state {
  storage::event_log* log = nullptr;
  journal_stats* stats = nullptr;
  size_t max_batch = 4096;
  std::vector<std::pair<std::shared_ptr<storage::append_request>, caf::response_promise>> pending;
  bool commit_scheduled = false;
  eraser_actor eraser;
  std::chrono::milliseconds purge_timeout{30000};
  static inline const char* name = "leadbase.journal";
};

using journal_self = journal_actor::stateful_pointer<journal_state>;

void commit(journal_self self) {
  auto& st = self->state;
  st.commit_scheduled = false;
  if (st.pending.empty()) return;
  const size_t n = std::min(st.pending.size(), st.max_batch);
  std::vector<storage::append_request> requests;
  requests.reserve(n);
  for (size_t i = 0; i < n; ++i) requests.push_back(std::move(*st.pending[i].first));
  const auto started = std::chrono::steady_clock::now();
  std::vector<storage::append_result> results = st.log->append_batch(requests, now_millis());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  st.stats->batches.fetch_add(1, std::memory_order_relaxed);
  st.stats->events.fetch_add(n, std::memory_order_relaxed);
  st.stats->write_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count(),
                               std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (size_t b = 0; b < journal_stats::latency_buckets_s.size(); ++b)
    if (seconds <= journal_stats::latency_buckets_s[b]) {
      st.stats->latency_hist[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  for (size_t b = 0; b < journal_stats::batch_buckets.size(); ++b)
    if (n <= journal_stats::batch_buckets[b]) {
      st.stats->batch_hist[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  if (n > st.stats->max_batch_seen.load(std::memory_order_relaxed))
    st.stats->max_batch_seen.store(n, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i)
    st.pending[i].second.deliver(journal_reply{std::make_shared<storage::append_result>(std::move(results[i]))});
  st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<std::ptrdiff_t>(n));
  st.stats->queued.store(st.pending.size(), std::memory_order_relaxed);
  if (!st.pending.empty()) {  // over max_batch: the rest goes in the next write
    st.commit_scheduled = true;
    self->send(self, commit_atom::value);
  }
}

journal_actor::behavior_type journal(journal_self self, storage::event_log* log, size_t max_batch, journal_stats* stats,
                                     eraser_actor eraser, std::chrono::milliseconds purge_timeout) {
  self->state.eraser = std::move(eraser);
  self->state.purge_timeout = purge_timeout;
  self->state.log = log;
  self->state.max_batch = max_batch == 0 ? 1 : max_batch;
  self->state.stats = stats;
  return {
      [=](append_atom, journal_request& r) -> caf::result<journal_reply> {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        st.pending.emplace_back(std::move(r.request), rp);
        st.stats->queued.store(st.pending.size(), std::memory_order_relaxed);
        // The commit message queues behind every append already in the
        // mailbox: all of them go into the same write (group commit).
        if (!st.commit_scheduled) {
          st.commit_scheduled = true;
          self->send(self, commit_atom::value);
        }
        return rp;
      },
      [=](commit_atom) { commit(self); },
      [=](destroy_atom, const std::string& lead_id) -> caf::result<void> {
        commit(self);  // anything queued for this lead goes in first
        if (auto s = self->state.log->delete_key(lead_id); !s) {
          module_logger("journal")->error("deleting a data key failed: {}", s.err().message);
          return to_caf(s.err());
        }
        // The flush and compaction run on the eraser's thread: this one goes
        // on writing every other lead's appends meanwhile.
        auto rp = self->make_response_promise();
        self->request(self->state.eraser, self->state.purge_timeout, purge_atom::value, lead_id)
            .then([rp]() mutable { rp.deliver(caf::unit); }, [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
  };
}

} // namespace

journal_actor spawn_journal(caf::actor_system& sys, storage::event_log& log, size_t max_batch, journal_stats& stats,
                            eraser_actor eraser, std::chrono::milliseconds purge_timeout) {
  return sys.spawn<caf::detached>(journal, &log, max_batch, &stats, std::move(eraser), purge_timeout);
}

} // namespace leadbase::actors
