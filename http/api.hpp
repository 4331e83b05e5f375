#pragma once
// The leadbase HTTP API (docs/http-api.md): which routes exist and what they need.
// Each group of routes lives in its own routes_*.cpp; this header wires them.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actors/health.hpp"
#include "actors/lead_service.hpp"
#include "http/alert_rules.hpp"
#include "http/metrics_text.hpp"
#include "http/router.hpp"
#include "projections/view_json.hpp"
#include "storage/event_log.hpp"

namespace leadbase {
class stats_projection;  // projections/stats_projection.hpp
}
namespace leadbase::storage {
class backup_service;  // storage/backup_service.hpp
}
namespace leadbase::actors {
class claim_reservations;  // actors/claim_reservations.hpp
}
namespace leadbase::projections {
class projection_runner;  // projections/runner.hpp
class lead_views;         // projections/lead_views.hpp
}

namespace leadbase::http {

/// alerts::evaluate's memory behind a mutex: requests and the periodic
/// evaluation share it.
class alert_monitor {
 public:
  std::vector<alerts::active_alert> evaluate(const alerts::figures& f) {
    std::lock_guard<std::mutex> lock(m_);
    return alerts::evaluate(f, memory_);
  }

 private:
  std::mutex m_;
  alerts::memory memory_;
};

/// One projection's progress for /metrics (leadbase_projection_*).
struct projection_progress {
  std::string name;
  global_position position = 0;
  global_position head = 0;
  /// now - recorded_at of the oldest event not applied yet; nullopt: /metrics
  /// reads it from the log (0 when caught up).
  std::optional<double> lag_seconds;
  /// Events it skipped because the log cannot read them (leadbase_damaged_events).
  uint64_t damaged_events = 0;
};

/// Everything the route handlers use; owned by the app, outlives the server.
struct api_context {
  lead_service* leads = nullptr;
  storage::event_log* log = nullptr;
  /// How every route renders a lead's view (the same settings as `leadbase replay`).
  projections::view_settings view;

  // -- operations (routes_ops.cpp, routes_feed_stream.cpp) ---------------------
  /// GET /v1/stats, /v1/stats/series and the domain families of /metrics, and
  /// the runner that drives them (their position, waits, readiness); null: 503.
  stats_projection* stats = nullptr;
  projections::projection_runner* stats_runner = nullptr;
  /// Per-route counters for the RED metrics (the app sets [&server]{ return server.stats(); }).
  std::function<std::vector<route_stats_snapshot>()> http_stats;
  /// Projection positions for leadbase_projection_*; unset: the stats projection's own.
  std::function<std::vector<projection_progress>()> projections_progress;
  /// Provider figures for leadbase_provider_*; unset: leads->providers().
  std::function<std::vector<provider_status>()> providers;
  /// GET /v1/feed/stream subscribers at once; the next one gets 503 + Retry-After
  /// (read when the routes are made).
  std::size_t max_stream_subscribers = 1000;
  /// Further /metrics families from other modules, called on every scrape.
  std::vector<std::function<void(metrics_writer&)>> metrics_contributors;

  // -- projections (routes_queue.cpp, routes_projections.cpp) --------------------
  /// The current-view projection's runner and store; null: GET /v1/leads/{id}
  /// folds the stream per request and GET /v1/leads answers 503.
  projections::projection_runner* projections = nullptr;
  projections::lead_views* views = nullptr;
  /// The leads concurrent "claim next" calls hold (actors/claim_reservations.hpp);
  /// null: every lost race goes through the lead's actor (slower, still correct).
  actors::claim_reservations* claims = nullptr;

  // -- backups (routes_backups.cpp) ----------------------------------------------
  /// POST/GET /v1/admin/backups and leadbase_backup_*; null: 503 (figures 0).
  storage::backup_service* backups = nullptr;

