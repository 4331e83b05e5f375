#pragma once
// Creator Discovery settings ([discovery.*] in the config file, docs/configuration.md).
#include <cstdint>
#include <optional>
#include <string>

#include "events/retry_policy.hpp"

namespace leadbase::discovery {

struct instagram_options {
  std::string base_url = "https://graph.facebook.com/v21.0";
  std::string ig_user_id = "17841400000000000";
  std::string access_token;  // or env LEADBASE_INSTAGRAM_TOKEN
  uint32_t media_limit = 12;
  uint32_t timeout_ms = 5000;
  uint32_t max_in_flight = 32;
};

struct youtube_options {
  std::string base_url = "https://www.googleapis.com/youtube/v3";
  std::string api_key;  // or env LEADBASE_YOUTUBE_KEY
  uint32_t timeout_ms = 5000;
  uint32_t max_in_flight = 32;
};

/// The retry policy is the Decider's (events/retry_policy.hpp); its settings
/// are read with the rest of [discovery.*].
using retry_options = leadbase::retry_options;

struct breaker_options {
  uint32_t window = 20;
  uint32_t min_calls = 10;
  double failure_ratio = 0.5;
  uint32_t open_ms = 30000;
  uint32_t half_open_calls = 3;
};

struct options {
  std::optional<instagram_options> instagram;  // absent section = provider off
  std::optional<youtube_options> youtube;
  retry_options retry;
  breaker_options breaker;
};

} // namespace leadbase::discovery
