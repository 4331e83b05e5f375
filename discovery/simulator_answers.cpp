// The simulator's answers: generated profiles, magic handles, error bodies in
// the providers' own formats. Pure; the server in simulator.cpp only routes.
#include "discovery/simulator_answers.hpp"

#include <algorithm>
#include <cmath>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "discovery/http_client.hpp"
#include "discovery/simulator.hpp"
#include "events/time.hpp"

namespace leadbase::discovery {

namespace {

// -- deterministic randomness ----------------------------------------------------

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// splitmix64: small, fast, and the same on every platform.
struct rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
};

rng rng_for(std::string_view purpose, std::string_view handle, uint64_t seed, uint64_t extra = 0) {
  rng r{fnv1a(handle, fnv1a(purpose)) ^ (seed * 0x9e3779b97f4a7c15ull) ^ (extra * 0xd6e8feb86659fd93ull)};
  r.next();
  return r;
}

int64_t log_uniform(rng& r, double lo, double hi) {
  return static_cast<int64_t>(std::exp(std::log(lo) + r.uniform() * (std::log(hi) - std::log(lo))));
}

// The newest post of every generated profile is at most two days before this
// instant; a fixed anchor (not the clock) keeps answers identical across runs.
constexpr millis anchor_ms = 1795183391000;  // 2026-11-20T14:03:11Z
constexpr millis hour_ms = 3600 * 1000;

/// "2026-11-20T14:03:11+0000", the Graph API's timestamp form.
std::string graph_time(millis t) { return format_time(t).substr(0, 19) + "+0000"; }

// -- JSON writing -----------------------------------------------------------------

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(writer& w, const char* k) { w.Key(k); }
void str(writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string graph_profile_json(const simulated_profile& p, const sim_request& req, bool with_follows = true,
                               bool with_media = true) {
  const std::string& ig_user_id = req.ig_user_id;
  const std::string_view handle = req.handle;
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "business_discovery");
  w.StartObject();
  key(w, "followers_count");
  w.Int64(p.followers);
  if (with_follows) {
    key(w, "follows_count");
    w.Int64(p.follows);
  }
  key(w, "media_count");
  w.Int64(p.media_count);
  if (with_media) {
    key(w, "media");
    w.StartObject();
    key(w, "data");
    w.StartArray();
    uint64_t n = 0;
    for (const auto& post : p.posts) {
      if (n >= req.media_limit) break;  // honour media.limit(N), fixtures included
      w.StartObject();
      key(w, "timestamp");
      str(w, graph_time(post.timestamp.value_or(anchor_ms)));
      if (post.likes) {
        key(w, "like_count");
        w.Int64(*post.likes);
      }
      key(w, "comments_count");
      w.Int64(post.comments);
      key(w, "media_type");
      str(w, post.media_type);
      key(w, "media_product_type");
      str(w, post.media_product_type);
      key(w, "id");
      str(w, std::to_string(17900000000000000ull + (fnv1a(handle) % 1000000000ull) * 100 + n++));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  key(w, "id");
  str(w, std::to_string(17841400000000000ull + fnv1a(handle) % 100000000ull));
  w.EndObject();
  key(w, "id");
  str(w, ig_user_id);
  w.EndObject();
  return sb.GetString();
}

sim_answer json_answer(unsigned status, std::string body) {
  sim_answer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

/// A Graph API error body.
sim_answer graph_error(unsigned status, int code, int subcode, const char* type, const char* message,
                       bool transient, double regain_minutes = 0) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "error");
  w.StartObject();
  key(w, "message");
  w.String(message);
  key(w, "type");
  w.String(type);
  key(w, "code");
  w.Int(code);
  if (subcode) {
    key(w, "error_subcode");
    w.Int(subcode);
  }
  key(w, "is_transient");
  w.Bool(transient);
  if (regain_minutes > 0) {
    key(w, "estimated_time_to_regain_access");
    w.Double(regain_minutes);
  }
  key(w, "fbtrace_id");
  w.String("AsimulatorTrace");
  w.EndObject();
  w.EndObject();
  return json_answer(status, sb.GetString());
}

/// A Google API error body.
sim_answer google_error(unsigned status, const char* reason, const char* domain, const char* message,
                        const char* status_text) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "error");
  w.StartObject();
  key(w, "code");
  w.Uint(status);
  key(w, "message");
  w.String(message);
  key(w, "errors");
  w.StartArray();
  w.StartObject();
  key(w, "message");
  w.String(message);
  key(w, "domain");
  w.String(domain);
  key(w, "reason");
  w.String(reason);
  w.EndObject();
  w.EndArray();
  key(w, "status");
  w.String(status_text);
  w.EndObject();
  w.EndObject();
  return json_answer(status, sb.GetString());
}

