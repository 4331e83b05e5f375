#include "discovery/metrics.hpp"

#include <algorithm>

namespace leadbase::discovery {

std::optional<double> engagement_rate(int64_t followers, const std::vector<post>& posts) {
  if (followers <= 0 || posts.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& p : posts) {
    const int64_t interactions = p.likes.value_or(0) + p.comments;
    sum += static_cast<double>(interactions) / static_cast<double>(followers);
  }
  return sum / static_cast<double>(posts.size());
}

std::optional<double> posts_per_week(const std::vector<post>& posts) {
  std::optional<millis> oldest, newest;
  size_t dated = 0;
  for (const auto& p : posts) {
    if (!p.timestamp) continue;
    ++dated;
    oldest = oldest ? std::min(*oldest, *p.timestamp) : *p.timestamp;
    newest = newest ? std::max(*newest, *p.timestamp) : *p.timestamp;
  }
  if (dated < 2 || *newest == *oldest) return std::nullopt;
  constexpr double week_ms = 7.0 * 24 * 3600 * 1000;
  const double weeks = static_cast<double>(*newest - *oldest) / week_ms;
  return static_cast<double>(dated - 1) / weeks;
}

content_mix mix_of(const std::vector<post>& posts) {
  content_mix counts;
  double known = 0;
  for (const auto& p : posts) {
    if (p.media_product_type == "REELS") counts.reels += 1;
    else if (p.media_type == "IMAGE") counts.image += 1;
    else if (p.media_type == "VIDEO") counts.video += 1;
    else if (p.media_type == "CAROUSEL_ALBUM") counts.carousel += 1;
    else continue;
    known += 1;
  }
  if (known == 0) return {};
  return content_mix{counts.image / known, counts.video / known, counts.carousel / known, counts.reels / known};
}

const char* creator_tier(int64_t followers) noexcept {
  if (followers >= 1'000'000) return "mega";
  if (followers >= 500'000) return "macro";
  if (followers >= 100'000) return "mid";
  if (followers >= 10'000) return "micro";
  if (followers >= 1'000) return "nano";
  return "none";
}

bool any_likes_hidden(const std::vector<post>& posts) noexcept {
  return std::any_of(posts.begin(), posts.end(), [](const post& p) { return !p.likes; });
}

} // namespace leadbase::discovery
