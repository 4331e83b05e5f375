// The real Instagram client against the real simulator over loopback HTTP:
// derived values, every error class, timeouts, keep-alive, determinism. Plus
// the pure interpretation rules on hand-made answers.
#include <algorithm>
#include <atomic>
#include <optional>
#include <set>

#include <catch2/catch.hpp>

#include "discovery/http_client.hpp"
#include "discovery/instagram.hpp"
#include "sim_fixture.hpp"

using namespace leadbase;
using namespace leadbase::discovery;
using namespace leadbase::discovery::test;

namespace {

instagram_options options_for(const simulator& sim, uint32_t timeout_ms = 3000) {
  instagram_options o;
  o.base_url = sim.instagram_base_url();
  o.ig_user_id = "17841400000000001";
  o.access_token = "test-token";
  o.media_limit = 12;
  o.timeout_ms = timeout_ms;
  return o;
}

std::unique_ptr<instagram_provider> make_provider(const instagram_options& o) {
  auto p = instagram_provider::create(o);
  REQUIRE(p.ok());
  return std::move(*p);
}

/// The metrics the client should derive for a generated profile.
void require_matches(const enriched& e, const simulated_profile& p) {
  REQUIRE(e.followers == p.followers);
  REQUIRE(e.follows == p.follows);
  REQUIRE(e.media_count == p.media_count);
  REQUIRE(e.likes_hidden == any_likes_hidden(p.posts));
  const auto er = engagement_rate(p.followers, p.posts);
  REQUIRE(e.engagement_rate.has_value() == er.has_value());
  if (er) REQUIRE(*e.engagement_rate == Approx(*er));
  const auto ppw = posts_per_week(p.posts);
  REQUIRE(e.posts_per_week.has_value() == ppw.has_value());
  if (ppw) REQUIRE(*e.posts_per_week == Approx(*ppw));
  const auto mix = mix_of(p.posts);
  REQUIRE(e.mix.reels == Approx(mix.reels));
  REQUIRE(e.mix.image == Approx(mix.image));
  REQUIRE(e.mix.video == Approx(mix.video));
  REQUIRE(e.mix.carousel == Approx(mix.carousel));
  REQUIRE(e.creator_tier == creator_tier(p.followers));
}

http_response graph_answer(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

failure interpret_failure(const http_response& r) {
  auto out = interpret_instagram(r, "someone", 12, 1000);
  REQUIRE_FALSE(out.ok());
  return out.error();
}

} // namespace

TEST_CASE("instagram: a fixed profile yields the documented metrics", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));
  REQUIRE(ig->network() == network::instagram);

  auto r = fetch_sync(*ig, "@fixture_basic");
  REQUIRE(r.ok());
  const enriched& e = r.value();
  REQUIRE(e.network == network::instagram);
  REQUIRE(e.handle == "fixture_basic");
  REQUIRE(e.provider == instagram_provider_name);
  REQUIRE(e.fetched_at > 0);
  REQUIRE(e.followers == 20000);
  REQUIRE(e.follows == 300);
  REQUIRE(e.media_count == 150);
  REQUIRE(e.engagement_rate.value() == Approx(0.009));
  REQUIRE(e.posts_per_week.value() == Approx(7.0));
  REQUIRE(e.mix.reels == Approx(0.4));
  REQUIRE(e.mix.image == Approx(0.2));
  REQUIRE(e.mix.video == Approx(0.2));
  REQUIRE(e.mix.carousel == Approx(0.2));
  REQUIRE(e.likes_hidden);
  REQUIRE(e.creator_tier == "micro");
  REQUIRE(e.missing_fields.empty());
  REQUIRE_FALSE(e.views.has_value());
}

TEST_CASE("instagram: media_limit bounds the posts the metrics use", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto o = options_for(*sim);
  o.media_limit = 3;
  auto ig = make_provider(o);
  auto r = fetch_sync(*ig, "fixture_basic");
  REQUIRE(r.ok());
  REQUIRE(r.value().engagement_rate.value() == Approx((320.0 + 200 + 50) / 3 / 20000));
  REQUIRE(r.value().posts_per_week.value() == Approx(7.0));
  REQUIRE(r.value().mix.reels == Approx(1.0 / 3));
  REQUIRE(r.value().mix.video == 0.0);
  auto generated = fetch_sync(*ig, "anasouza");
  REQUIRE(generated.ok());
  require_matches(generated.value(), simulated_instagram("anasouza", 7, 3));
}