sim_answer transient_failure(const sim_request& req, bool plain_5xx) {
  if (req.network == network::youtube)
    return google_error(503, "backendError", "global", "Backend Error", "UNAVAILABLE");
  if (plain_5xx) {
    sim_answer a = json_answer(503, "Service Unavailable");
    return a;
  }
  return graph_error(400, 2, 0, "OAuthException", "An unexpected error has occurred. Please retry your request later.",
                     true);
}

std::string youtube_channel_json(const simulated_channel& c, std::string_view handle) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "kind");
  w.String("youtube#channelListResponse");
  key(w, "etag");
  str(w, "sim" + std::to_string(fnv1a(handle) % 1000000));
  key(w, "pageInfo");
  w.StartObject();
  key(w, "totalResults");
  w.Int(1);
  key(w, "resultsPerPage");
  w.Int(5);
  w.EndObject();
  key(w, "items");
  w.StartArray();
  w.StartObject();
  key(w, "kind");
  w.String("youtube#channel");
  key(w, "id");
  str(w, "UCsim" + std::to_string(fnv1a(handle) % 100000000000ull));
  key(w, "statistics");
  w.StartObject();
  key(w, "viewCount");
  str(w, std::to_string(c.views));
  if (!c.hidden_subscribers) {
    key(w, "subscriberCount");
    str(w, std::to_string(c.subscribers));
  }
  key(w, "hiddenSubscriberCount");
  w.Bool(c.hidden_subscribers);
  key(w, "videoCount");
  str(w, std::to_string(c.videos));
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

/// flaky_N_...: N, or 0 when the handle is not one.
uint64_t flaky_count(std::string_view handle) {
  if (handle.substr(0, 6) != "flaky_") return 0;
  uint64_t n = 0;
  size_t i = 6;
  for (; i < handle.size() && i < 8 && handle[i] >= '0' && handle[i] <= '9'; ++i) n = n * 10 + (handle[i] - '0');
  if (i == 6 || i >= handle.size() || handle[i] != '_') return 0;
  return n;
}

post make_post(millis t, std::optional<int64_t> likes, int64_t comments, const char* type, const char* product) {
  post p;
  p.timestamp = t;
  p.likes = likes;
  p.comments = comments;
  p.media_type = type;
  p.media_product_type = product;
  return p;
}

sim_answer answer_instagram(const sim_request& req, uint64_t seed) {
  const std::string& h = req.handle;
  if (h == "err_rate_limited") {
    sim_answer a = graph_error(429, 4, 0, "OAuthException", "(#4) Application request limit reached", true);
    a.headers.emplace_back("Retry-After", "2");
    return a;
  }
  if (h == "err_rate_limited_graph")
    return graph_error(400, 4, 0, "OAuthException", "(#4) Application request limit reached", true, 3);
  if (h == "err_rate_limited_buc") {
    sim_answer a = graph_error(400, 80002, 0, "OAuthException",
                               "(#80002) There have been too many calls to this Instagram account.", true);
    a.headers.emplace_back("X-Business-Use-Case-Usage",
                           "{\"" + req.ig_user_id +
                               "\":[{\"type\":\"instagram\",\"call_count\":100,\"total_cputime\":30,"
                               "\"total_time\":40,\"estimated_time_to_regain_access\":5}]}");
    return a;
  }
  if (h == "err_provider") return json_answer(500, "<html><body>Internal Server Error</body></html>");
  if (h == "err_transient") return transient_failure(req, false);
  if (h == "err_not_found")
    return graph_error(400, 110, 2207013, "OAuthException", "Invalid user id", false);
  if (h == "err_auth")
    return graph_error(400, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token", false);
  if (h == "err_permission")
    return graph_error(403, 10, 0, "OAuthException", "(#10) Application does not have permission for this action",
                       false);
  if (h == "err_shape")
    return json_answer(200, "{\"business_discovery\":{\"followers_count\":\"lots\",\"media\":{\"data\":{}}},\"id\":\"" +
                                req.ig_user_id + "\"}");

  if (h == "fixture_basic")
    return json_answer(200, graph_profile_json(fixture_basic_profile(), req));
  if (h == "fixture_zero") {
    simulated_profile p;
    p.follows = 12;
    p.media_count = 3;
    for (int i = 0; i < 3; ++i) p.posts.push_back(make_post(anchor_ms - i * 24 * hour_ms, 2, 1, "IMAGE", "FEED"));
    return json_answer(200, graph_profile_json(p, req));
  }
  if (h == "fixture_empty") {
    simulated_profile p;
    p.followers = 5000;
    p.follows = 100;
    return json_answer(200, graph_profile_json(p, req));
  }
  if (h == "fixture_missing") {
    simulated_profile p;
    p.followers = 1500;
    p.media_count = 10;
    return json_answer(200, graph_profile_json(p, req, /*with_follows=*/false, /*with_media=*/false));
  }
  return json_answer(200, graph_profile_json(simulated_instagram(h, seed, req.media_limit), req));
}

sim_answer answer_youtube(const sim_request& req, uint64_t seed) {
  const std::string& h = req.handle;
  if (h == "err_rate_limited") {
    sim_answer a = google_error(429, "rateLimitExceeded", "youtube.quota", "Rate limit exceeded", "RESOURCE_EXHAUSTED");
    a.headers.emplace_back("Retry-After", "2");
    return a;
  }
  if (h == "err_rate_limited_graph" || h == "err_rate_limited_buc")
    return google_error(403, "quotaExceeded", "youtube.quota",
                        "The request cannot be completed because you have exceeded your quota.", "PERMISSION_DENIED");
  if (h == "err_provider") return google_error(500, "backendError", "global", "Backend Error", "INTERNAL");
  if (h == "err_transient") return transient_failure(req, false);
  if (h == "err_not_found")
    return json_answer(200, "{\"kind\":\"youtube#channelListResponse\",\"etag\":\"sim\",\"pageInfo\":"
                            "{\"totalResults\":0,\"resultsPerPage\":5}}");
  if (h == "err_auth")
    return google_error(400, "keyInvalid", "global", "API key not valid. Please pass a valid API key.",
                        "INVALID_ARGUMENT");
  if (h == "err_permission")
    return google_error(403, "forbidden", "global", "The caller does not have permission", "PERMISSION_DENIED");
  if (h == "err_shape")
    return json_answer(200, "{\"items\":[{\"statistics\":{\"subscriberCount\":\"twelve\"}}]}");
  simulated_channel c = simulated_youtube(h, seed);
  if (h == "err_hidden_subs") c.hidden_subscribers = true;
  return json_answer(200, youtube_channel_json(c, h));
}

/// The value inside "NAME(" ... ")" in a Graph fields expression.
std::string_view paren_arg(std::string_view fields, std::string_view name) {
  const size_t at = fields.find(name);
  if (at == std::string_view::npos) return {};
  const size_t open = at + name.size();
  const size_t close = fields.find(')', open);
  if (close == std::string_view::npos) return {};
  return fields.substr(open, close - open);
}

} // namespace

