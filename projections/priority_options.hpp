#pragma once
// [priority] settings (docs/configuration.md, docs/domain.md "Prioritisation").
#include <cstdint>

namespace leadbase {

struct priority_options {
  double weight_reach = 40, weight_engagement = 30, weight_activity = 20, weight_completeness = 10;
  double threshold_a = 70, threshold_b = 40;
  uint32_t refresh_days = 30;
};

} // namespace leadbase