TEST_CASE("instagram: generated profiles match the simulator and are deterministic", "[discovery][instagram]") {
  auto sim = start_simulator(loopback_options(42));
  auto ig = make_provider(options_for(*sim));
  for (const char* handle : {"anasouza", "joao.silva", "maria_fit", "chef.rafa", "x"}) {
    INFO(handle);
    auto first = fetch_sync(*ig, handle);
    REQUIRE(first.ok());
    require_matches(first.value(), simulated_instagram(handle, 42, 12));
    auto again = fetch_sync(*ig, handle);
    REQUIRE(again.ok());
    REQUIRE(again.value().followers == first.value().followers);
    REQUIRE(again.value().engagement_rate == first.value().engagement_rate);
    REQUIRE(again.value().posts_per_week == first.value().posts_per_week);
  }
  // Another simulator with the same seed answers the same; another seed differs.
  auto same = start_simulator(loopback_options(42));
  auto ig_same = make_provider(options_for(*same));
  REQUIRE(fetch_sync(*ig_same, "anasouza").value().followers == simulated_instagram("anasouza", 42, 12).followers);
  std::set<int64_t> followers;
  for (uint64_t seed = 1; seed <= 4; ++seed) followers.insert(simulated_instagram("anasouza", seed, 12).followers);
  REQUIRE(followers.size() > 1);
}

TEST_CASE("instagram: zero followers, no posts and missing fields", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));

  auto zero = fetch_sync(*ig, "fixture_zero");
  REQUIRE(zero.ok());
  REQUIRE(zero.value().followers == 0);
  REQUIRE_FALSE(zero.value().engagement_rate.has_value());
  REQUIRE(zero.value().posts_per_week.value() == Approx(7.0));
  REQUIRE(zero.value().creator_tier == "none");

  auto empty = fetch_sync(*ig, "fixture_empty");
  REQUIRE(empty.ok());
  REQUIRE(empty.value().followers == 5000);
  REQUIRE_FALSE(empty.value().engagement_rate.has_value());
  REQUIRE_FALSE(empty.value().posts_per_week.has_value());
  const auto& m = empty.value().mix;
  REQUIRE(m.image + m.video + m.carousel + m.reels == 0.0);
  REQUIRE(empty.value().creator_tier == "nano");
  REQUIRE(empty.value().missing_fields.empty());

  auto missing = fetch_sync(*ig, "fixture_missing");
  REQUIRE(missing.ok());
  REQUIRE(missing.value().followers == 1500);
  const auto& mf = missing.value().missing_fields;
  REQUIRE(std::find(mf.begin(), mf.end(), "follows") != mf.end());
  REQUIRE(std::find(mf.begin(), mf.end(), "media") != mf.end());
  REQUIRE_FALSE(missing.value().engagement_rate.has_value());
}

TEST_CASE("instagram: every error class from the simulator", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));

  struct expectation {
    const char* handle;
    error_class kind;
    const char* code;
    std::optional<millis> retry_after;
  };
  const expectation cases[] = {
      {"err_rate_limited", error_class::rate_limited, "graph_4", 2000},
      {"err_rate_limited_graph", error_class::rate_limited, "graph_4", 3 * 60'000},
      {"err_rate_limited_buc", error_class::rate_limited, "graph_80002", 5 * 60'000},
      {"err_provider", error_class::provider_error, "http_500", std::nullopt},
      {"err_transient", error_class::provider_error, "graph_2", std::nullopt},
      {"err_not_found", error_class::not_found, "graph_110/2207013", std::nullopt},
      {"err_auth", error_class::auth_error, "graph_190", std::nullopt},
      {"err_permission", error_class::auth_error, "graph_10", std::nullopt},
      {"err_invalid", error_class::invalid_response, "invalid_json", std::nullopt},
      {"err_shape", error_class::invalid_response, "bad_shape", std::nullopt},
      {"err_too_large", error_class::invalid_response, "body_too_large", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.handle);
    const failure f = fetch_failure(*ig, c.handle);
    REQUIRE(f.kind == c.kind);
    REQUIRE(f.provider_code == c.code);
    REQUIRE(f.retryable == is_retryable(c.kind));
    REQUIRE(f.retry_after == c.retry_after);
  }
  // After all those errors the client still works (bad connections were dropped).
  REQUIRE(fetch_sync(*ig, "fixture_basic").ok());
}

TEST_CASE("instagram: retryable flags follow docs/domain.md", "[discovery][instagram]") {
  REQUIRE(is_retryable(error_class::timeout));
  REQUIRE(is_retryable(error_class::rate_limited));
  REQUIRE(is_retryable(error_class::provider_error));
  REQUIRE_FALSE(is_retryable(error_class::not_found));
  REQUIRE_FALSE(is_retryable(error_class::auth_error));
  REQUIRE_FALSE(is_retryable(error_class::invalid_response));
  REQUIRE(std::string(to_string(error_class::invalid_response)) == "invalid_response");
}

TEST_CASE("instagram: a call that gets no answer times out", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim, 200));
  const failure f = fetch_failure(*ig, "err_timeout");
  REQUIRE(f.kind == error_class::timeout);
  REQUIRE(f.retryable);
  REQUIRE(f.provider_code == "timeout");
  // The timed-out connection is not reused: the next call gets a fresh one.
  REQUIRE(fetch_sync(*ig, "fixture_basic").ok());
}