  // -- alerts (routes_alerts.cpp) ------------------------------------------------
  /// What GET /v1/alerts remembers between evaluations (history, since); shared
  /// with the periodic evaluation (alert_watch).
  std::shared_ptr<alert_monitor> alerts = std::make_shared<alert_monitor>();
};

using readiness = ::leadbase::readiness;  // actors/health.hpp

/// POST /v1/signups, POST /v1/events (scope ingest).
void add_ingest_routes(router& r, api_context& ctx);
/// GET /v1/leads/{id} folded from the log when ctx.views is null (read);
/// history, state?as_of, replay, feed (audit).
void add_lead_routes(router& r, api_context& ctx);
/// POST /v1/leads/{id}/erase, POST /v1/leads/{id}/enrichment/retry (admin).
void add_admin_routes(router& r, api_context& ctx);
/// GET /metrics (metrics), GET /openapi.json (public).
void add_ops_routes(router& r, api_context& ctx);
/// The projections' progress rows /metrics and the alerts read
/// (ctx.projections_progress, else the stats projection's own).
std::vector<projection_progress> projection_rows(api_context& ctx);
/// A row's lag in seconds: its own, else the age of the oldest event it has
/// not applied (read from the log), 0 when caught up.
double projection_lag_seconds(const api_context& ctx, const projection_progress& row, millis now);
/// GET /v1/alerts (scope read): the alerting rules' conditions that hold now.
void add_alert_routes(router& r, api_context& ctx);
/// The server's figures for the alerts (alerts::figures) at `now`.
alerts::figures alert_figures(api_context& ctx, millis now);
/// Evaluates the alerts on the figures of now (ctx.alerts keeps their memory).
std::vector<alerts::active_alert> evaluate_alerts(api_context& ctx);

/// Evaluates the alerts every `interval` on a thread of its own, as Prometheus
/// evaluates its rules, so the windows and `since` hold between requests.
/// Create it once every figure's source runs (ctx.http_stats set); destroy it
/// before they go (it stops and joins its thread).
class alert_watch {
 public:
  alert_watch(api_context& ctx, std::chrono::milliseconds interval);
  ~alert_watch();
  alert_watch(const alert_watch&) = delete;
  alert_watch& operator=(const alert_watch&) = delete;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// GET /v1/stats, GET /v1/stats/series (read).
void add_stats_routes(router& r, api_context& ctx);
/// GET /v1/feed/stream (audit): Server-Sent Events.
void add_feed_stream_routes(router& r, api_context& ctx);

/// GET /v1/leads (the work queue and search) and, when ctx.views is set,
/// GET /v1/leads/{id} from the projection (scope read); both take min_position/wait_ms.
void add_queue_routes(router& r, api_context& ctx);
/// GET /v1/whoami (any token); POST /v1/queue/claim, POST /v1/leads/{id}/claim,
/// /release, /contacts (scope work; the acting person is the token's name).
void add_work_routes(router& r, api_context& ctx);
/// POST /v1/admin/projections/rebuild, GET /v1/admin/projections (scope admin).
void add_projection_routes(router& r, api_context& ctx);
/// POST /v1/admin/backups, GET /v1/admin/backups (scope admin).
void add_backup_routes(router& r, api_context& ctx);
/// leadbase_backup_* for /metrics (zeros without ctx.backups).
void render_backup_metrics(const api_context& ctx, metrics_writer& m);
/// For server_options::ready_check: ready once the log is open and can write
/// (event_log::write_failure), the write side's actors run (lead_service::failure)
/// and the projection is running within 5 s of the head, its pages not failing
/// for over 5 s. Damaged events it skipped leave it ready (the rest serves); they
/// are reported by GET /v1/admin/projections, /metrics and an alert. /readyz
/// needs no token, so the detail names only the kind of trouble, never a path
/// or a storage error's text: those are in the log and GET /v1/admin/status.
readiness projections_readiness(const api_context& ctx);
/// GET /v1/admin/status (scope admin): readiness with its details (the event
/// log's write error and failure history, the write side's failure).
void add_status_routes(router& r, api_context& ctx);
/// GET / (public): the web console (web/console.html) with a hash-based CSP.
void add_console_routes(router& r, api_context& ctx);
/// The console page, byte for byte web/console.html (embedded at build time,
/// cmake/embed_text.cmake).
std::string_view console_page() noexcept;

/// The OpenAPI 3.1 document served at GET /openapi.json: docs/openapi.json byte
/// for byte, followed by a NUL (embedded at build time, cmake/embed_text.cmake).
/// Hand-maintained next to docs/http-api.md; tests/http/openapi_test.cpp checks
/// that every route of the router is under `paths`, scripts/lint-openapi.sh lints it.
std::string_view openapi_document() noexcept;
/// The text of GET /metrics.
std::string render_metrics(api_context& ctx);

/// Every route of the API.
inline router make_api_router(api_context& ctx) {
  router r;
  add_ingest_routes(r, ctx);
  add_lead_routes(r, ctx);
  add_admin_routes(r, ctx);
  add_ops_routes(r, ctx);
  add_stats_routes(r, ctx);
  add_feed_stream_routes(r, ctx);
  add_queue_routes(r, ctx);
  add_work_routes(r, ctx);
  add_projection_routes(r, ctx);
  add_backup_routes(r, ctx);
  add_alert_routes(r, ctx);
  add_status_routes(r, ctx);
  add_console_routes(r, ctx);
  return r;
}

} // namespace leadbase::http
