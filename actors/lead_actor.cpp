#include "actors/lead_actor.hpp"

#include <random>
#include <set>

#include "actors/caf_error.hpp"
#include "events/codec.hpp"
#include "events/decide.hpp"
#include "events/lead_state.hpp"
#include "events/logging.hpp"
#include "events/snapshot.hpp"
#include "discovery/backoff.hpp"
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
  std::set<std::string> calling;  // networks with a Creator Discovery call on its way
  discovery::uniform_source rng;  // jitter for retry backoff
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

std::string random_event_id(const char* prefix) {
  static const char digits[] = "0123456789abcdef";
  std::string id = prefix;
  uint64_t bits = random_bits();
  for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(digits[bits & 0xf]);
  return id;
}

void run_follow_ups(lead_self* self, lead_env* env);

/// Sends decided events to the journal; evolves and answers once they are durable.
void append(lead_self* self, lead_env* env, std::vector<event> events, std::shared_ptr<append_callback> done,
            std::function<void()> after = {}) {
  auto& st = self->state;
  auto req = std::make_shared<storage::append_request>();
  req->lead_id = st.lead_id;
  req->expected_version = st.model.version;
  req->key = *st.key;
  req->new_key = st.key_is_new;
  req->events = std::move(events);
  // What the lead will owe after these events goes into the same write, so a
  // crash can never lose a scheduled retry (the scheduler reads it back).
  if (env->follow_ups) {
    lead_state next = st.model;
    for (const event& ev : req->events) evolve(next, ev);
    req->update_work = true;
    req->work_due = next_due(next, env->react);
  }
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
            run_follow_ups(self, env);
          },
          [=](caf::error& err) {
            // The write may or may not have landed: forget what we think we know.
            self->state.loaded = false;
            log()->warn("journal append failed: {}", self->system().render(err));
            reply(done, failure(error{errc::timeout, "the journal did not answer in time"}));
          });
}

/// An event the lead decides on its own (qualification, enrichment outcome):
/// caused by the lead's latest event, correlated with its signup.
append_command own_command(const lead_state& model, const std::optional<storage::data_key>& key,
                           const char* id_prefix, payload data) {
  append_command cmd;
  cmd.ev.meta.event_id = random_event_id(id_prefix);
  cmd.ev.meta.lead_id = model.lead_id;
  cmd.ev.meta.occurred_at = now_millis();
  cmd.ev.meta.correlation_id = model.correlation_id;
  if (!model.seen.empty()) cmd.ev.meta.causation_id = model.seen.back().event_id;
  cmd.ev.data = std::move(data);
  if (key) cmd.ev.meta.digest = storage::keyed_digest(*key, canonical_bytes(cmd.ev));
  return cmd;
}

void append_own(lead_self* self, lead_env* env, const char* id_prefix, payload data) {
  auto& st = self->state;
  auto d = decide(st.model, own_command(st.model, st.key, id_prefix, std::move(data)));
  if (!d) return log()->debug("own event refused: {}", d.err().message);
  append(self, env, std::move(d->to_append), nullptr);
}

/// The final, recorded answer for a network no provider serves: the lead is
/// then prioritised with the data it has. Not a call, so not an attempt.
enrichment_failed provider_disabled(const std::string& network, const std::string& handle, uint32_t attempt) {
  return enrichment_failed{network, handle, attempt, "provider_disabled", "", false, std::nullopt};
}

/// What follows from the signup alone is decided at once and written in the
/// same atomic append, one journal write and one fsync wait per signup: its
/// qualification (a pure function of its data and the rules) and, when no
/// provider is configured at all, the final `provider_disabled` outcome of each
/// network it would be enriched on (what run_follow_ups would append next,
/// one append each).
void add_immediate_outcomes(lead_self* self, lead_env* env, std::vector<event>& events) {
  auto& st = self->state;
  lead_state next = st.model;
  for (const event& ev : events) evolve(next, ev);
  auto add = [&](const char* id_prefix, payload data) {
    auto d = decide(next, own_command(next, st.key, id_prefix, std::move(data)));
    if (!d || d->duplicate) return false;
    for (const event& ev : d->to_append) {
      evolve(next, ev);
      events.push_back(ev);
    }
    return true;
  };
  if (!add("qual:", qualify(next.contact, env->qualification, env->disposable_domains))) return;
  if (env->enrichment) return;  // the enrichment actor answers, possibly later
  const millis now = now_millis();
  for (const follow_up& f : pending(next, env->react)) {
    if (f.what != follow_up::kind::enrich || f.due > now) continue;
    add("enf:", provider_disabled(f.network, f.handle, f.attempt));
  }
}