// -- generated profiles -----------------------------------------------------------

simulated_profile simulated_instagram(std::string_view handle, uint64_t seed, uint32_t media_limit) {
  rng r = rng_for("instagram", handle, seed);
  simulated_profile p;
  p.followers = log_uniform(r, 50, 3'000'000);
  p.follows = r.between(20, 2500);
  p.media_count = r.uniform() < 0.03 ? 0 : r.between(1, 1500);
  // A quarter of the accounts hide likes on some of their posts.
  const double hide_share = r.uniform() < 0.25 ? 0.3 : 0.0;
  const double reach = 0.004 + r.uniform() * 0.08;  // this account's typical likes / followers

  rng posts = rng_for("instagram.posts", handle, seed);
  const int64_t n = std::min<int64_t>(p.media_count, media_limit);
  millis t = anchor_ms - posts.between(0, 48) * hour_ms;
  for (int64_t i = 0; i < n; ++i) {
    post x;
    x.timestamp = t;
    const auto likes = static_cast<int64_t>(static_cast<double>(p.followers) * reach * (0.5 + posts.uniform()));
    x.comments = static_cast<int64_t>(static_cast<double>(likes) * (0.01 + posts.uniform() * 0.07));
    if (posts.uniform() >= hide_share) x.likes = likes;
    const double kind = posts.uniform();
    if (kind < 0.35) {
      x.media_type = "VIDEO";
      x.media_product_type = "REELS";
    } else if (kind < 0.65) {
      x.media_type = "IMAGE";
      x.media_product_type = "FEED";
    } else if (kind < 0.85) {
      x.media_type = "CAROUSEL_ALBUM";
      x.media_product_type = "FEED";
    } else {
      x.media_type = "VIDEO";
      x.media_product_type = "FEED";
    }
    p.posts.push_back(std::move(x));
    t -= posts.between(6, 240) * hour_ms;
  }
  return p;
}

simulated_channel simulated_youtube(std::string_view handle, uint64_t seed) {
  rng r = rng_for("youtube", handle, seed);
  simulated_channel c;
  c.subscribers = log_uniform(r, 10, 5'000'000);
  c.videos = r.between(1, 2000);
  c.views = static_cast<int64_t>(static_cast<double>(c.subscribers) * (20 + r.uniform() * 400));
  c.hidden_subscribers = r.next() % 16 == 0;
  return c;
}

