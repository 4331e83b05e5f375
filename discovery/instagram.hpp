#pragma once
// Instagram through the Graph API Business Discovery endpoint (docs/domain.md):
// one GET per handle, answered as an `enriched` payload with the derived
// metrics, or as a failure classified by the docs/domain.md error table.
#include <memory>
#include <string>
#include <string_view>

#include "discovery/http_client.hpp"
#include "discovery/options.hpp"
#include "discovery/provider.hpp"

namespace leadbase::discovery {

/// The `provider` field of the events this provider produces.
inline constexpr const char* instagram_provider_name = "instagram_graph";

/**
 * The Instagram provider.
 *
 * Operation: `fetch` validates the handle (Instagram usernames are 1-30 of
 * [A-Za-z0-9._], a leading '@' is dropped; anything else is `not_found` with
 * code "invalid_handle", without a request, because it could not name an
 * account and must not reach the `fields` expression), then GETs
 * `{base_url}/{ig_user_id}?fields=business_discovery.username(H){...}&access_token=T`.
 *
 * Concurrency and lifetime: as `provider`; the I/O thread is the http_client's.
 */
class instagram_provider final : public provider {
 public:
  /// errc::validation when base_url is malformed or media_limit is 0.
  static result<std::unique_ptr<instagram_provider>> create(const instagram_options& opts);

  void fetch(const std::string& handle, callback done) override;
  leadbase::network network() const override { return leadbase::network::instagram; }

  /// Path and query (after the base URL's prefix) for a valid username.
  std::string request_target(std::string_view username) const;

  /// Connections opened so far (keep-alive reuse shows as fewer than calls).
  uint64_t connections_opened() const noexcept { return http_->connections_opened(); }

 private:
  instagram_provider(instagram_options opts, std::unique_ptr<http_client> http);

  instagram_options opts_;
  std::unique_ptr<http_client> http_;
};

/// The username part of a handle: '@' and surrounding blanks dropped; empty
/// when it is not a valid Instagram username.
std::string instagram_username(std::string_view handle);

/// Pure: an HTTP answer of the Business Discovery call -> the result. Graph
/// error bodies win over the status; a 2xx body must have the documented shape.
fetch_result interpret_instagram(const http_response& res, const std::string& username, uint32_t media_limit,
                                 millis fetched_at);

} // namespace leadbase::discovery