/// Runs what the lead owes now (pending, DESIGN.md) and tells the scheduler
/// when it owes something later.
void run_follow_ups(lead_self* self, lead_env* env) {
  auto& st = self->state;
  if (!env->follow_ups) return;
  const millis now = now_millis();
  std::optional<millis> later;
  for (const follow_up& f : pending(st.model, env->react)) {
    if (f.due > now) {
      later = later ? std::min(*later, f.due) : f.due;
      continue;
    }
    if (f.what == follow_up::kind::qualify) {
      // One event at a time: the qualification's own completion runs the rest.
      return append_own(self, env, "qual:", qualify(st.model.contact, env->qualification, env->disposable_domains));
    }
    if (st.calling.count(f.network)) continue;
    if (!env->enrichment) {
      // No provider configured at all: a final, recorded answer, so the lead
      // is prioritised with the data it has (one event at a time, as above).
      return append_own(self, env, "enf:", provider_disabled(f.network, f.handle, f.attempt));
    }
    st.calling.insert(f.network);
    self->send(env->enrichment, enrich_atom::value, enrich_request{st.lead_id, f.network, f.handle, f.attempt});
  }
  if (later && env->scheduler) self->send(env->scheduler, schedule_atom::value, st.lead_id, *later);
}

/// Turns what Creator Discovery said into the lead's next event.
void on_enrich_result(lead_self* self, lead_env* env, enrich_result& r) {
  auto& st = self->state;
  st.calling.erase(r.request.network);
  if (st.model.status == lead_status::erased || st.model.status == lead_status::none) return;
  const millis now = now_millis();
  if (!st.rng) st.rng = discovery::seeded_uniform(random_bits());
  const enrich_request& q = r.request;
  if (!q.manual && !awaits_answer(st.model, env->react, q.network, q.attempt, now)) {
    log()->debug("dropped a stale {} answer (attempt {}): the lead no longer waits for it", q.network, q.attempt);
    return run_follow_ups(self, env);  // whatever is owed now, with this network no longer being called
  }
  switch (r.what) {
    case enrich_result::kind::busy:
      // No call was made: nothing to record; ask again shortly.
      if (env->scheduler) self->send(env->scheduler, schedule_atom::value, st.lead_id, now + 1000);
      return;
    case enrich_result::kind::disabled: {
      return append_own(self, env, "enf:", provider_disabled(q.network, q.handle, q.attempt));
    }
    case enrich_result::kind::breaker_open: {
      // Fail-fast: recorded and rescheduled past the open period, with
      // jitter so the leads do not all come back at the same moment.
      const millis wait = r.wait_ms + static_cast<millis>(st.rng() * 1000.0);
      enrichment_failed f{q.network, q.handle, q.attempt, "provider_unavailable", "circuit_open", true, now + wait};
      return append_own(self, env, "enf:", std::move(f));
    }
    case enrich_result::kind::fetched: break;
  }
  if (r.fetched->ok()) {
    enriched e = r.fetched->value();
    e.network = q.network;
    e.handle = q.handle;
    if (e.fetched_at == 0) e.fetched_at = now;
    return append_own(self, env, "enr:", std::move(e));
  }
  const discovery::failure& err = r.fetched->error();
  auto delay = discovery::next_retry_delay_ms(q.attempt, err.kind, env->retry, st.rng, err.retry_after);
  enrichment_failed f{q.network,          q.handle, q.attempt, discovery::to_string(err.kind), err.provider_code,
                      delay.has_value(), std::nullopt};
  if (delay) f.next_attempt_at = now + *delay;
  append_own(self, env, "enf:", std::move(f));
}

} // namespace