simulated_profile fixture_basic_profile() {
  constexpr millis newest = 1795176000000;  // 2026-11-20T12:00:00Z
  constexpr millis day = 24 * hour_ms;
  simulated_profile p;
  p.followers = 20000;
  p.follows = 300;
  p.media_count = 150;
  p.posts = {
      make_post(newest, 300, 20, "VIDEO", "REELS"),
      make_post(newest - 1 * day, 200, 0, "IMAGE", "FEED"),
      make_post(newest - 2 * day, std::nullopt, 50, "CAROUSEL_ALBUM", "FEED"),
      make_post(newest - 3 * day, 100, 30, "VIDEO", "FEED"),
      make_post(newest - 4 * day, 150, 50, "VIDEO", "REELS"),
  };
  return p;
}

result<std::pair<std::string, uint16_t>> parse_listen(std::string_view listen) {
  std::string_view host, port;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find("]:");
    if (close == std::string_view::npos) return error{errc::validation, "listen must be HOST:PORT"};
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return error{errc::validation, "listen must be HOST:PORT"};
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) return error{errc::validation, "listen must be HOST:PORT"};
  uint32_t p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return error{errc::validation, "listen port is not a number"};
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535) return error{errc::validation, "listen port is out of range"};
  return std::pair{std::string(host), static_cast<uint16_t>(p)};
}

// -- routing and answers ------------------------------------------------------------

std::variant<sim_request, sim_answer> route_simulated(std::string_view target) {
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    const size_t eq = part.find('=');
    params.emplace_back(url_decode(part.substr(0, eq)),
                        eq == std::string_view::npos ? std::string{} : url_decode(part.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  auto param = [&](std::string_view name) -> std::string {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return {};
  };
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const std::string_view last = path.substr(path.rfind('/') + 1);

  sim_request req;
  if (last == "channels") {
    req.network = network::youtube;
    if (param("key").empty())
      return google_error(403, "forbidden", "global",
                          "Method doesn't allow unregistered callers. Please use an API key.", "PERMISSION_DENIED");
    std::string handle = param("forHandle");
    if (!handle.empty() && handle.front() == '@') handle.erase(0, 1);
    if (handle.empty() || param("part").find("statistics") == std::string::npos)
      return google_error(400, "missingRequiredParameter", "youtube.parameter",
                          "No filter selected. Expected one of: forHandle, id, mine.", "INVALID_ARGUMENT");
    req.handle = std::move(handle);
    return req;
  }

  const std::string fields = param("fields");
  const bool numeric_id = !last.empty() && std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!numeric_id || fields.empty())
    return graph_error(400, 100, 33, "GraphMethodException", "Unsupported get request.", false);
  if (param("access_token").empty())
    return graph_error(400, 190, 0, "OAuthException", "An active access token must be used to query information.",
                       false);
  const std::string_view username = paren_arg(fields, "business_discovery.username(");
  if (username.empty())
    return graph_error(400, 100, 0, "OAuthException", "(#100) Missing business_discovery.username", false);
  req.network = network::instagram;
  req.handle = std::string(username);
  req.ig_user_id = std::string(last);
  const std::string_view limit = paren_arg(fields, "media.limit(");
  if (!limit.empty()) {
    uint32_t n = 0;
    for (char c : limit) {
      if (c < '0' || c > '9' || n > 1000) return graph_error(400, 100, 0, "OAuthException", "(#100) Bad limit", false);
      n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    req.media_limit = std::clamp<uint32_t>(n, 1, 100);
  }
  return req;
}

bool sim_needs_attempts(std::string_view handle, double fail_rate) {
  return fail_rate > 0 || flaky_count(handle) > 0;
}

sim_answer answer_simulated(const sim_request& req, uint64_t seed, uint64_t attempt, double fail_rate) {
  const std::string& h = req.handle;
  // Handles that behave the same on both networks.
  if (h == "err_timeout") {
    sim_answer a;
    a.hold = true;
    return a;
  }
  if (h == "err_invalid") return json_answer(200, "{\"business_discovery\": {\"followers_count\": 12, <html>oops");
  if (h == "err_too_large") {
    std::string body = "{\"padding\":\"";
    body.append(2 * 1024 * 1024, 'x');
    body += "\"}";
    return json_answer(200, std::move(body));
  }
  if (const uint64_t n = flaky_count(h); n > 0 && attempt < n) return transient_failure(req, false);
  if (fail_rate > 0 && h.substr(0, 4) != "err_" && h.substr(0, 8) != "fixture_") {
    rng r = rng_for("fail", h, seed, attempt + (req.network == network::youtube ? 1ull << 40 : 0));
    if (r.uniform() < fail_rate) return transient_failure(req, r.next() % 2 == 0);
  }
  return req.network == network::instagram ? answer_instagram(req, seed) : answer_youtube(req, seed);
}

} // namespace leadbase::discovery
