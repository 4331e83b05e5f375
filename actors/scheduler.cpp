#include "actors/scheduler.hpp"

#include <map>
#include <unordered_map>

#include "events/time.hpp"

namespace leadbase::actors {
namespace {

struct scheduler_state {
  std::multimap<millis, std::string> timers;       // due -> lead
  std::unordered_map<std::string, millis> due_of;  // lead -> its earliest due
  registry_actor registry;
  std::atomic<size_t>* scheduled = nullptr;
  millis armed_for = INT64_MAX;                    // the earliest tick already on its way
  static inline const char* name = "leadbase.scheduler";
};

using scheduler_self = scheduler_actor::stateful_pointer<scheduler_state>;

void arm(scheduler_self self) {
  auto& st = self->state;
  st.scheduled->store(st.due_of.size(), std::memory_order_relaxed);
  if (st.timers.empty()) return;
  const millis next = st.timers.begin()->first;
  if (next >= st.armed_for) return;
  st.armed_for = next;
  const millis delay = std::max<millis>(0, next - now_millis());
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

scheduler_actor::behavior_type scheduler(scheduler_self self, registry_actor registry, std::atomic<size_t>* scheduled) {
  self->state.registry = std::move(registry);
  self->state.scheduled = scheduled;
  return {
      [=](schedule_atom, const std::string& lead_id, millis due) {
        auto& st = self->state;
        auto it = st.due_of.find(lead_id);
        if (it != st.due_of.end()) {
          if (it->second <= due) return;  // an earlier wake is already planned; the lead re-plans then
          auto range = st.timers.equal_range(it->second);
          for (auto t = range.first; t != range.second; ++t)
            if (t->second == lead_id) {
              st.timers.erase(t);
              break;
            }
        }
        st.due_of[lead_id] = due;
        st.timers.emplace(due, lead_id);
        arm(self);
      },
      [=](tick_atom) {
        auto& st = self->state;
        st.armed_for = INT64_MAX;
        const millis now = now_millis();
        while (!st.timers.empty() && st.timers.begin()->first <= now) {
          std::string lead_id = st.timers.begin()->second;
          st.timers.erase(st.timers.begin());
          st.due_of.erase(lead_id);
          self->send(st.registry, wake_atom::value, wake_msg{std::move(lead_id)});
        }
        arm(self);
      },
  };
}

} // namespace

scheduler_actor spawn_scheduler(caf::actor_system& sys, registry_actor registry, std::atomic<size_t>* scheduled) {
  return sys.spawn(scheduler, std::move(registry), scheduled);
}

} // namespace leadbase::actors
