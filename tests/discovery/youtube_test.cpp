// The real YouTube client against the real simulator over loopback HTTP.
#include <algorithm>

#include <catch2/catch.hpp>

#include "discovery/http_client.hpp"
#include "discovery/youtube.hpp"
#include "sim_fixture.hpp"

using namespace leadbase;
using namespace leadbase::discovery;
using namespace leadbase::discovery::test;

namespace {

youtube_options options_for(const simulator& sim, uint32_t timeout_ms = 3000) {
  youtube_options o;
  o.base_url = sim.youtube_base_url();
  o.api_key = "test-key";
  o.timeout_ms = timeout_ms;
  return o;
}

std::unique_ptr<youtube_provider> make_provider(const youtube_options& o) {
  auto p = youtube_provider::create(o);
  REQUIRE(p.ok());
  return std::move(*p);
}

bool lists(const enriched& e, const char* field) {
  return std::find(e.missing_fields.begin(), e.missing_fields.end(), field) != e.missing_fields.end();
}

} // namespace

TEST_CASE("youtube: channel statistics become an enriched payload", "[discovery][youtube]") {
  auto sim = start_simulator(loopback_options(11));
  auto yt = make_provider(options_for(*sim));
  REQUIRE(yt->network() == network::youtube);
  for (const char* handle : {"@canaldaana", "receitasdorafa", "tech.br", "a-b_c"}) {
    INFO(handle);
    const std::string bare = handle[0] == '@' ? handle + 1 : handle;
    const simulated_channel c = simulated_youtube(bare, 11);
    auto r = fetch_sync(*yt, handle);
    REQUIRE(r.ok());
    const enriched& e = r.value();
    REQUIRE(e.network == network::youtube);
    REQUIRE(e.handle == bare);
    REQUIRE(e.provider == youtube_provider_name);
    REQUIRE(e.media_count == c.videos);
    REQUIRE(e.views == c.views);
    if (c.hidden_subscribers) {
      REQUIRE(lists(e, "followers"));
    } else {
      REQUIRE(e.followers == c.subscribers);
      REQUIRE(e.creator_tier == creator_tier(c.subscribers));
      REQUIRE(e.missing_fields.empty());
    }
    REQUIRE_FALSE(e.engagement_rate.has_value());
    REQUIRE_FALSE(e.posts_per_week.has_value());
    // Deterministic: the same answer again.
    auto again = fetch_sync(*yt, handle);
    REQUIRE(again.ok());
    REQUIRE(again.value().followers == e.followers);
    REQUIRE(again.value().views == e.views);
  }
}

TEST_CASE("youtube: a hidden subscriber count is reported missing", "[discovery][youtube]") {
  auto sim = start_simulator();
  auto yt = make_provider(options_for(*sim));
  auto r = fetch_sync(*yt, "err_hidden_subs");
  REQUIRE(r.ok());
  REQUIRE(r.value().followers == 0);
  REQUIRE(lists(r.value(), "followers"));
  REQUIRE(r.value().creator_tier == "none");
  REQUIRE(r.value().views.has_value());
}

TEST_CASE("youtube: every error class from the simulator", "[discovery][youtube]") {
  auto sim = start_simulator();
  auto yt = make_provider(options_for(*sim));
  struct expectation {
    const char* handle;
    error_class kind;
    const char* code;
    std::optional<millis> retry_after;
  };
  const expectation cases[] = {
      {"err_rate_limited", error_class::rate_limited, "http_429/rateLimitExceeded", 2000},
      {"err_rate_limited_graph", error_class::rate_limited, "http_403/quotaExceeded", std::nullopt},
      {"err_provider", error_class::provider_error, "http_500/backendError", std::nullopt},
      {"err_transient", error_class::provider_error, "http_503/backendError", std::nullopt},
      {"err_not_found", error_class::not_found, "youtube_no_channel", std::nullopt},
      {"err_auth", error_class::auth_error, "http_400/keyInvalid", std::nullopt},
      {"err_permission", error_class::auth_error, "http_403/forbidden", std::nullopt},
      {"err_invalid", error_class::invalid_response, "invalid_json", std::nullopt},
      {"err_shape", error_class::invalid_response, "bad_shape", std::nullopt},
      {"err_too_large", error_class::invalid_response, "body_too_large", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.handle);
    const failure f = fetch_failure(*yt, c.handle);
    REQUIRE(f.kind == c.kind);
    REQUIRE(f.provider_code == c.code);
    REQUIRE(f.retryable == is_retryable(c.kind));
    REQUIRE(f.retry_after == c.retry_after);
  }
  REQUIRE(fetch_sync(*yt, "canaldaana").ok());
}

