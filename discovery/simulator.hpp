#pragma once
// A local stand-in for the provider APIs (docs/cli.md `leadbase simulate-discovery`):
// a real HTTP/1.1 server that answers the Instagram Graph API Business
// Discovery call and the YouTube Data API v3 channels call with the same
// paths, JSON and error codes, deterministically per handle. The demo, the
// tests and the benchmarks run the real provider clients against it.
//
// Routes (any path prefix, so base_url may be http://HOST:PORT/v21.0):
//   GET .../{ig_user_id}?fields=business_discovery.username(H){...media.limit(N){...}}&access_token=T
//   GET .../channels?part=statistics&forHandle=@H&key=K
// A missing access_token is a Graph code 190; a missing key a Google 403.
//
// Magic handles (the same names on both networks; "IG" / "YT" where they differ):
//   err_timeout            never answers: the connection is held for hold_ms, then closed
//   err_rate_limited       IG: 429, Retry-After: 2, Graph code 4 body.
//                          YT: 429, Retry-After: 2, reason rateLimitExceeded
//   err_rate_limited_graph IG: 400, code 4, is_transient, estimated_time_to_regain_access 3 (minutes)
//                          YT: 403, reason quotaExceeded (no wait hint)
//   err_rate_limited_buc   IG: 400, code 80002, X-Business-Use-Case-Usage header with
//                          estimated_time_to_regain_access 5.  YT: as err_rate_limited_graph
//   err_provider           IG: 500 with a non-JSON body.  YT: 500, reason backendError
//   err_transient          IG: 400, code 2, is_transient true.  YT: 503, reason backendError
//   err_not_found          IG: 400, code 110, subcode 2207013.  YT: 200 without `items`
//   err_auth               IG: 400, code 190 (OAuthException).  YT: 400, reason keyInvalid
//   err_permission         IG: 403, code 10.  YT: 403, reason forbidden
//   err_invalid            200 with a body that is not JSON
//   err_shape              200 with valid JSON of the wrong shape (a count as a word)
//   err_too_large          200 with a 2 MiB body (over the client's body limit)
//   err_hidden_subs        YT: hiddenSubscriberCount true (IG: an ordinary handle)
//   flaky_N_REST           the first N requests for this exact handle fail as
//                          err_transient does, later ones succeed (N = 1..99);
//                          counted per network and handle, in memory
//   fixture_basic          IG: a fixed profile, see fixture_basic_profile()
//   fixture_zero           IG: 0 followers, 3 posts (engagement_rate is null)
//   fixture_empty          IG: 5000 followers, no posts
//   fixture_missing        IG: no follows_count and no media in the answer
// Any other handle gets a generated profile: simulated_instagram() /
// simulated_youtube() below, the same functions the server answers from.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/metrics.hpp"
#include "events/errc.hpp"

namespace leadbase::discovery {

struct simulator_options {
  /// HOST:PORT to bind; port 0 picks a free one (see simulator::port()).
  std::string listen = "127.0.0.1:0";
  /// Changes every generated profile and the fail_rate draws.
  uint64_t seed = 1;
  /// Added before every answer (not to err_timeout, which never answers).
  uint32_t latency_ms = 0;
  /// Share (0-1) of ordinary requests answered with a transient error (IG: 503
  /// or code 2 is_transient; YT: 503 backendError). Which requests fail is a
  /// function of seed, handle and that handle's request count: deterministic.
  double fail_rate = 0;
  /// How long err_timeout holds a connection before closing it unanswered.
  uint32_t hold_ms = 60000;
  /// I/O threads (1 is plenty for tests; more for benchmarks).
  unsigned threads = 1;
};

/// An Instagram profile as the simulator answers it.
struct simulated_profile {
  int64_t followers = 0;
  int64_t follows = 0;
  int64_t media_count = 0;
  std::vector<post> posts;  ///< newest first, at most media_limit; timestamps set
};

/// A YouTube channel as the simulator answers it.
struct simulated_channel {
  int64_t subscribers = 0;
  int64_t views = 0;
  int64_t videos = 0;
  bool hidden_subscribers = false;
};

/// The generated Instagram profile of an ordinary handle (pure, deterministic).
/// The first k posts do not depend on media_limit as long as it is >= k.
simulated_profile simulated_instagram(std::string_view handle, uint64_t seed, uint32_t media_limit);

/// The generated YouTube channel of an ordinary handle (pure, deterministic).
simulated_channel simulated_youtube(std::string_view handle, uint64_t seed);

/// fixture_basic: 20000 followers, 300 follows, 150 media, five posts one
/// day apart, newest 2026-11-20T12:00:00Z:
///   REELS/VIDEO 300 likes 20 comments; IMAGE 200/0; CAROUSEL_ALBUM hidden likes/50;
///   VIDEO (FEED) 100/30; REELS/VIDEO 150/50.
/// So: engagement_rate 0.009, posts_per_week 7, mix reels 0.4 and 0.2 each
/// other kind, likes_hidden, tier micro.
simulated_profile fixture_basic_profile();

/// Splits "HOST:PORT" ("[::1]:8080" for IPv6). errc::validation when malformed.
result<std::pair<std::string, uint16_t>> parse_listen(std::string_view listen);

/**
 * The simulator server.
 *
 * Operation: `start` binds and starts the I/O threads; `stop` (or the
 * destructor) closes the listener and every connection and joins the threads.
 * A stopped simulator cannot be started again.
 *
 * Concurrency: HTTP/1.1 keep-alive, any number of connections, each on its own
 * strand; `port` and `requests_served` may be read from any thread.
 */
class simulator {
 public:
  explicit simulator(simulator_options opts);
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Binds `listen` and starts serving. errc::validation for a bad `listen`
  /// or fail_rate, errc::internal when binding fails.
  status start();

  /// The bound port (after start), e.g. when `listen` asked for port 0.
  uint16_t port() const noexcept;

  void stop();

  /// Requests received and routed so far (answered, or held by err_timeout).
  uint64_t requests_served() const noexcept;

  /// "http://HOST:PORT/v21.0", for instagram_options::base_url.
  std::string instagram_base_url() const;
  /// "http://HOST:PORT/youtube/v3", for youtube_options::base_url.
  std::string youtube_base_url() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// `leadbase simulate-discovery`: starts a simulator, prints
/// "simulate-discovery listening on HOST:PORT" on stdout, serves until SIGINT
/// or SIGTERM. Returns 0 after a clean stop, 1 (with a reason on stderr) when
/// it cannot start.
int run_simulator(const simulator_options& opts);

} // namespace leadbase::discovery
