#pragma once
// The derived metrics of docs/domain.md "Creator Discovery (enrichment)", as pure functions of
// what a provider returned, so they can be tested without any network and
// every provider (and the simulator's tests) computes them the same way.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"

namespace leadbase::discovery {

/// One post as the Graph API describes it; absent fields stay empty.
struct post {
  std::optional<millis> timestamp;  ///< absent or unparseable: ignored by posts_per_week
  std::optional<int64_t> likes;     ///< absent = hidden likes
  int64_t comments = 0;
  std::string media_type;           ///< IMAGE, VIDEO, CAROUSEL_ALBUM
  std::string media_product_type;   ///< FEED, REELS, ...
};

/// Mean over posts of (likes + comments) / followers; hidden likes count
/// comments only. nullopt when followers <= 0 or there are no posts.
std::optional<double> engagement_rate(int64_t followers, const std::vector<post>& posts);

/// (posts - 1) / (newest - oldest, in weeks), over the posts that carry a
/// timestamp. nullopt under 2 such posts or when they all share one instant.
std::optional<double> posts_per_week(const std::vector<post>& posts);

/// Share of reels (media_product_type REELS), else image / video / carousel by
/// media_type. Posts of an unknown kind are left out so the shares still sum
/// to 1; all 0 when no post has a known kind.
content_mix mix_of(const std::vector<post>& posts);

/// none < 1k <= nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega.
const char* creator_tier(int64_t followers) noexcept;

/// True when any post hides its like count.
bool any_likes_hidden(const std::vector<post>& posts) noexcept;

} // namespace leadbase::discovery
