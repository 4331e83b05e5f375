#include "actors/enrichment.hpp"

#include <deque>
#include <unordered_set>

#include "discovery/circuit_breaker.hpp"
#include "events/logging.hpp"
#include "events/time.hpp"

namespace leadbase::actors {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("enrichment");
  return logger;
}

struct slot {
  std::unique_ptr<discovery::provider> provider;
  std::unique_ptr<discovery::circuit_breaker> breaker;
  size_t max_in_flight = 32;
  size_t max_queue = 10000;
  size_t in_flight = 0;
  std::deque<enrich_request> queue;
  // Leads with a call of this network queued or in flight. A lead actor that
  // was passivated while waiting comes back from the log and asks again; the
  // first call's answer reaches it through the registry anyway, so a second
  // call would only record the enrichment (or the attempt) twice.
  std::unordered_set<std::string> owed;
};

struct enrichment_state {
  std::map<network, slot> slots;
  registry_actor registry;
  std::shared_ptr<enrichment_status> status;
  static inline const char* name = "leadbase.enrichment";
};

using enrichment_self = enrichment_actor::stateful_pointer<enrichment_state>;

provider_status& status_of(enrichment_self self, network net) {
  return self->state.status->by_network[net];  // caller holds the mutex
}

void publish(enrichment_self self, network net, slot& s) {
  std::lock_guard<std::mutex> guard(self->state.status->mutex);
  auto& st = status_of(self, net);
  st.network = net;
  st.breaker = discovery::to_string(s.breaker->current(now_millis()));
  st.in_flight = s.in_flight;
  st.queued = s.queue.size();
  st.breaker_opened = s.breaker->times_opened();
}

void answer(enrichment_self self, enrich_result r) { self->send(self->state.registry, result_atom::value, std::move(r)); }

/// Starts the call now, or fails fast when the circuit is open.
void start(enrichment_self self, slot& s, enrich_request req) {
  const millis now = now_millis();
  if (!s.breaker->allow(now)) {
    s.owed.erase(req.lead_id);
    {
      std::lock_guard<std::mutex> guard(self->state.status->mutex);
      ++status_of(self, req.network).fail_fast;
    }
    enrich_result r;
    r.request = std::move(req);
    r.what = enrich_result::kind::breaker_open;
    r.wait_ms = s.breaker->open_remaining(now);
    return answer(self, std::move(r));
  }
  ++s.in_flight;
  {
    std::lock_guard<std::mutex> guard(self->state.status->mutex);
    ++status_of(self, req.network).calls;
  }
  auto me = caf::actor_cast<enrichment_actor>(self);
  std::string handle = req.handle;
  // The callback runs on the provider's I/O thread: hand over and return.
  s.provider->fetch(handle, [me, req = std::move(req)](discovery::fetch_result fr) {
    caf::anon_send(me, fetched_atom::value,
                   fetched_msg{req, std::make_shared<discovery::fetch_result>(std::move(fr))});
  });
}

/// A request: refused when the network has no provider, dropped when this lead
/// already has a call owed, else started, queued, or pushed back when full.
void on_enrich(enrichment_self self, enrich_request& req) {
  auto it = self->state.slots.find(req.network);
  if (it == self->state.slots.end()) {
    enrich_result r;
    r.request = std::move(req);
    r.what = enrich_result::kind::disabled;
    return answer(self, std::move(r));
  }
  slot& s = it->second;
  if (!s.owed.insert(req.lead_id).second) {
    log()->debug("a {} call for this lead is already queued or in flight; its answer goes to the lead",
                 to_string(req.network));
    return;
  }
  if (s.in_flight < s.max_in_flight) {
    start(self, s, std::move(req));
  } else if (s.queue.size() < s.max_queue) {
    s.queue.push_back(std::move(req));
  } else {
    s.owed.erase(req.lead_id);
    enrich_result r;  // push back: the lead tries again later, nothing is lost
    r.request = std::move(req);
    r.what = enrich_result::kind::busy;
    answer(self, std::move(r));
  }
  publish(self, it->first, s);
}

/// Counts a provider's answer and tells the breaker what it says about the
/// provider (not about the lead: a not_found means the provider works).
void record_outcome(enrichment_self self, slot& s, network net, const discovery::fetch_result& fr) {
  const millis now = now_millis();
  {
    std::lock_guard<std::mutex> guard(self->state.status->mutex);
    auto& st = status_of(self, net);
    if (fr.ok()) ++st.successes;
    else ++st.failures[discovery::to_string(fr.error().kind)];
  }
  if (fr.ok()) {
    s.breaker->on_success(now);
  } else if (fr.error().kind == discovery::error_class::auth_error) {
    s.breaker->trip(now);  // every call would fail: stop calling
  } else if (discovery::is_breaker_failure(fr.error().kind)) {
    s.breaker->on_failure(now);
  } else {
    s.breaker->on_success(now);  // e.g. not_found: the provider works
  }
}

/// A provider's answer (sent back from its I/O thread): recorded, handed to the
/// lead through the registry, and its place in flight given to the next queued call.
void on_fetched(enrichment_self self, fetched_msg& m) {
  auto it = self->state.slots.find(m.request.network);
  if (it == self->state.slots.end()) return;
  slot& s = it->second;
  --s.in_flight;
  s.owed.erase(m.request.lead_id);
  record_outcome(self, s, m.request.network, *m.result);
  enrich_result r;
  r.request = std::move(m.request);
  r.what = enrich_result::kind::fetched;
  r.fetched = std::move(m.result);
  answer(self, std::move(r));
  while (s.in_flight < s.max_in_flight && !s.queue.empty()) {
    enrich_request next = std::move(s.queue.front());
    s.queue.pop_front();
    start(self, s, std::move(next));
  }
  publish(self, it->first, s);
}

enrichment_actor::behavior_type enrichment(enrichment_self self, std::shared_ptr<std::vector<provider_slot_config>> providers,
                         discovery::breaker_options breaker, registry_actor registry,
                         std::shared_ptr<enrichment_status> status) {
  self->state.registry = std::move(registry);
  self->state.status = std::move(status);
  for (auto& p : *providers) {
    const network net = p.provider->network();
    slot s;
    s.provider = std::move(p.provider);
    s.max_in_flight = std::max<size_t>(1, p.max_in_flight);
    s.max_queue = p.max_queue;
    s.breaker = std::make_unique<discovery::circuit_breaker>(breaker, [net](const discovery::breaker_transition& t) {
      log()->warn("circuit of {} went {} -> {}", to_string(net), discovery::to_string(t.from), discovery::to_string(t.to));
    });
    self->state.slots.emplace(net, std::move(s));
    publish(self, net, self->state.slots.at(net));
  }
  // The providers go with the state: each joins its I/O thread when destroyed,
  // and a result still on its way is sent to an actor that is gone (dropped).
  return {
      [=](enrich_atom, enrich_request& req) { on_enrich(self, req); },
      [=](fetched_atom, fetched_msg& m) { on_fetched(self, m); },
  };
}

} // namespace

enrichment_actor spawn_enrichment(caf::actor_system& sys, std::vector<provider_slot_config> providers,
                                  const discovery::breaker_options& breaker, registry_actor registry,
                                  std::shared_ptr<enrichment_status> status) {
  auto shared = std::make_shared<std::vector<provider_slot_config>>(std::move(providers));
  return sys.spawn(enrichment, shared, breaker, std::move(registry), std::move(status));
}

} // namespace leadbase::actors