TEST_CASE("instagram: connection refused is a provider_error", "[discovery][instagram]") {
  uint16_t port = 0;
  {
    auto sim = start_simulator();
    port = sim->port();
  }  // stopped and destroyed: nothing listens on that port any more
  instagram_options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v21.0";
  o.access_token = "t";
  auto ig = make_provider(o);
  const failure f = fetch_failure(*ig, "anasouza");
  REQUIRE(f.kind == error_class::provider_error);
  REQUIRE(f.provider_code == "connect_refused");
  REQUIRE(f.retryable);
}

TEST_CASE("instagram: flaky handles fail N times, then succeed", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));
  for (int i = 0; i < 2; ++i) {
    const failure f = fetch_failure(*ig, "flaky_2_bia");
    REQUIRE(f.kind == error_class::provider_error);
    REQUIRE(f.retryable);
  }
  auto r = fetch_sync(*ig, "flaky_2_bia");
  REQUIRE(r.ok());
  require_matches(r.value(), simulated_instagram("flaky_2_bia", 7, 12));
}

TEST_CASE("instagram: fail_rate failures are transient and deterministic", "[discovery][instagram]") {
  auto outcomes = [](uint64_t seed) {
    auto o = loopback_options(seed);
    o.fail_rate = 0.5;
    auto sim = start_simulator(o);
    auto ig = make_provider(options_for(*sim));
    std::string trace;
    for (int i = 0; i < 16; ++i) {
      auto r = fetch_sync(*ig, "carla.dance");
      if (!r.ok()) REQUIRE(r.error().kind == error_class::provider_error);
      trace += r.ok() ? 'o' : 'x';
    }
    return trace;
  };
  const std::string a = outcomes(3);
  REQUIRE(a == outcomes(3));
  REQUIRE(a.find('o') != std::string::npos);
  REQUIRE(a.find('x') != std::string::npos);
}

TEST_CASE("instagram: keep-alive reuses one connection", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));
  const uint64_t before = sim->requests_served();
  for (int i = 0; i < 5; ++i) REQUIRE(fetch_sync(*ig, "fixture_basic").ok());
  REQUIRE(sim->requests_served() - before == 5);
  REQUIRE(ig->connections_opened() == 1);
}

TEST_CASE("instagram: concurrent calls each complete exactly once", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));
  constexpr int n = 40;
  std::atomic<int> calls{0}, ok{0};
  std::promise<void> all_done;
  for (int i = 0; i < n; ++i) {
    ig->fetch("user" + std::to_string(i), [&](fetch_result r) {
      if (r.ok()) ++ok;
      if (++calls == n) all_done.set_value();
    });
  }
  REQUIRE(all_done.get_future().wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  REQUIRE(calls == n);
  REQUIRE(ok == n);
}

TEST_CASE("instagram: destroying the provider ends calls in flight", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim, 30000));
  std::atomic<int> calls{0};
  std::optional<failure> seen;
  ig->fetch("err_timeout", [&](fetch_result r) {
    ++calls;
    if (!r.ok()) seen = r.error();
  });
  ig.reset();  // the call is queued before the shutdown, so it is in flight when aborted
  REQUIRE(calls == 1);
  REQUIRE(seen.has_value());
  REQUIRE(seen->kind == error_class::provider_error);
  REQUIRE(seen->provider_code == "shutdown");
}

TEST_CASE("instagram: handles are validated before any request", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto ig = make_provider(options_for(*sim));
  for (const char* bad : {"", "@", "has space", "a)b{c}", "ana/../souza", "0123456789012345678901234567890"}) {
    INFO(bad);
    const failure f = fetch_failure(*ig, bad);
    REQUIRE(f.kind == error_class::not_found);
    REQUIRE(f.provider_code == "invalid_handle");
  }
  REQUIRE(sim->requests_served() == 0);
  REQUIRE(instagram_username(" @Ana.Souza_1 ") == "Ana.Souza_1");
}

TEST_CASE("instagram: the request is URL-encoded as docs/domain.md shows", "[discovery][instagram]") {
  instagram_options o;
  o.base_url = "http://127.0.0.1:9/v21.0";
  o.ig_user_id = "17841400000000000";
  o.access_token = "EAAB+/=&x";
  o.media_limit = 12;
  auto ig = make_provider(o);
  const std::string t = ig->request_target("anasouza");
  REQUIRE(t ==
          "/17841400000000000?fields=business_discovery.username%28anasouza%29%7Bfollowers_count%2Cfollows_count%2C"
          "media_count%2Cmedia.limit%2812%29%7Btimestamp%2Clike_count%2Ccomments_count%2Cmedia_type%2C"
          "media_product_type%7D%7D&access_token=EAAB%2B%2F%3D%26x");
  REQUIRE(url_decode(t.substr(t.find("fields=") + 7, t.find('&') - t.find("fields=") - 7)) ==
          "business_discovery.username(anasouza){followers_count,follows_count,media_count,media.limit(12)"
          "{timestamp,like_count,comments_count,media_type,media_product_type}}");
}

