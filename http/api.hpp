#pragma once
// The leadbase HTTP API (API.md): which routes exist and what they need.
// Each group of routes lives in its own routes_*.cpp; this header wires them.
#include <string>

#include "actors/lead_service.hpp"
#include "http/router.hpp"
#include "projections/priority_options.hpp"
#include "storage/event_log.hpp"

namespace leadbase::http {

/// Everything the route handlers use; owned by the app, outlives the server.
struct api_context {
  lead_service* leads = nullptr;
  storage::event_log* log = nullptr;
  priority_options priority;
  std::string rules_version = "2026-11-01";
};

/// POST /v1/signups, POST /v1/events (scope ingest).
void add_ingest_routes(router& r, api_context& ctx);
/// GET /v1/leads/{id} (read); history, state?as_of, replay, feed (audit).
void add_lead_routes(router& r, api_context& ctx);
/// POST /v1/leads/{id}/erase, POST /v1/leads/{id}/enrichment/retry (admin).
void add_admin_routes(router& r, api_context& ctx);

/// Every route of the API.
inline router make_api_router(api_context& ctx) {
  router r;
  add_ingest_routes(r, ctx);
  add_lead_routes(r, ctx);
  add_admin_routes(r, ctx);
  return r;
}

} // namespace leadbase::http
