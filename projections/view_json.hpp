#pragma once
// A lead's view as the API shows it (docs/http-api.md, GET /v1/leads/{id}): the read
// side's document. Its priority and coverage are derived here, from the lead's
// state and the view_settings, in one place, so every reader (GET /v1/leads,
// GET /v1/leads/{id}, the state as of a time, replay over HTTP and
// `leadbase replay`) shows the same numbers for the same config.
#include <optional>
#include <string>

#include "events/json.hpp"
#include "events/lead_state.hpp"
#include "projections/priority.hpp"

namespace leadbase::projections {

/// What a view's rendering needs beyond the state: the [priority] settings and
/// the qualification rules version, taken from the config once (app/).
struct view_settings {
  priority_options priority;
  std::string rules_version = "2026-11-01";
};

/// The derived parts of a view.
struct view_scores {
  std::optional<priority_view> priority;  ///< null for leads in no queue
  double coverage = 0;
};

/// The one function that computes priority and coverage for a view.
view_scores score_view(const lead_state& s, const view_settings& settings);

/// The current-view document, key by key. Erased leads show email and name,
/// and the handle of every network, as "[erased]".
///
/// enrichment aggregates the per-network progress: state =
/// overall_enrichment(); attempts = the sum over networks; last_error = that
/// of the first network (by name) whose state is the overall one, else of the
/// first with any error, else null; next_attempt_at = the earliest over
/// networks with a retry scheduled, else null.
void render_view(json_writer& w, const lead_state& s, const view_scores& scores);
/// render_view with score_view(s, settings).
void render_view(json_writer& w, const lead_state& s, const view_settings& settings);

std::string view_json(const lead_state& s, const view_scores& scores);
std::string view_json(const lead_state& s, const view_settings& settings);

} // namespace leadbase::projections
