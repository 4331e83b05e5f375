#pragma once
// YouTube through the Data API v3 channels.list call (docs/domain.md "Creator
// Discovery (enrichment)"): subscriber, view and video counts for a handle, as
// an `enriched` payload, or a failure classified by the docs/domain.md table.
#include <memory>
#include <string>
#include <string_view>

#include "discovery/http_client.hpp"
#include "discovery/options.hpp"
#include "discovery/provider.hpp"

namespace leadbase::discovery {

/// The `provider` field of the events this provider produces.
inline constexpr const char* youtube_provider_name = "youtube_data_v3";

/**
 * The YouTube provider.
 *
 * Operation: `fetch` GETs `{base_url}/channels?part=statistics&forHandle=@H&key=K`.
 * followers = subscriberCount (absent, and listed in missing_fields, when
 * hiddenSubscriberCount is true), media_count = videoCount, views = viewCount.
 * YouTube has no per-post data here: engagement_rate and posts_per_week stay
 * null and the content mix 0, and they are not listed as missing.
 *
 * Errors: a Google error body with reason quotaExceeded, rateLimitExceeded,
 * userRateLimitExceeded or dailyLimitExceeded (or HTTP 429) -> rate_limited;
 * 5xx -> provider_error; 400/401/403 (keyInvalid, forbidden, ...) ->
 * auth_error; 404 or no channel in `items` -> not_found.
 *
 * Concurrency and lifetime: as `provider`; the I/O thread is the http_client's.
 */
class youtube_provider final : public provider {
 public:
  /// errc::validation when base_url is malformed.
  static result<std::unique_ptr<youtube_provider>> create(const youtube_options& opts);

  void fetch(const std::string& handle, callback done) override;
  leadbase::network network() const override { return leadbase::network::youtube; }

  /// Path and query (after the base URL's prefix) for a handle without '@'.
  std::string request_target(std::string_view handle) const;

  uint64_t connections_opened() const noexcept { return http_->connections_opened(); }

 private:
  youtube_provider(youtube_options opts, std::unique_ptr<http_client> http);

  youtube_options opts_;
  std::unique_ptr<http_client> http_;
};

/// The handle without '@' and surrounding blanks; empty when it cannot be a
/// YouTube handle (empty, over 100 bytes, blanks or control characters inside).
std::string youtube_handle(std::string_view handle);

/// Pure: an HTTP answer of channels.list -> the result.
fetch_result interpret_youtube(const http_response& res, const std::string& handle, millis fetched_at);

} // namespace leadbase::discovery
