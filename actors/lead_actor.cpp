#include "actors/lead_actor.hpp"

#include <random>
#include <set>

#include "actors/caf_error.hpp"
#include "events/codec.hpp"
#include "events/lead_state.hpp"
#include "events/logging.hpp"
#include "events/snapshot.hpp"
#include "events/time.hpp"
#include "storage/sealing.hpp"

namespace leadbase::actors {

struct lead_actor_state {
  std::string lead_id;
  lead_state model;
  std::optional<storage::data_key> key;
  bool key_is_new = false;  // generated here, not yet in the log
  bool loaded = false;
  lead_version snapshot_version = 0;  // of the newest stored snapshot
  uint64_t received = 0;    // routed messages handled; the registry compares before passivating
  std::set<network> calling;  // networks with a Creator Discovery call on its way
  static inline const char* name = "leadbase.lead";
};

namespace {

using lead_self = caf::stateful_actor<lead_actor_state>;

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("lead");
  return logger;
}

void reply(const std::shared_ptr<append_callback>& done, append_outcome outcome) {
  if (done && *done) (*done)(std::move(outcome));
}

append_outcome failure(const error& e) {
  append_outcome o;
  o.code = e.code;
  o.message = e.message;
  return o;
}

/// The newest snapshot, if there is one that can still be read (a snapshot
/// sealed with a destroyed key cannot; the caller then folds from the start).
std::optional<lead_state> load_snapshot(lead_env* env, const std::string& lead_id,
                                        const std::optional<storage::data_key>& key) {
  if (!key) return std::nullopt;
  auto bytes = env->log->read_snapshot(lead_id);
  if (!bytes || !*bytes) return std::nullopt;
  auto plain = storage::unseal(*key, **bytes);
  if (!plain) return std::nullopt;
  auto state = decode_snapshot(*plain);
  if (!state || state->lead_id != lead_id) {
    log()->warn("ignoring an unreadable snapshot");
    return std::nullopt;
  }
  return std::move(*state);
}

/// Rehydrates from the log: the snapshot, if any, then the pure fold over
/// every event stored after it.
status ensure_loaded(lead_self* self, lead_env* env) {
  auto& st = self->state;
  if (st.loaded) return ok();
  // Most leads an actor is spawned for are new: one point read (with its
  // bloom filter) says so, without opening an iterator.
  auto head = env->log->read_head(st.lead_id);
  if (!head) return head.err();
  if (!*head) {
    st.model = initial(st.lead_id);
    st.key.reset();
    st.key_is_new = false;
    st.snapshot_version = 0;
    st.loaded = true;
    return ok();
  }
  auto key = env->log->read_key(st.lead_id);
  if (!key) return key.err();
  st.key = *key;
  st.key_is_new = false;
  auto snapshot = load_snapshot(env, st.lead_id, st.key);
  st.model = snapshot ? std::move(*snapshot) : initial(st.lead_id);
  st.snapshot_version = st.model.version;
  auto events = env->log->read_stream(st.lead_id, st.model.version + 1);
  if (!events) return events.err();
  for (const auto& s : *events) evolve(st.model, s.ev);
  st.loaded = true;
  return ok();
}

/// Every `snapshot_every` events, the folded state goes to the snapshots
/// family (sealed: it holds the contact). A cache, not a fact: it is written
/// without sync, and a lost or unreadable one only costs a longer fold.
void maybe_snapshot(lead_self* self, lead_env* env) {
  auto& st = self->state;
  if (env->snapshot_every == 0 || !st.key || st.model.version < st.snapshot_version + env->snapshot_every) return;
  auto s = env->log->put_snapshot(st.lead_id, storage::seal(*st.key, encode_snapshot(st.model)));
  if (!s) return log()->warn("snapshot not written: {}", s.err().message);
  st.snapshot_version = st.model.version;
}

/// 64 random bits from a per-thread generator. std::random_device is read
/// once per thread: opening it costs more than a lead's whole append (perf
/// showed it at 3% of the server's CPU when each lead seeded from it).
uint64_t random_bits() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

/// What decide may depend on besides the lead: the time, one uniform draw
/// (jitter), random bits for new event ids, the settings.
decide_context context(lead_env* env) {
  decide_context ctx;
  ctx.now = now_millis();
  ctx.uniform = static_cast<double>(random_bits() >> 11) * 0x1.0p-53;  // [0, 1)
  ctx.id_bits = random_bits();
  ctx.options = &env->rules;
  return ctx;
}

/// The lead's own events get their content digest here: it is keyed with the
/// lead's data key, which only the actor holds. An ingested event has one already.
void add_digests(lead_self* self, std::vector<event>& events) {
  const auto& key = self->state.key;
  if (!key) return;
  static const content_digest none{};
  for (event& ev : events)
    if (ev.meta.digest == none) ev.meta.digest = storage::keyed_digest(*key, canonical_bytes(ev));
}

void run_owed_work(lead_self* self, lead_env* env);

/// Sends decided events to the journal; evolves and answers once they are durable.
void append(lead_self* self, lead_env* env, std::vector<event> events, std::shared_ptr<append_callback> done,
            std::function<void()> after = {}) {
  auto& st = self->state;
  add_digests(self, events);
  auto req = std::make_shared<storage::append_request>();
  req->lead_id = st.lead_id;
  req->expected_version = st.model.version;
  req->key = *st.key;
  req->new_key = st.key_is_new;
  req->events = std::move(events);
  // What the lead will owe after these events goes into the same write, so a
  // crash can never lose a scheduled retry or a claim's lapse (the scheduler
  // reads it back at start). Without follow-ups only the claim's lapse is owed.
  lead_state next = st.model;
  for (const event& ev : req->events) evolve(next, ev);
  req->work_due = env->rules.follow_ups ? next_due(next, env->rules.react) : claim_lapse(next);
  // (without follow-ups, an import's appends write no work entry unless a claim was or is owed)
  req->update_work = env->rules.follow_ups || req->work_due || claim_lapse(st.model);
  // await: the lead takes no other message until its write is answered, so
  // its version never races ahead of the log.
  self->request(env->journal, env->journal_timeout, append_atom::value, journal_request{std::move(req)})
      .await(
          [=](journal_reply& r) {
            auto& current = self->state;
            storage::append_result& res = *r.result;
            if (res.code != errc::success) {
              if (res.code != errc::conflict) current.loaded = false;  // re-read the log before the next decision
              reply(done, failure(error{res.code, res.message}));
              return;
            }
            current.key_is_new = false;
            for (const event& ev : res.events) evolve(current.model, ev);
            maybe_snapshot(self, env);
            // The answer is about the command's own event, the first one; any
            // that follow were the lead's reaction to it.
            append_outcome o;
            o.version = res.events.empty() ? current.model.version : res.events.front().meta.version;
            o.position = res.events.empty() ? current.model.position : res.events.front().meta.position;
            reply(done, std::move(o));
            if (after) after();
            run_owed_work(self, env);
          },
          [=](caf::error& err) {
            // The write may or may not have landed: forget what we think we know.
            self->state.loaded = false;
            log()->warn("journal append failed: {}", self->system().render(err));
            reply(done, failure(error{errc::timeout, "the journal did not answer in time"}));
          });
}

/// Carries a decision out: its events to the journal (then `done` hears),
/// its Creator Discovery calls (one at a time per network), its wake-up.
void carry_out(lead_self* self, lead_env* env, decision d, std::shared_ptr<append_callback> done = nullptr) {
  auto& st = self->state;
  for (enrich_call& c : d.calls) {
    if (!env->enrichment || !st.calling.insert(c.network).second) continue;
    self->send(env->enrichment, enrich_atom::value,
               enrich_request{st.lead_id, c.network, std::move(c.handle), c.attempt, c.manual});
  }
  if (d.wake_at && env->scheduler) self->send(env->scheduler, schedule_atom::value, st.lead_id, *d.wake_at);
  if (!d.to_append.empty()) append(self, env, std::move(d.to_append), std::move(done));
}

/// A command the lead gives itself (what it owes, a provider's answer): a
/// refusal answers no one, so it is only logged.
void decide_own(lead_self* self, lead_env* env, const command& cmd) {
  auto d = decide(self->state.model, cmd, context(env));
  if (!d) return log()->debug("own command refused: {}", d.err().message);
  carry_out(self, env, std::move(*d));
}

void run_owed_work(lead_self* self, lead_env* env) { decide_own(self, env, run_owed{}); }

append_outcome answer_of(const decision& d) {
  append_outcome o;
  o.duplicate = d.duplicate;
  o.version = d.version;
  o.position = d.position;
  return o;
}

/// Counts a routed message (the registry compares before passivating) and
/// rehydrates the lead; false, with `done` answered, when the log cannot be read.
bool begin(lead_self* self, lead_env* env, const std::shared_ptr<append_callback>& done = nullptr) {
  ++self->state.received;
  if (auto s = ensure_loaded(self, env); !s) {
    if (done) reply(done, failure(s.err()));
    else log()->warn("lead not loaded: {}", s.err().message);
    return false;
  }
  return true;
}

// -- the handlers ------------------------------------------------------------------

void on_append(lead_self* self, lead_env* env, append_msg& m) {
  auto& st = self->state;
  if (!begin(self, env, m.done)) return;
  if (!st.key) {
    st.key = storage::make_data_key();
    st.key_is_new = true;
  }
  m.cmd.ev.meta.digest = storage::keyed_digest(*st.key, canonical_bytes(m.cmd.ev));
  auto d = decide(st.model, ingest{std::move(m.cmd)}, context(env));
  if (!d) return reply(m.done, failure(d.err()));
  if (d->duplicate) return reply(m.done, answer_of(*d));
  carry_out(self, env, std::move(*d), m.done);
}

/// Erasure answers only once the key is gone from every file (docs/http-api.md): the
/// `erased` event first, then the key's destruction.
void on_erase(lead_self* self, lead_env* env, erase_msg& m) {
  auto& st = self->state;
  if (!begin(self, env, m.done)) return;
  auto d = decide(st.model, erase{m.reason, m.requested_by, m.correlation_id}, context(env));
  if (!d) return reply(m.done, failure(d.err()));
  if (d->duplicate) return reply(m.done, answer_of(*d));
  auto done = m.done;
  auto held = std::make_shared<append_outcome>();
  auto after_append = std::make_shared<append_callback>([held, done](append_outcome o) {
    if (o.code != errc::success) return reply(done, std::move(o));
    *held = std::move(o);
  });
  append(self, env, std::move(d->to_append), after_append, [=] {
    self->request(env->journal, env->journal_timeout, destroy_atom::value, self->state.lead_id)
        .await(
            [=]() {
              self->state.key.reset();
              reply(done, *held);
            },
            [=](caf::error& err) {
              // The journal's own refusal: the key is gone or never will
              // be read again; a timeout says nothing about it.
              if (err.category() == error_category) self->state.key.reset();
              reply(done, failure(from_caf(err, errc::timeout, "key destruction timed out")));
            });
  });
}

/// What came of an enrich_request, as the command about it.
command answer_command(enrich_result& r) {
  const enrich_request& q = r.request;
  enrich_call call{q.network, q.handle, q.attempt, q.manual};
  switch (r.what) {
    case enrich_result::kind::busy: return provider_busy{std::move(call)};
    case enrich_result::kind::disabled: return provider_disabled{std::move(call)};
    case enrich_result::kind::breaker_open: return circuit_open{std::move(call), r.wait_ms};
    case enrich_result::kind::fetched: break;
  }
  discovery::fetch_result& f = *r.fetched;
  if (f.ok()) return record_fetch{std::move(call), std::move(f.value())};
  const discovery::failure& err = f.error();
  return record_fetch{std::move(call), fetch_failure{err.kind, err.provider_code, err.retry_after}};
}

void on_enrich_result(lead_self* self, lead_env* env, enrich_result& r) {
  if (!begin(self, env)) return;
  self->state.calling.erase(r.request.network);
  decide_own(self, env, answer_command(r));
}

void on_wake(lead_self* self, lead_env* env) {
  if (!begin(self, env)) return;
  run_owed_work(self, env);
}

void on_retry(lead_self* self, lead_env* env, retry_msg& m) {
  if (!begin(self, env, m.done)) return;
  auto d = decide(self->state.model, retry_now{}, context(env));
  if (!d) return reply(m.done, failure(d.err()));
  const append_outcome o = answer_of(*d);
  carry_out(self, env, std::move(*d));
  reply(m.done, o);
}

/// A claim, release or contact: decided, appended, and answered with the
/// lead's state after it (a claim by the owner again: the state as it is).
void on_work(lead_self* self, lead_env* env, work_msg& m) {
  auto done = m.done;
  auto fail = std::make_shared<append_callback>(
      [done](append_outcome o) { (*done)(work_outcome{std::move(o), std::nullopt}); });
  if (!begin(self, env, fail)) return;
  auto& st = self->state;
  auto d = std::visit([&](const auto& c) { return decide(st.model, command{c}, context(env)); }, m.cmd);
  if (!d) return reply(fail, failure(d.err()));
  if (d->duplicate || d->to_append.empty()) return (*done)(work_outcome{answer_of(*d), st.model});
  auto answered = std::make_shared<append_callback>([self, done](append_outcome o) {
    if (o.code != errc::success) return (*done)(work_outcome{std::move(o), std::nullopt});
    (*done)(work_outcome{std::move(o), self->state.model});
  });
  carry_out(self, env, std::move(*d), answered);
}

} // namespace

