#include "discovery/youtube.hpp"

#include <utility>

#include <rapidjson/document.h>

#include "discovery/classify.hpp"
#include "discovery/log.hpp"
#include "discovery/metrics.hpp"
#include "events/time.hpp"

namespace leadbase::discovery {

namespace {

using json = rapidjson::Value;

bool is_quota_reason(const std::string& r) {
  return r == "quotaExceeded" || r == "rateLimitExceeded" || r == "userRateLimitExceeded" ||
         r == "dailyLimitExceeded";
}

/// A Google error object -> the docs/domain.md class.
failure classify_google_error(const http_response& res, const json& err) {
  unsigned status = res.status;
  if (auto c = err.FindMember("code"); c != err.MemberEnd() && c->value.IsUint() && status < 400)
    status = c->value.GetUint();  // a 2xx carrying an error object: trust the body's code
  std::string reason;
  bool quota = false;
  if (auto errs = err.FindMember("errors"); errs != err.MemberEnd() && errs->value.IsArray()) {
    for (const auto& e : errs->value.GetArray()) {
      if (!e.IsObject()) continue;
      auto r = e.FindMember("reason");
      if (r == e.MemberEnd() || !r->value.IsString()) continue;
      std::string this_reason = r->value.GetString();
      if (reason.empty()) reason = this_reason;
      if (is_quota_reason(this_reason)) {
        quota = true;
        reason = this_reason;
      }
    }
  }
  std::string message;
  if (auto m = err.FindMember("message"); m != err.MemberEnd() && m->value.IsString()) message = m->value.GetString();
  std::string code = http_code(status);
  if (!reason.empty()) code += "/" + reason;

  std::optional<millis> wait;
  if (auto h = res.header("retry-after")) wait = parse_retry_after(*h);
  if (quota || status == 429) return make_failure(error_class::rate_limited, code, message, wait);
  if (status >= 500 || reason == "backendError") return make_failure(error_class::provider_error, code, message, wait);
  if (status == 404 || reason == "channelNotFound") return make_failure(error_class::not_found, code, message);
  if (status == 400 || status == 401 || status == 403) return make_failure(error_class::auth_error, code, message);
  return make_failure(error_class::provider_error, code, message, wait);
}

fetch_result invalid(std::string code, std::string detail) {
  return make_failure(error_class::invalid_response, std::move(code), std::move(detail));
}

enum class count_state { absent, ok, bad };

/// YouTube counts are decimal strings ("12345"); plain numbers are accepted too.
count_state read_count(const json& obj, const char* name, int64_t& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return count_state::absent;
  const json& v = it->value;
  if (v.IsInt64()) {
    out = v.GetInt64();
    return out < 0 ? count_state::bad : count_state::ok;
  }
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 18) return count_state::bad;
  int64_t n = 0;
  for (const char* p = v.GetString(); *p; ++p) {
    if (*p < '0' || *p > '9') return count_state::bad;
    n = n * 10 + (*p - '0');
  }
  out = n;
  return count_state::ok;
}

} // namespace

