#include "discovery/instagram.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "discovery/classify.hpp"
#include "discovery/log.hpp"
#include "discovery/metrics.hpp"
#include "events/time.hpp"

namespace leadbase::discovery {

namespace {

using json = rapidjson::Value;

/// A shape violation found by a field reader (errors are values, not throws).
struct shape_error {
  std::string what;
};

std::optional<int64_t> graph_int(const json& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

bool has(const json& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && !it->value.IsNull();
}

/// A non-negative integer field: absent -> nullopt and `missing` gets `label`;
/// present but not a count -> shape error.
std::optional<int64_t> count_field(const json& obj, const char* name, const char* label,
                                   std::vector<std::string>& missing, std::optional<shape_error>& bad) {
  if (!has(obj, name)) {
    missing.emplace_back(label);
    return std::nullopt;
  }
  const json& v = obj[name];
  if (!v.IsInt64() || v.GetInt64() < 0) {
    bad = shape_error{std::string(name) + " is not a count"};
    return std::nullopt;
  }
  return v.GetInt64();
}

void add_missing(std::vector<std::string>& missing, const char* label) {
  if (std::find(missing.begin(), missing.end(), label) == missing.end()) missing.emplace_back(label);
}

/// The wait in a X-Business-Use-Case-Usage header: the largest
/// estimated_time_to_regain_access (minutes) over every business and type.
std::optional<millis> buc_usage_wait(const std::string& header) {
  rapidjson::Document doc;
  doc.Parse(header.c_str(), header.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  double minutes = 0;
  for (const auto& business : doc.GetObject()) {
    if (!business.value.IsArray()) continue;
    for (const auto& entry : business.value.GetArray()) {
      if (!entry.IsObject()) continue;
      auto it = entry.FindMember("estimated_time_to_regain_access");
      if (it != entry.MemberEnd() && it->value.IsNumber()) minutes = std::max(minutes, it->value.GetDouble());
    }
  }
  return minutes_to_wait(minutes);
}

std::optional<millis> error_body_wait(const json& err) {
  auto minutes_in = [](const json& obj) -> std::optional<millis> {
    auto it = obj.FindMember("estimated_time_to_regain_access");
    if (it == obj.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    return minutes_to_wait(it->value.GetDouble());
  };
  if (auto w = minutes_in(err)) return w;
  auto data = err.FindMember("error_data");
  if (data != err.MemberEnd() && data->value.IsObject()) return minutes_in(data->value);
  return std::nullopt;
}

bool is_rate_limit_code(int64_t code) {
  return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80001 && code <= 80008);
}

/// docs/domain.md "Failures, backoff and the circuit breaker", for a Graph error object.
failure classify_graph_error(const http_response& res, const json& err) {
  const auto code = graph_int(err, "code");
  const auto subcode = graph_int(err, "error_subcode");
  auto transient_it = err.FindMember("is_transient");
  const bool transient =
      transient_it != err.MemberEnd() && transient_it->value.IsBool() && transient_it->value.GetBool();
  std::string message;
  if (auto m = err.FindMember("message"); m != err.MemberEnd() && m->value.IsString()) message = m->value.GetString();

  std::string provider_code = http_code(res.status);
  if (code) {
    provider_code = "graph_" + std::to_string(*code);
    if (subcode) provider_code += "/" + std::to_string(*subcode);
  }

  // The answer's own wait hints, most specific first.
  std::optional<millis> wait;
  if (auto h = res.header("retry-after")) wait = parse_retry_after(*h);
  if (!wait) wait = error_body_wait(err);
  if (!wait)
    if (auto h = res.header("x-business-use-case-usage")) wait = buc_usage_wait(*h);

  const int64_t c = code.value_or(-1);
  if (res.status == 429 || is_rate_limit_code(c))
    return make_failure(error_class::rate_limited, provider_code, message, wait);
  if (c == 110 || subcode.value_or(0) == 2207013)
    return make_failure(error_class::not_found, provider_code, message);
  if (c == 190 || c == 10 || (c >= 200 && c <= 299))
    return make_failure(error_class::auth_error, provider_code, message);
  if (c == 1 || c == 2 || transient || res.status >= 500)
    return make_failure(error_class::provider_error, provider_code, message, wait);
  if (!code) return make_failure(classify_status(res.status), provider_code, message, wait);
  // A Graph code the table does not name: worth a bounded number of retries.
  return make_failure(error_class::provider_error, provider_code, message, wait);
}

fetch_result invalid(std::string code, std::string detail) {
  return make_failure(error_class::invalid_response, std::move(code), std::move(detail));
}

/// One media item. An absent field is reported in `missing` (once per answer,
/// not once per post); a field of the wrong type is a shape error that fails
/// the whole answer, since a provider that changed its types cannot be trusted
/// for the other fields either.
std::optional<shape_error> read_post(const json& item, post& p, std::vector<std::string>& missing) {
  if (!item.IsObject()) return shape_error{"a media item is not an object"};
  if (has(item, "timestamp")) {
    if (!item["timestamp"].IsString()) return shape_error{"timestamp is not a string"};
    p.timestamp = parse_time(item["timestamp"].GetString());
  }
  if (!p.timestamp) add_missing(missing, "timestamp");
  if (has(item, "like_count")) {
    const json& v = item["like_count"];
    if (!v.IsInt64() || v.GetInt64() < 0) return shape_error{"like_count is not a count"};
    p.likes = v.GetInt64();
  }  // absent = hidden likes, reported as likes_hidden, not as missing
  if (has(item, "comments_count")) {
    const json& v = item["comments_count"];
    if (!v.IsInt64() || v.GetInt64() < 0) return shape_error{"comments_count is not a count"};
    p.comments = v.GetInt64();
  } else {
    add_missing(missing, "comments_count");
  }
  for (auto [name, field] : {std::pair{"media_type", &post::media_type},
                             std::pair{"media_product_type", &post::media_product_type}}) {
    if (!has(item, name)) continue;
    if (!item[name].IsString()) return shape_error{std::string(name) + " is not a string"};
    p.*field = item[name].GetString();
  }
  if (p.media_type.empty()) add_missing(missing, "media_type");
  return std::nullopt;
}

/// business_discovery.media: at most `media_limit` posts (absent: none, and
/// "media" is missing).
std::optional<shape_error> read_media(const json& bd, uint32_t media_limit, std::vector<post>& posts,
                                      std::vector<std::string>& missing) {
  if (!has(bd, "media")) {
    missing.emplace_back("media");
    return std::nullopt;
  }
  const json& media = bd["media"];
  if (!media.IsObject()) return shape_error{"media is not an object"};
  auto data = media.FindMember("data");
  if (data == media.MemberEnd() || !data->value.IsArray()) return shape_error{"media.data is not an array"};
  for (const auto& item : data->value.GetArray()) {
    if (posts.size() >= media_limit) break;  // the API honours limit(N); do not trust it blindly
    post p;
    if (auto e = read_post(item, p, missing)) return e;
    posts.push_back(std::move(p));
  }
  return std::nullopt;
}

} // namespace

// -- interpreting an answer ------------------------------------------------------

fetch_result interpret_instagram(const http_response& res, const std::string& username, uint32_t media_limit,
                                 millis fetched_at) {
  rapidjson::Document doc;
  doc.Parse(res.body.c_str(), res.body.size());
  const bool json_ok = !doc.HasParseError();

  if (json_ok && doc.IsObject()) {
    auto err = doc.FindMember("error");
    if (err != doc.MemberEnd() && err->value.IsObject()) return classify_graph_error(res, err->value);
  }
  if (res.status < 200 || res.status > 299) {
    failure f = make_failure(classify_status(res.status), http_code(res.status), "no Graph error body");
    if (auto h = res.header("retry-after")) f.retry_after = parse_retry_after(*h);
    return f;
  }
  if (!json_ok) return invalid("invalid_json", "the body is not JSON");
  if (!doc.IsObject()) return invalid("bad_shape", "the body is not an object");
  auto bd_it = doc.FindMember("business_discovery");
  if (bd_it == doc.MemberEnd() || !bd_it->value.IsObject())
    return invalid("bad_shape", "no business_discovery object");
  const json& bd = bd_it->value;

  enriched out;
  out.network = network::instagram;
  out.handle = username;
  out.provider = instagram_provider_name;
  out.fetched_at = fetched_at;

  std::optional<shape_error> bad;
  const auto followers = count_field(bd, "followers_count", "followers", out.missing_fields, bad);
  const auto follows = count_field(bd, "follows_count", "follows", out.missing_fields, bad);
  const auto media_count = count_field(bd, "media_count", "media_count", out.missing_fields, bad);
  if (bad) return invalid("bad_shape", bad->what);

  std::vector<post> posts;
  if (auto e = read_media(bd, media_limit, posts, out.missing_fields)) return invalid("bad_shape", e->what);

  out.followers = followers.value_or(0);
  out.follows = follows.value_or(0);
  out.media_count = media_count.value_or(0);
  out.engagement_rate = followers ? engagement_rate(*followers, posts) : std::nullopt;
  out.posts_per_week = posts_per_week(posts);
  out.mix = mix_of(posts);
  out.creator_tier = creator_tier(out.followers);
  out.likes_hidden = any_likes_hidden(posts);
  return out;
}

// -- the provider ------------------------------------------------------------------

std::string instagram_username(std::string_view handle) {
  while (!handle.empty() && (handle.front() == ' ' || handle.front() == '\t')) handle.remove_prefix(1);
  while (!handle.empty() && (handle.back() == ' ' || handle.back() == '\t')) handle.remove_suffix(1);
  if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  if (handle.empty() || handle.size() > 30) return {};
  for (char c : handle) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (!ok) return {};
  }
  return std::string(handle);
}

result<std::unique_ptr<instagram_provider>> instagram_provider::create(const instagram_options& opts) {
  auto base = parse_base_url(opts.base_url);
  if (!base) return error{errc::validation, "discovery.instagram.base_url: " + base.err().message};
  if (opts.media_limit == 0) return error{errc::validation, "discovery.instagram.media_limit must be at least 1"};
  if (opts.timeout_ms == 0) return error{errc::validation, "discovery.instagram.timeout_ms must be at least 1"};
  auto http = http_client::create(std::move(*base), provider_client_options(opts.timeout_ms, opts.max_in_flight));
  if (!http) return http.err();
  return std::unique_ptr<instagram_provider>(new instagram_provider(opts, std::move(*http)));
}

instagram_provider::instagram_provider(instagram_options opts, std::unique_ptr<http_client> http)
    : opts_(std::move(opts)), http_(std::move(http)) {}

std::string instagram_provider::request_target(std::string_view username) const {
  const std::string fields = "business_discovery.username(" + std::string(username) +
                             "){followers_count,follows_count,media_count,media.limit(" +
                             std::to_string(opts_.media_limit) +
                             "){timestamp,like_count,comments_count,media_type,media_product_type}}";
  return "/" + url_encode(opts_.ig_user_id) + "?fields=" + url_encode(fields) +
         "&access_token=" + url_encode(opts_.access_token);
}

void instagram_provider::fetch(const std::string& handle, callback done) {
  std::string username = instagram_username(handle);
  if (username.empty()) {
    logger()->debug("instagram: '{}' is not a valid username", handle);
    http_->post([done = std::move(done)] {
      done(make_failure(error_class::not_found, "invalid_handle", "not an Instagram username"));
    });
    return;
  }
  logger()->debug("instagram: fetching {}", username);
  const uint32_t limit = opts_.media_limit;
  http_->get(request_target(username), [username, limit, done = std::move(done)](http_outcome outcome) {
    fetch_result r = std::holds_alternative<http_failure>(outcome)
                         ? fetch_result(classify_transport(std::get<http_failure>(outcome)))
                         : interpret_instagram(std::get<http_response>(outcome), username, limit, now_millis());
    if (r.ok()) {
      logger()->debug("instagram: {} enriched", username);
    } else {
      const failure& f = r.error();
      // No handle above debug; auth errors matter to operators, so they warn.
      if (f.kind == error_class::auth_error)
        logger()->warn("instagram: auth error {} (check discovery.instagram.access_token)", f.provider_code);
      logger()->debug("instagram: {} failed: {} {} {}", username, to_string(f.kind), f.provider_code, f.detail);
    }
    done(std::move(r));
  });
}

} // namespace leadbase::discovery