caf::behavior lead_actor(lead_self* self, std::string lead_id, lead_env* env, caf::actor registry) {
  self->state.lead_id = std::move(lead_id);
  env->live_leads.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([env] { env->live_leads.fetch_sub(1, std::memory_order_relaxed); });
  return {
      [=](append_atom, append_msg& m) { on_append(self, env, m); },
      [=](erase_atom, erase_msg& m) { on_erase(self, env, m); },
      [=](result_atom, enrich_result& r) { on_enrich_result(self, env, r); },
      [=](wake_atom, wake_msg&) { on_wake(self, env); },
      [=](retry_atom, retry_msg& m) { on_retry(self, env, m); },
      [=](work_atom, work_msg& m) { on_work(self, env, m); },
      [=](stop_atom) {
        self->send(registry, stopped_atom::value, self->state.lead_id);
        self->quit();
      },
      caf::after(env->passivate_after) >>
          [=] {
            // Not while a Creator Discovery call is on its way: its answer comes here.
            if (self->state.calling.empty())
              self->send(registry, idle_atom::value, self->state.lead_id, self->state.received);
          },
  };
}

caf::actor spawn_lead(caf::local_actor* registry, std::string lead_id, lead_env* env) {
  return registry->spawn(lead_actor, std::move(lead_id), env, caf::actor_cast<caf::actor>(registry));
}

} // namespace leadbase::actors