fetch_result interpret_youtube(const http_response& res, const std::string& handle, millis fetched_at) {
  rapidjson::Document doc;
  doc.Parse(res.body.c_str(), res.body.size());
  const bool json_ok = !doc.HasParseError();
  if (json_ok && doc.IsObject()) {
    auto err = doc.FindMember("error");
    if (err != doc.MemberEnd() && err->value.IsObject()) return classify_google_error(res, err->value);
  }
  if (res.status < 200 || res.status > 299) {
    failure f = make_failure(classify_status(res.status), http_code(res.status), "no Google error body");
    if (auto h = res.header("retry-after")) f.retry_after = parse_retry_after(*h);
    return f;
  }
  if (!json_ok) return invalid("invalid_json", "the body is not JSON");
  if (!doc.IsObject()) return invalid("bad_shape", "the body is not an object");

  // No match: the API leaves `items` out (or empty).
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd() || items->value.IsNull())
    return make_failure(error_class::not_found, "youtube_no_channel", "no channel for this handle");
  if (!items->value.IsArray()) return invalid("bad_shape", "items is not an array");
  if (items->value.Empty())
    return make_failure(error_class::not_found, "youtube_no_channel", "no channel for this handle");
  const json& item = items->value[0];
  if (!item.IsObject()) return invalid("bad_shape", "items[0] is not an object");
  auto stats_it = item.FindMember("statistics");
  if (stats_it == item.MemberEnd() || !stats_it->value.IsObject()) return invalid("bad_shape", "no statistics object");
  const json& stats = stats_it->value;

  enriched out;
  out.network = network::youtube;
  out.handle = handle;
  out.provider = youtube_provider_name;
  out.fetched_at = fetched_at;

  bool hidden = false;
  if (auto h = stats.FindMember("hiddenSubscriberCount"); h != stats.MemberEnd() && !h->value.IsNull()) {
    if (!h->value.IsBool()) return invalid("bad_shape", "hiddenSubscriberCount is not a boolean");
    hidden = h->value.GetBool();
  }

  int64_t subscribers = 0, views = 0, videos = 0;
  const count_state subs_state = read_count(stats, "subscriberCount", subscribers);
  const count_state views_state = read_count(stats, "viewCount", views);
  const count_state videos_state = read_count(stats, "videoCount", videos);
  if (subs_state == count_state::bad) return invalid("bad_shape", "subscriberCount is not a count");
  if (views_state == count_state::bad) return invalid("bad_shape", "viewCount is not a count");
  if (videos_state == count_state::bad) return invalid("bad_shape", "videoCount is not a count");

  if (hidden || subs_state == count_state::absent) {
    out.missing_fields.emplace_back("followers");  // the API may still send a rounded count: not ours to use
  } else {
    out.followers = subscribers;
  }
  if (videos_state == count_state::ok) out.media_count = videos;
  else out.missing_fields.emplace_back("media_count");
  if (views_state == count_state::ok) out.views = views;
  else out.missing_fields.emplace_back("views");
  out.creator_tier = creator_tier(out.followers);
  return out;
}

// -- the provider ------------------------------------------------------------------

std::string youtube_handle(std::string_view handle) {
  while (!handle.empty() && (handle.front() == ' ' || handle.front() == '\t')) handle.remove_prefix(1);
  while (!handle.empty() && (handle.back() == ' ' || handle.back() == '\t')) handle.remove_suffix(1);
  if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  if (handle.empty() || handle.size() > 100) return {};
  for (unsigned char c : handle)
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '&') return {};
  return std::string(handle);
}

result<std::unique_ptr<youtube_provider>> youtube_provider::create(const youtube_options& opts) {
  auto base = parse_base_url(opts.base_url);
  if (!base) return error{errc::validation, "discovery.youtube.base_url: " + base.err().message};
  if (opts.timeout_ms == 0) return error{errc::validation, "discovery.youtube.timeout_ms must be at least 1"};
  auto http = http_client::create(std::move(*base), provider_client_options(opts.timeout_ms, opts.max_in_flight));
  if (!http) return http.err();
  return std::unique_ptr<youtube_provider>(new youtube_provider(opts, std::move(*http)));
}

youtube_provider::youtube_provider(youtube_options opts, std::unique_ptr<http_client> http)
    : opts_(std::move(opts)), http_(std::move(http)) {}

std::string youtube_provider::request_target(std::string_view handle) const {
  return "/channels?part=statistics&forHandle=" + url_encode("@" + std::string(handle)) +
         "&key=" + url_encode(opts_.api_key);
}

void youtube_provider::fetch(const std::string& handle, callback done) {
  std::string h = youtube_handle(handle);
  if (h.empty()) {
    logger()->debug("youtube: '{}' is not a valid handle", handle);
    http_->post([done = std::move(done)] {
      done(make_failure(error_class::not_found, "invalid_handle", "not a YouTube handle"));
    });
    return;
  }
  logger()->debug("youtube: fetching {}", h);
  http_->get(request_target(h), [h, done = std::move(done)](http_outcome outcome) {
    fetch_result r = std::holds_alternative<http_failure>(outcome)
                         ? fetch_result(classify_transport(std::get<http_failure>(outcome)))
                         : interpret_youtube(std::get<http_response>(outcome), h, now_millis());
    if (r.ok()) {
      logger()->debug("youtube: {} enriched", h);
    } else {
      const failure& f = r.error();
      if (f.kind == error_class::auth_error)
        logger()->warn("youtube: auth error {} (check discovery.youtube.api_key)", f.provider_code);
      logger()->debug("youtube: {} failed: {} {} {}", h, to_string(f.kind), f.provider_code, f.detail);
    }
    done(std::move(r));
  });
}

} // namespace leadbase::discovery
