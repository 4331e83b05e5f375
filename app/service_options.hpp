#pragma once
// The write side's settings from the config file: one mapping, used by every
// command that runs the lead actors (serve, import), and the event log's, used
// by every command that opens it.
#include "actors/service.hpp"
#include "app/config.hpp"
#include "projections/view_json.hpp"
#include "storage/event_log.hpp"

namespace leadbase::app {

actors::service_options service_options_from(const config& cfg);

/// How a lead's view is rendered ([priority], the qualification rules
/// version): the same for the HTTP routes and `leadbase replay`.
projections::view_settings view_settings_from(const config& cfg);

/// data_dir, [durability] sync and [storage].
storage::log_options log_options_from(const config& cfg);

} // namespace leadbase::app
