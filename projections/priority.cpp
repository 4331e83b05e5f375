#include "projections/priority.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace leadbase {

namespace {

/// The engagement rate that earns full marks (6 %) and the weekly posting
/// cadence that does (5 posts): docs/domain.md "Prioritisation".
constexpr double full_engagement_rate = 0.06;
constexpr double full_posts_per_week = 5.0;
/// log10 of the follower count that earns full reach marks (1M).
constexpr double full_reach_log10 = 6.0;

const network_profile* profile(const lead_state& s, network net) {
  auto it = s.social.find(net);
  return it == s.social.end() ? nullptr : &it->second;
}

/// The enrichment may report a field it could not read (`missing_fields`);
/// the profile then holds a default, not data.
bool reported_missing(const network_profile& p, std::initializer_list<const char*> names) {
  for (const auto& m : p.missing_fields)
    for (const char* n : names)
      if (m == n) return true;
  return false;
}

/// The profile whose follower count feeds reach: Instagram, else YouTube
/// (subscribers), else none.
const network_profile* reach_profile(const lead_state& s) {
  if (const auto* ig = profile(s, network::instagram)) return ig;
  return profile(s, network::youtube);
}

bool has_followers(const network_profile* p) {
  return p != nullptr && !reported_missing(*p, {"followers", "followers_count", "subscriberCount"});
}

bool has_content_mix(const network_profile* p) {
  if (p == nullptr || reported_missing(*p, {"content_mix", "media"})) return false;
  // No posts leaves every share at zero: that is no mix, not a mix of nothing.
  return p->mix.image + p->mix.video + p->mix.carousel + p->mix.reels > 0;
}

double clamp01(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

/// Reach factor: log10(followers) / 6, capped at 1; no followers scores 0
/// (and log10(1) = 0, so the curve starts at 0 continuously).
double reach_factor(int64_t followers) {
  if (followers <= 0) return 0;
  return clamp01(std::log10(static_cast<double>(followers)) / full_reach_log10);
}

/// Lives in no queue: not yet decided, disqualified, erased.
bool in_a_queue(const lead_state& s) {
  if (s.personal_erased || !s.qualification || s.qualification->result != outcome::qualified) return false;
  switch (s.status) {
    case lead_status::qualified:
    case lead_status::enriching:
    case lead_status::enriched:
    case lead_status::enrichment_failed: return true;
    default: return false;
  }
}

} // namespace

double coverage(const lead_state& s) noexcept {
  const network_profile* ig = profile(s, network::instagram);
  const bool fields[] = {
      !s.contact.email.empty(),
      !s.contact.name.empty(),
      !s.contact.phone.empty(),
      !s.contact.country.empty(),
      !s.contact.social.instagram.empty() || (ig != nullptr && !ig->handle.empty()),
      has_followers(reach_profile(s)),
      ig != nullptr && ig->engagement_rate.has_value(),
      ig != nullptr && ig->posts_per_week.has_value(),
      has_content_mix(ig),
  };
  constexpr double total = sizeof(fields) / sizeof(fields[0]);
  return static_cast<double>(std::count(std::begin(fields), std::end(fields), true)) / total;
}

std::optional<priority_view> prioritise(const lead_state& s, const priority_options& opts,
                                        const std::string& rules_version) {
  if (!in_a_queue(s)) return std::nullopt;

  const network_profile* ig = profile(s, network::instagram);
  const network_profile* reach_from = reach_profile(s);

  // Missing metrics score 0 for their component; coverage already penalises
  // their absence, so a lead is never rewarded for data we do not have.
  const double reach = has_followers(reach_from) ? reach_factor(reach_from->followers) : 0.0;
  const double engagement =
      ig != nullptr && ig->engagement_rate ? clamp01(*ig->engagement_rate / full_engagement_rate) : 0.0;
  const double activity =
      ig != nullptr && ig->posts_per_week ? clamp01(*ig->posts_per_week / full_posts_per_week) : 0.0;

  const double raw = opts.weight_reach * reach + opts.weight_engagement * engagement +
                     opts.weight_activity * activity + opts.weight_completeness * coverage(s);

  priority_view v;
  v.score = std::round(raw * 10.0) / 10.0;
  const auto tenth = [](double x) { return std::round(x * 10.0) / 10.0; };
  v.components.reach = tenth(opts.weight_reach * reach);
  v.components.engagement = tenth(opts.weight_engagement * engagement);
  v.components.activity = tenth(opts.weight_activity * activity);
  v.components.completeness =
      tenth(v.score - v.components.reach - v.components.engagement - v.components.activity);
  // The level follows the score as shown: a lead displayed at 70.0 is an A.
  v.level = v.score >= opts.threshold_a ? 'A' : v.score >= opts.threshold_b ? 'B' : 'C';
  // SDRs work enriched A/B leads; C, never-enriched (nothing to enrich, still
  // pending) and finally failed enrichments go to the LDR team.
  const bool has_enrichment_data = reach_from != nullptr;
  v.team = (v.level != 'C' && has_enrichment_data) ? "sdr" : "ldr";
  v.rules_version = rules_version;
  return v;
}

} // namespace leadbase
