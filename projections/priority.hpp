#pragma once
// Prioritisation (docs/domain.md): score, level and team from a lead's current
// state. Pure functions; the weights and thresholds come from the config.
#include <optional>
#include <string>

#include "events/lead_state.hpp"
#include "projections/priority_options.hpp"

namespace leadbase {

/// The score's four parts, in points (docs/domain.md "Prioritisation"): each
/// rounded to one decimal, completeness taking the rounding remainder, so that
/// they add up to the score as shown.
struct priority_components {
  double reach = 0, engagement = 0, activity = 0, completeness = 0;
};

struct priority_view {
  double score = 0;           // 0-100, rounded to one decimal
  priority_components components;
  char level = 'C';           // 'A', 'B' or 'C'
  std::string team;           // "sdr" or "ldr"
  std::string rules_version;  // the qualification rules version in force
};

/// Share of the nine coverage fields present (docs/domain.md): email, name, phone,
/// country, instagram handle, followers, engagement_rate, posts_per_week, content_mix.
double coverage(const lead_state& s) noexcept;

/// nullopt for leads in no queue: not yet qualified, disqualified, erased.
std::optional<priority_view> prioritise(const lead_state& s, const priority_options& opts,
                                        const std::string& rules_version);

} // namespace leadbase