TEST_CASE("instagram: a missing access token is an auth_error", "[discovery][instagram]") {
  auto sim = start_simulator();
  auto o = options_for(*sim);
  o.access_token.clear();
  auto ig = make_provider(o);
  const failure f = fetch_failure(*ig, "anasouza");
  REQUIRE(f.kind == error_class::auth_error);
  REQUIRE(f.provider_code == "graph_190");
  REQUIRE_FALSE(f.retryable);
}

TEST_CASE("instagram: bad options are refused at creation", "[discovery][instagram]") {
  instagram_options o;
  o.base_url = "ftp://example.com";
  REQUIRE_FALSE(instagram_provider::create(o).ok());
  o.base_url = "http://127.0.0.1:8080";
  o.media_limit = 0;
  REQUIRE(instagram_provider::create(o).err().code == errc::validation);
}

// -- the classification table on hand-made answers --------------------------------

TEST_CASE("instagram: Graph error codes map to the docs/domain.md classes", "[discovery][instagram]") {
  auto body = [](const std::string& inner) { return "{\"error\":{" + inner + "}}"; };
  for (int code : {4, 17, 32, 613, 80001, 80004, 80008}) {
    INFO(code);
    REQUIRE(interpret_failure(graph_answer(400, body("\"code\":" + std::to_string(code)))).kind ==
            error_class::rate_limited);
  }
  REQUIRE(interpret_failure(graph_answer(400, body("\"code\":80009"))).kind == error_class::provider_error);
  for (int code : {1, 2}) REQUIRE(interpret_failure(graph_answer(400, body("\"code\":" + std::to_string(code)))).kind ==
                                  error_class::provider_error);
  REQUIRE(interpret_failure(graph_answer(400, body("\"code\":9999,\"is_transient\":true"))).kind ==
          error_class::provider_error);
  REQUIRE(interpret_failure(graph_answer(400, body("\"code\":110"))).kind == error_class::not_found);
  auto sub = interpret_failure(graph_answer(400, body("\"code\":100,\"error_subcode\":2207013")));
  REQUIRE(sub.kind == error_class::not_found);
  REQUIRE(sub.provider_code == "graph_100/2207013");
  for (int code : {190, 10, 200, 250, 299}) {
    INFO(code);
    auto f = interpret_failure(graph_answer(400, body("\"code\":" + std::to_string(code))));
    REQUIRE(f.kind == error_class::auth_error);
    REQUIRE_FALSE(f.retryable);
  }
  REQUIRE(interpret_failure(graph_answer(400, body("\"code\":300"))).kind == error_class::provider_error);
}

TEST_CASE("instagram: HTTP statuses without a Graph body", "[discovery][instagram]") {
  auto limited = graph_answer(429, "slow down");
  limited.headers.emplace_back("retry-after", "7");
  auto f = interpret_failure(limited);
  REQUIRE(f.kind == error_class::rate_limited);
  REQUIRE(f.provider_code == "http_429");
  REQUIRE(f.retry_after == 7000);
  REQUIRE(interpret_failure(graph_answer(502, "<html>bad gateway</html>")).kind == error_class::provider_error);
  REQUIRE(interpret_failure(graph_answer(503, "")).provider_code == "http_503");
  // A rate-limit wait is capped at one hour.
  auto huge = graph_answer(400, R"({"error":{"code":4,"estimated_time_to_regain_access":100000}})");
  REQUIRE(interpret_failure(huge).retry_after == 3600 * 1000);
}

TEST_CASE("instagram: shape violations are invalid_response", "[discovery][instagram]") {
  for (const char* bad : {R"([1,2])", R"({"id":"1"})", R"({"business_discovery":[]})",
                          R"({"business_discovery":{"followers_count":-1}})",
                          R"({"business_discovery":{"followers_count":1.5}})",
                          R"({"business_discovery":{"media":{"data":{}}}})",
                          R"({"business_discovery":{"media":{"data":[1]}}})",
                          R"({"business_discovery":{"media":{"data":[{"like_count":"9"}]}}})"}) {
    INFO(bad);
    auto f = interpret_failure(graph_answer(200, bad));
    REQUIRE(f.kind == error_class::invalid_response);
    REQUIRE_FALSE(f.retryable);
  }
}
