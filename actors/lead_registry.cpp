// The registry: routes every message to its lead's actor, spawning it on first
// use and passivating it when idle or when too many are alive (LRU), so memory
// does not grow with the number of leads stored.
//
// Passivation is a handshake, so no message is lost and no two actors of one
// lead ever run at once: the registry sends `stop` (it queues behind every
// message already routed), moves the lead to `draining`, and holds any new
// message for that lead until the old actor says `stopped`.
//
// Lead actors are monitored, not linked (a link is an entry in a list the
// registry would walk at every passivation). A lead actor that dies without
// `stopped` (an exception) is forgotten, and its held messages go to a new
// one, which folds the lead from the log again. The registry's own exit is
// passed on to every lead actor.
#include <list>
#include <unordered_map>
#include <variant>

#include "actors/lead_actor.hpp"
#include "events/logging.hpp"

namespace leadbase::actors {
namespace {

using routed = std::variant<append_msg, erase_msg, enrich_result, wake_msg, retry_msg, work_msg>;

struct registry_state {
  struct entry {
    caf::actor actor;
    uint64_t forwarded = 0;
    std::list<std::string>::iterator lru;
  };
  lead_env* env = nullptr;
  size_t max_live = 100000;
  std::unordered_map<std::string, entry> live;
  std::list<std::string> lru;  // front = most recently used
  struct drain {
    caf::actor actor;
    std::vector<routed> held;
  };
  std::unordered_map<std::string, drain> draining;
  std::unordered_map<caf::actor_addr, std::string> lead_of;  // every monitored lead actor
  static inline const char* name = "leadbase.registry";
};

using registry_self = registry_actor::stateful_pointer<registry_state>;

/// Lead actors are dynamically typed (the lead answers through the callback
/// in each message, never to the sender), so the typed registry hands them
/// their messages anonymously; order per lead is kept (one mailbox, one sender thread).
void deliver(const caf::actor& target, routed&& m) {
  std::visit(
      [&](auto&& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, append_msg>) caf::anon_send(target, append_atom::value, std::move(x));
        else if constexpr (std::is_same_v<T, erase_msg>) caf::anon_send(target, erase_atom::value, std::move(x));
        else if constexpr (std::is_same_v<T, enrich_result>) caf::anon_send(target, result_atom::value, std::move(x));
        else if constexpr (std::is_same_v<T, wake_msg>) caf::anon_send(target, wake_atom::value, std::move(x));
        else if constexpr (std::is_same_v<T, work_msg>) caf::anon_send(target, work_atom::value, std::move(x));
        else caf::anon_send(target, retry_atom::value, std::move(x));
      },
      std::move(m));
}

/// Takes the id by value: callers pass ids that live in the LRU list or the
/// live map, and this erases both.
void passivate(registry_self self, std::string lead_id) {
  auto& st = self->state;
  auto it = st.live.find(lead_id);
  if (it == st.live.end()) return;
  caf::anon_send(it->second.actor, stop_atom::value);
  st.lru.erase(it->second.lru);
  st.draining[lead_id].actor = it->second.actor;  // hold new messages until `stopped`
  st.live.erase(it);
}

void route(registry_self self, const std::string& lead_id, routed&& m) {
  auto& st = self->state;
  if (auto d = st.draining.find(lead_id); d != st.draining.end()) {
    d->second.held.push_back(std::move(m));
    return;
  }
  auto it = st.live.find(lead_id);
  if (it == st.live.end()) {
    auto actor = spawn_lead(self, lead_id, st.env);
    self->monitor(actor);
    st.lead_of.emplace(actor.address(), lead_id);
    st.lru.push_front(lead_id);
    it = st.live.emplace(lead_id, registry_state::entry{actor, 0, st.lru.begin()}).first;
  } else {
    st.lru.splice(st.lru.begin(), st.lru, it->second.lru);
  }
  ++it->second.forwarded;
  deliver(it->second.actor, std::move(m));
  if (st.live.size() > st.max_live) passivate(self, st.lru.back());
}

/// The held messages of a drained lead go to its next actor.
void release(registry_self self, const std::string& lead_id) {
  auto& st = self->state;
  auto d = st.draining.find(lead_id);
  if (d == st.draining.end()) return;
  std::vector<routed> held = std::move(d->second.held);
  st.draining.erase(d);
  for (auto& m : held) route(self, lead_id, std::move(m));
}

registry_actor::behavior_type registry(registry_self self, lead_env* env, size_t max_live) {
  self->state.env = env;
  self->state.max_live = max_live == 0 ? 1 : max_live;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto found = st.lead_of.find(dm.source);
    if (found == st.lead_of.end()) return;
    const std::string lead_id = std::move(found->second);
    st.lead_of.erase(found);
    if (auto it = st.live.find(lead_id); it != st.live.end() && it->second.actor.address() == dm.source) {
      // Died while live: forget it; the next message spawns a new one.
      st.lru.erase(it->second.lru);
      st.live.erase(it);
    } else if (auto d = st.draining.find(lead_id); d != st.draining.end() && d->second.actor.address() == dm.source) {
      release(self, lead_id);  // died before saying `stopped`
    }
  });
  // Lead actors are not linked, so the registry's end (an exit, or an
  // exception in a handler) is passed on to each of them here; otherwise they
  // would outlive it and the actor system would never finish.
  auto stop_leads = [=](const caf::error& reason) {
    auto& st = self->state;
    for (auto& [id, e] : st.live) self->send_exit(e.actor, reason);
    for (auto& [id, d] : st.draining) self->send_exit(d.actor, reason);
  };
  self->set_exit_handler([=](caf::exit_msg& em) {
    stop_leads(em.reason);
    self->quit(em.reason);
  });
  self->set_exception_handler([=](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    module_logger("actors")->critical("lead registry failed: {}; its lead actors stop with it", what);
    stop_leads(caf::exit_reason::unhandled_exception);
    return caf::exit_reason::unhandled_exception;
  });
  return {
      [=](append_atom, append_msg& m) {
        std::string lead_id = m.cmd.ev.meta.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](erase_atom, erase_msg& m) {
        std::string lead_id = m.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](result_atom, enrich_result& m) {
        std::string lead_id = m.request.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](wake_atom, wake_msg& m) {
        std::string lead_id = m.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](retry_atom, retry_msg& m) {
        std::string lead_id = m.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](work_atom, work_msg& m) {
        std::string lead_id = m.lead_id;
        route(self, lead_id, std::move(m));
      },
      [=](idle_atom, const std::string& lead_id, uint64_t handled) {
        auto it = self->state.live.find(lead_id);
        // Only when nothing routed to it is still on its way.
        if (it != self->state.live.end() && it->second.forwarded == handled) passivate(self, lead_id);
      },
      [=](stopped_atom, const std::string& lead_id) { release(self, lead_id); },
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, lead_env* env, size_t max_live_leads) {
  return sys.spawn(registry, env, max_live_leads);
}

} // namespace leadbase::actors