caf::behavior lead_actor(lead_self* self, std::string lead_id, lead_env* env, caf::actor registry) {
  self->state.lead_id = std::move(lead_id);
  env->live_leads.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([env] { env->live_leads.fetch_sub(1, std::memory_order_relaxed); });
  return {
      [=](append_atom, append_msg& m) {
        auto& st = self->state;
        ++st.received;
        if (auto s = ensure_loaded(self, env); !s) return reply(m.done, failure(s.err()));
        if (!st.key) {
          st.key = storage::make_data_key();
          st.key_is_new = true;
        }
        m.cmd.ev.meta.digest = storage::keyed_digest(*st.key, canonical_bytes(m.cmd.ev));
        auto d = decide(st.model, m.cmd);
        if (!d) return reply(m.done, failure(d.err()));
        if (d->duplicate) {
          append_outcome o;
          o.duplicate = true;
          o.version = d->version;
          o.position = d->position;
          return reply(m.done, std::move(o));
        }
        if (env->follow_ups && m.cmd.ev.type() == event_type::signed_up) add_immediate_outcomes(self, env, d->to_append);
        append(self, env, std::move(d->to_append), m.done);
      },
      [=](erase_atom, erase_msg& m) {
        auto& st = self->state;
        ++st.received;
        if (auto s = ensure_loaded(self, env); !s) return reply(m.done, failure(s.err()));
        if (st.model.status == lead_status::none)
          return reply(m.done, failure(error{errc::not_found, "no such lead"}));
        if (st.model.status == lead_status::erased) {
          append_outcome o;  // erasure is idempotent
          o.duplicate = true;
          o.version = st.model.version;
          o.position = st.model.position;
          return reply(m.done, std::move(o));
        }
        append_command cmd;
        cmd.ev.meta.event_id = random_event_id("erase:");
        cmd.ev.meta.lead_id = st.lead_id;
        cmd.ev.meta.occurred_at = now_millis();
        cmd.ev.meta.correlation_id = m.correlation_id;
        cmd.ev.data = erased{m.reason, m.requested_by};
        auto d = decide(st.model, cmd);
        if (!d) return reply(m.done, failure(d.err()));
        // Answer only once the key is gone from every file (API.md).
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
      },
      [=](result_atom, enrich_result& r) {
        ++self->state.received;
        if (auto s = ensure_loaded(self, env); !s) return log()->warn("lead not loaded: {}", s.err().message);
        on_enrich_result(self, env, r);
      },
      [=](wake_atom, wake_msg&) {
        ++self->state.received;
        if (auto s = ensure_loaded(self, env); !s) return log()->warn("lead not loaded: {}", s.err().message);
        run_follow_ups(self, env);
      },
      [=](retry_atom, retry_msg& m) {
        auto& st = self->state;
        ++st.received;
        if (auto s = ensure_loaded(self, env); !s) return reply(m.done, failure(s.err()));
        if (st.model.status == lead_status::none) return reply(m.done, failure(error{errc::not_found, "no such lead"}));
        if (st.model.status == lead_status::erased || !st.model.qualification ||
            st.model.qualification->result == outcome::disqualified || st.model.enrichment.empty())
          return reply(m.done, failure(error{errc::conflict, "the lead has nothing to enrich"}));
        if (!env->enrichment)
          return reply(m.done, failure(error{errc::conflict, "no Creator Discovery provider is configured"}));
        for (const auto& [network, prog] : st.model.enrichment) {
          const std::string& handle = network == "instagram" ? st.model.contact.social.instagram
                                                             : st.model.contact.social.youtube;
          if (handle.empty() || st.calling.count(network)) continue;
          st.calling.insert(network);
          self->send(env->enrichment, enrich_atom::value,
                     enrich_request{st.lead_id, network, handle, prog.cycle_attempts + 1, true});
        }
        append_outcome o;
        o.version = st.model.version;
        o.position = st.model.position;
        reply(m.done, std::move(o));
      },
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
