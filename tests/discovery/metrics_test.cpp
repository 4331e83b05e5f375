// The derived metrics of docs/domain.md, as pure functions.
#include <catch2/catch.hpp>

#include "discovery/metrics.hpp"

using namespace leadbase;
using namespace leadbase::discovery;

namespace {

constexpr millis day = 24LL * 3600 * 1000;

post make(std::optional<millis> t, std::optional<int64_t> likes, int64_t comments, std::string type,
          std::string product = "FEED") {
  post p;
  p.timestamp = t;
  p.likes = likes;
  p.comments = comments;
  p.media_type = std::move(type);
  p.media_product_type = std::move(product);
  return p;
}

double sum(const content_mix& m) { return m.image + m.video + m.carousel + m.reels; }

} // namespace

TEST_CASE("engagement_rate is the mean of (likes + comments) / followers", "[discovery][metrics]") {
  std::vector<post> posts{make(0, 100, 20, "IMAGE"), make(day, 50, 10, "IMAGE")};
  // (120 + 60) / 2 / 1000
  REQUIRE(engagement_rate(1000, posts).value() == Approx(0.09));
}

TEST_CASE("hidden likes count comments only and are reported", "[discovery][metrics]") {
  std::vector<post> posts{make(0, std::nullopt, 30, "IMAGE"), make(day, 70, 0, "VIDEO")};
  REQUIRE(engagement_rate(1000, posts).value() == Approx((30.0 + 70.0) / 2 / 1000));
  REQUIRE(any_likes_hidden(posts));
  posts[0].likes = 0;
  REQUIRE_FALSE(any_likes_hidden(posts));
}

TEST_CASE("engagement_rate is null without followers or posts", "[discovery][metrics]") {
  std::vector<post> posts{make(0, 10, 1, "IMAGE")};
  REQUIRE_FALSE(engagement_rate(0, posts).has_value());
  REQUIRE_FALSE(engagement_rate(-5, posts).has_value());
  REQUIRE_FALSE(engagement_rate(1000, {}).has_value());
}

TEST_CASE("posts_per_week is (posts - 1) over the span in weeks", "[discovery][metrics]") {
  std::vector<post> posts{make(14 * day, 1, 1, "IMAGE"), make(7 * day, 1, 1, "IMAGE"), make(0, 1, 1, "IMAGE")};
  REQUIRE(posts_per_week(posts).value() == Approx(1.0));  // 2 gaps over 2 weeks
  posts = {make(0, 1, 1, "IMAGE"), make(day, 1, 1, "IMAGE")};
  REQUIRE(posts_per_week(posts).value() == Approx(7.0));  // order does not matter
}

TEST_CASE("posts_per_week is null under 2 dated posts or a zero span", "[discovery][metrics]") {
  REQUIRE_FALSE(posts_per_week({}).has_value());
  REQUIRE_FALSE(posts_per_week({make(0, 1, 1, "IMAGE")}).has_value());
  REQUIRE_FALSE(posts_per_week({make(0, 1, 1, "IMAGE"), make(std::nullopt, 1, 1, "IMAGE")}).has_value());
  REQUIRE_FALSE(posts_per_week({make(day, 1, 1, "IMAGE"), make(day, 1, 1, "VIDEO")}).has_value());
}

TEST_CASE("content_mix shares sum to 1, reels first", "[discovery][metrics]") {
  std::vector<post> posts{make(0, 1, 1, "VIDEO", "REELS"), make(0, 1, 1, "VIDEO", "FEED"),
                          make(0, 1, 1, "IMAGE"), make(0, 1, 1, "CAROUSEL_ALBUM"),
                          make(0, 1, 1, "IMAGE", "REELS"), make(0, 1, 1, "IMAGE"),
                          make(0, 1, 1, "VIDEO", "REELS"), make(0, 1, 1, "IMAGE")};
  const auto m = mix_of(posts);
  REQUIRE(m.reels == Approx(3.0 / 8));
  REQUIRE(m.image == Approx(3.0 / 8));
  REQUIRE(m.video == Approx(1.0 / 8));
  REQUIRE(m.carousel == Approx(1.0 / 8));
  REQUIRE(sum(m) == Approx(1.0));
}

TEST_CASE("content_mix leaves unknown kinds out and is all 0 without posts", "[discovery][metrics]") {
  const auto empty = mix_of({});
  REQUIRE(sum(empty) == 0.0);
  const auto unknown_only = mix_of({make(0, 1, 1, "")});
  REQUIRE(sum(unknown_only) == 0.0);
  const auto m = mix_of({make(0, 1, 1, "IMAGE"), make(0, 1, 1, "ALBUM?")});
  REQUIRE(m.image == Approx(1.0));
  REQUIRE(sum(m) == Approx(1.0));
}

TEST_CASE("creator_tier at every boundary", "[discovery][metrics]") {
  REQUIRE(std::string(creator_tier(0)) == "none");
  REQUIRE(std::string(creator_tier(999)) == "none");
  REQUIRE(std::string(creator_tier(1'000)) == "nano");
  REQUIRE(std::string(creator_tier(9'999)) == "nano");
  REQUIRE(std::string(creator_tier(10'000)) == "micro");
  REQUIRE(std::string(creator_tier(99'999)) == "micro");
  REQUIRE(std::string(creator_tier(100'000)) == "mid");
  REQUIRE(std::string(creator_tier(499'999)) == "mid");
  REQUIRE(std::string(creator_tier(500'000)) == "macro");
  REQUIRE(std::string(creator_tier(999'999)) == "macro");
  REQUIRE(std::string(creator_tier(1'000'000)) == "mega");
  REQUIRE(std::string(creator_tier(250'000'000)) == "mega");
}
