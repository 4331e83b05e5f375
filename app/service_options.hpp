#pragma once
// The write side's settings from the config file: one mapping, used by every
// command that runs the lead actors (serve, import).
#include "actors/service.hpp"
#include "app/config.hpp"

namespace leadbase::app {

actors::service_options service_options_from(const config& cfg);

} // namespace leadbase::app
