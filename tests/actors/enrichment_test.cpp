// From signup to a final state: qualification, Creator Discovery through the
// real Instagram client against the real simulator, retries, the circuit
// breaker and restarts. Backoff is configured in milliseconds so no test
// waits for real backoff; polling has a generous safety cap only.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "actors/service.hpp"
#include "discovery/simulator.hpp"
#include "events/lead_state.hpp"
#include "storage/hash_chain.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;
using leadbase::test::make_event;

namespace {

struct pipeline {
  test::temp_dir dir;
  std::unique_ptr<discovery::simulator> sim;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<lead_service> service;
  actors::service_options opts;

  explicit pipeline(uint32_t latency_ms = 0) {
    discovery::simulator_options so;
    so.listen = "127.0.0.1:0";
    so.latency_ms = latency_ms;
    so.hold_ms = 2000;
    sim = std::make_unique<discovery::simulator>(so);
    REQUIRE(sim->start());
    discovery::instagram_options ig;
    ig.base_url = sim->instagram_base_url();
    ig.access_token = "test-token";
    ig.timeout_ms = 300;
    ig.max_in_flight = 8;
    opts.discovery.instagram = ig;
    opts.discovery.retry.base_ms = 2;
    opts.discovery.retry.cap_ms = 20;
    opts.discovery.retry.max_attempts = 4;
    opts.discovery.breaker.open_ms = 200;
    opts.discovery.breaker.window = 20;
    opts.discovery.breaker.min_calls = 10;
    opts.qualification.internal_domains = {"hotmart.com"};
    open();
  }

  void open() {
    storage::log_options lo;
    lo.dir = dir.str();
    auto opened = storage::event_log::open(lo);
    REQUIRE(opened);
    log = std::move(*opened);
    auto started = actors::start_lead_service(*log, opts);
    REQUIRE(started);
    service = std::move(*started);
  }

  void restart() {
    service.reset();
    log.reset();
    open();
  }

  append_outcome signup(const std::string& lead, const std::string& instagram,
                        const std::string& email = "creator@exemplo.com.br") {
    auto s = test::sample_signup(false);
    s.email = email;
    s.social.instagram = instagram;
    s.social.tiktok.clear();
    append_command c;
    c.ev = make_event(lead, "sg-" + lead, s);
    std::promise<append_outcome> p;
    auto f = p.get_future();
    service->append(std::move(c), [&p](append_outcome o) { p.set_value(std::move(o)); });
    REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return f.get();
  }

  lead_state state(const std::string& lead) {
    auto events = log->read_stream(lead);
    REQUIRE(events);
    lead_state s = initial(lead);
    for (const auto& e : *events) evolve(s, e.ev);
    return s;
  }

  std::vector<event> events(const std::string& lead) {
    auto stored = log->read_stream(lead);
    REQUIRE(stored);
    std::vector<event> out;
    for (auto& s : *stored) out.push_back(s.ev);
    return out;
  }