TEST_CASE("youtube: a call that gets no answer times out", "[discovery][youtube]") {
  auto sim = start_simulator();
  auto yt = make_provider(options_for(*sim, 200));
  const failure f = fetch_failure(*yt, "err_timeout");
  REQUIRE(f.kind == error_class::timeout);
  REQUIRE(f.retryable);
}

TEST_CASE("youtube: flaky handles fail N times, then succeed", "[discovery][youtube]") {
  auto sim = start_simulator();
  auto yt = make_provider(options_for(*sim));
  REQUIRE(fetch_failure(*yt, "flaky_1_canal").kind == error_class::provider_error);
  REQUIRE(fetch_sync(*yt, "flaky_1_canal").ok());
}

TEST_CASE("youtube: a missing API key is an auth_error", "[discovery][youtube]") {
  auto sim = start_simulator();
  auto o = options_for(*sim);
  o.api_key.clear();
  auto yt = make_provider(o);
  const failure f = fetch_failure(*yt, "canaldaana");
  REQUIRE(f.kind == error_class::auth_error);
  REQUIRE_FALSE(f.retryable);
}

TEST_CASE("youtube: the request carries the handle with its @", "[discovery][youtube]") {
  youtube_options o;
  o.base_url = "https://www.googleapis.com/youtube/v3";
  o.api_key = "AIza key";
  auto yt = make_provider(o);
  REQUIRE(yt->request_target("canaldaana") == "/channels?part=statistics&forHandle=%40canaldaana&key=AIza%20key");
  REQUIRE(youtube_handle(" @canal ") == "canal");
  REQUIRE(youtube_handle("has space").empty());
  REQUIRE(youtube_handle("a/b").empty());
}

TEST_CASE("youtube: Google error bodies and statistics shapes", "[discovery][youtube]") {
  auto answer = [](unsigned status, std::string body) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    return interpret_youtube(r, "h", 1);
  };
  auto quota = answer(403, R"({"error":{"code":403,"errors":[{"reason":"quotaExceeded"}]}})");
  REQUIRE_FALSE(quota.ok());
  REQUIRE(quota.error().kind == error_class::rate_limited);
  REQUIRE(answer(401, R"({"error":{"code":401,"errors":[{"reason":"authError"}]}})").error().kind ==
          error_class::auth_error);
  REQUIRE(answer(503, "").error().kind == error_class::provider_error);
  REQUIRE(answer(200, R"({"items":[]})").error().kind == error_class::not_found);
  REQUIRE(answer(200, R"({"items":{}})").error().kind == error_class::invalid_response);
  REQUIRE(answer(200, R"({"items":[{"id":"x"}]})").error().kind == error_class::invalid_response);
  auto numbers = answer(200, R"({"items":[{"statistics":{"subscriberCount":1500,"videoCount":"3"}}]})");
  REQUIRE(numbers.ok());
  REQUIRE(numbers.value().followers == 1500);
  REQUIRE(numbers.value().media_count == 3);
  REQUIRE_FALSE(numbers.value().views.has_value());
  REQUIRE(std::find(numbers.value().missing_fields.begin(), numbers.value().missing_fields.end(), "views") !=
          numbers.value().missing_fields.end());
}