  /// Polls until the lead reaches a final state (or `pred`), 30 s at most.
  lead_state wait_final(const std::string& lead) {
    for (int i = 0; i < 3000; ++i) {
      lead_state s = state(lead);
      if (s.final_at && s.overall_enrichment() != enrichment_state::pending &&
          s.overall_enrichment() != enrichment_state::retry_scheduled)
        return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("lead " << lead << " did not reach a final state");
    return {};
  }
};

std::vector<event_type> types(const std::vector<event>& es) {
  std::vector<event_type> out;
  for (const auto& e : es) out.push_back(e.type());
  return out;
}

} // namespace

TEST_CASE("a signup is qualified and enriched through the real client", "[enrichment]") {
  pipeline p;
  REQUIRE(p.signup("u-1", "anasouza").code == errc::success);
  lead_state s = p.wait_final("u-1");
  CHECK(s.status == lead_status::enriched);
  auto es = p.events("u-1");
  REQUIRE(types(es) == std::vector<event_type>{event_type::signed_up, event_type::qualified, event_type::enriched});
  // Follow-ups carry the signup's correlation id and their cause.
  CHECK(es[1].meta.causation_id == "sg-u-1");
  CHECK(es[2].meta.causation_id == es[1].meta.event_id);
  CHECK(es[1].meta.correlation_id == es[0].meta.correlation_id);
  const auto& x = std::get<enriched>(es[2].data);
  CHECK(x.network == network::instagram);
  CHECK(x.handle == "anasouza");
  CHECK(x.followers > 0);
  CHECK(s.enrichment[network::instagram].attempts == 1);
  CHECK(storage::chain_intact(*p.log->read_stream("u-1")));
}

TEST_CASE("qualification outcomes decide what happens next", "[enrichment]") {
  pipeline p;
  SECTION("disqualified: no enrichment") {
    p.signup("u-d", "anasouza", "someone@mailinator.com");
    lead_state s = p.wait_final("u-d");
    CHECK(s.status == lead_status::disqualified);
    CHECK(s.qualification->reasons == std::vector<std::string>{"disposable_email"});
    CHECK(types(p.events("u-d")) == std::vector<event_type>{event_type::signed_up, event_type::qualified});
  }
  SECTION("qualified without a handle: straight to prioritisation") {
    p.signup("u-n", "");
    lead_state s = p.wait_final("u-n");
    CHECK(s.status == lead_status::qualified);
    CHECK(s.overall_enrichment() == enrichment_state::not_needed);
  }
}

TEST_CASE("final error classes are not retried", "[enrichment]") {
  pipeline p;
  // err_auth last: it trips the circuit (every call would fail), which would
  // turn the next lead's first attempt into a fail-fast.
  for (const char* handle : {"err_not_found", "err_invalid", "err_shape", "err_auth"}) {
    std::string lead = std::string("u-") + handle;
    p.signup(lead, handle);
    lead_state s = p.wait_final(lead);
    INFO(handle);
    CHECK(s.status == lead_status::enrichment_failed);
    auto es = p.events(lead);
    REQUIRE(es.size() == 3);
    const auto& f = std::get<enrichment_failed>(es[2].data);
    CHECK_FALSE(f.retryable);
    CHECK_FALSE(f.next_attempt_at);
    CHECK(f.attempt == 1);
  }
}

TEST_CASE("retryable errors are retried with backoff up to the limit", "[enrichment]") {
  pipeline p;
  p.signup("u-p", "err_provider");
  lead_state s = p.wait_final("u-p");
  CHECK(s.status == lead_status::enrichment_failed);
  auto es = p.events("u-p");
  // signed_up, qualified, then max_attempts (4) failures, the last final.
  REQUIRE(es.size() == 6);
  for (size_t i = 2; i < es.size(); ++i) {
    const auto& f = std::get<enrichment_failed>(es[i].data);
    CHECK(f.error_class == failure_class::provider_error);
    CHECK(f.attempt == i - 1);
    bool last = i + 1 == es.size();
    CHECK(f.retryable == !last);
    if (!last) {
      REQUIRE(f.next_attempt_at);
      // full jitter: 0 <= wait <= min(cap, base * 2^attempt)
      millis wait = *f.next_attempt_at - es[i].meta.recorded_at;
      CHECK(wait >= -5);  // recorded_at is taken a moment after next_attempt_at was computed
      CHECK(wait <= std::min<millis>(20, 2 << f.attempt));
      // the next attempt did not happen before it was due
      CHECK(es[i + 1].meta.recorded_at >= *f.next_attempt_at);
    }
  }
  CHECK(s.enrichment[network::instagram].attempts == 4);
}

TEST_CASE("a flaky provider succeeds on a later attempt", "[enrichment]") {
  pipeline p;
  p.signup("u-f", "flaky_2_creator");
  lead_state s = p.wait_final("u-f");
  CHECK(s.status == lead_status::enriched);
  CHECK(types(p.events("u-f")) == std::vector<event_type>{event_type::signed_up, event_type::qualified,
                                                          event_type::enrichment_failed,
                                                          event_type::enrichment_failed, event_type::enriched});
  CHECK(s.enrichment[network::instagram].attempts == 3);
}

TEST_CASE("timeouts are classified and retried", "[enrichment]") {
  pipeline p;
  p.opts.discovery.retry.max_attempts = 2;
  p.restart();
  p.signup("u-t", "err_timeout");
  lead_state s = p.wait_final("u-t");
  auto es = p.events("u-t");
  REQUIRE(es.size() == 4);
  CHECK(std::get<enrichment_failed>(es[2].data).error_class == failure_class::timeout);
  CHECK(std::get<enrichment_failed>(es[2].data).retryable);
  CHECK_FALSE(std::get<enrichment_failed>(es[3].data).retryable);
}

TEST_CASE("the circuit opens under failures, fails fast, and closes again", "[enrichment][breaker]") {
  pipeline p;
  p.opts.discovery.retry.max_attempts = 2;
  p.restart();
  // Enough failing leads to open the circuit (>= 50% of >= 10 calls).
  for (int i = 0; i < 12; ++i) p.signup("bad-" + std::to_string(i), "err_provider");
  for (int i = 0; i < 12; ++i) p.wait_final("bad-" + std::to_string(i));
  auto providers = p.service->providers();
  REQUIRE(providers.size() == 1);
  CHECK(providers[0].breaker_opened >= 1);
  // Leads arriving while it is open fail fast (provider_unavailable, not counted
  // as calls) and are rescheduled; once it half-opens and the trial calls
  // succeed, they are enriched.
  p.signup("good-1", "anasouza");
  lead_state s = p.wait_final("good-1");
  CHECK(s.status == lead_status::enriched);
  bool any_fail_fast = false;
  for (int i = 0; i < 12; ++i)
    for (const auto& e : p.events("bad-" + std::to_string(i)))
      if (auto* f = std::get_if<enrichment_failed>(&e.data); f && f->error_class == failure_class::provider_unavailable) {
        any_fail_fast = true;
        CHECK(f->retryable);
        CHECK(f->next_attempt_at);
      }
  for (const auto& e : p.events("good-1"))
    if (auto* f = std::get_if<enrichment_failed>(&e.data); f && f->error_class == failure_class::provider_unavailable)
      any_fail_fast = true;
  CHECK(any_fail_fast);
  CHECK(p.service->providers()[0].fail_fast >= 1);
  CHECK(s.enrichment[network::instagram].attempts >= 1);
}

TEST_CASE("pending and scheduled enrichments resume after a restart", "[enrichment][restart]") {
  pipeline p(400);  // every call takes 400 ms: the restart catches them in flight
  p.opts.discovery.instagram->timeout_ms = 2000;
  p.restart();
  for (int i = 0; i < 10; ++i) p.signup("r-" + std::to_string(i), i % 2 ? "flaky_1_r" + std::to_string(i) : "c" + std::to_string(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  p.restart();  // calls in flight are abandoned; the work family remembers them
  for (int i = 0; i < 10; ++i) {
    lead_state s = p.wait_final("r-" + std::to_string(i));
    CHECK(s.status == lead_status::enriched);
    // no duplicate qualification
    int qualifications = 0;
    for (const auto& e : p.events("r-" + std::to_string(i))) qualifications += e.type() == event_type::qualified;
    CHECK(qualifications == 1);
  }
  CHECK(p.log->scan_work()->size() == 10);  // every one now only owes its refresh
}

TEST_CASE("a manual retry makes a new attempt", "[enrichment]") {
  pipeline p;
  p.signup("u-m", "err_not_found");
  p.wait_final("u-m");
  std::promise<append_outcome> pr;
  auto f = pr.get_future();
  p.service->retry_enrichment("u-m", [&pr](append_outcome o) { pr.set_value(std::move(o)); });
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(f.get().code == errc::success);
  for (int i = 0; i < 1000 && p.events("u-m").size() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto es = p.events("u-m");
  REQUIRE(es.size() == 4);
  CHECK(std::get<enrichment_failed>(es[3].data).attempt == 2);
  std::promise<append_outcome> pr2;
  auto f2 = pr2.get_future();
  p.service->retry_enrichment("nobody", [&pr2](append_outcome o) { pr2.set_value(std::move(o)); });
  REQUIRE(f2.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(f2.get().code == errc::not_found);
}

TEST_CASE("without any provider a lead with a handle still reaches a final state", "[enrichment]") {
  pipeline p;
  p.opts.discovery.instagram.reset();
  p.restart();
  REQUIRE(p.signup("u-off", "anasouza").code == errc::success);
  // The outcome is known at signup, so it is written in the signup's own
  // atomic append: all three events are in the log when the signup is answered.
  CHECK(p.events("u-off").size() == 3);
  lead_state s = p.wait_final("u-off");
  CHECK(s.status == lead_status::enrichment_failed);
  auto es = p.events("u-off");
  REQUIRE(es.size() == 3);
  const auto& f = std::get<enrichment_failed>(es[2].data);
  CHECK(f.error_class == failure_class::provider_disabled);
  CHECK_FALSE(f.retryable);
  CHECK(s.enrichment[network::instagram].attempts == 0);  // no call was made
  CHECK(p.log->scan_work()->empty());               // nothing owed
  CHECK(es[2].meta.recorded_at == es[0].meta.recorded_at);
  CHECK(es[2].meta.causation_id == es[1].meta.event_id);
}
