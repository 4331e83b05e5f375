// `leadbase serve`: opens the log, starts the lead actors and the HTTP API,
// and runs until SIGINT/SIGTERM. Shutdown order: stop taking requests and
// finish the ones in flight (server), then the actors, then the log.
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>

#include "actors/claim_reservations.hpp"
#include "actors/service.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/fd_budget.hpp"
#include "app/service_options.hpp"
#include "events/logging.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "projections/bulk_rebuild.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"
#include "storage/backup_service.hpp"

namespace leadbase::app {

int fail(const std::string& reason) {
  std::cerr << "leadbase: " << reason << "\n";
  return 1;
}

namespace {

result<config> load(const serve_args& args) {
  if (args.config_file.empty()) return parse_config(default_config_toml(), "built-in development config");
  return load_config(args.config_file);
}

} // namespace

int run_serve(const serve_args& args) {
  auto cfg = load(args);
  if (!cfg) return fail(cfg.err().message);
  if (args.data_dir) cfg->data_dir = *args.data_dir;
  if (args.listen) {
    auto addr = parse_listen(*args.listen);
    if (!addr) {
      std::cerr << "leadbase: --listen: " << addr.err().message << "\n";
      return 2;
    }
    cfg->listen_host = addr->host;
    cfg->listen_port = addr->port;
  }
  if (auto s = validate_for_serve(*cfg); !s) return fail(s.err().message);

  // Descriptors: as many as the hard limit allows, shared out so that
  // connections cannot take what the event log needs (app/fd_budget.hpp).
  auto fds = raise_fd_limit();
  if (!fds) return fail(fds.err().message);
  fd_needs needs;
  needs.limit = fds->soft;
  needs.max_connections = cfg->limits.max_connections;
  needs.io_threads = cfg->limits.io_threads;
  needs.max_open_files = cfg->storage.max_open_files;
  if (cfg->discovery.instagram) needs.provider_connections += cfg->discovery.instagram->max_in_flight;
  if (cfg->discovery.youtube) needs.provider_connections += cfg->discovery.youtube->max_in_flight;
  auto budget = plan_fds(needs);
  if (!budget) return fail(budget.err().message);

  spdlog::set_level(spdlog::level::from_str(cfg->log.level));
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL wins over the file
  auto log = module_logger("app");
  if (args.config_file.empty())
    log->warn("no --config: using the built-in development config and its well-known dev tokens");
  log->info("file descriptors: limit {} (was {}, hard {}): event log {}, providers {}, process {}, refusals {}; "
            "{} connections allowed, room for {}",
            fds->soft, fds->before, fds->hard, budget->event_log, budget->providers, budget->process,
            budget->refusals, cfg->limits.max_connections, budget->connections);

  auto event_log = storage::event_log::open(log_options_from(*cfg));
  if (!event_log) return fail("cannot open the event log in " + cfg->data_dir + ": " + event_log.err().message);

  // The projections come first: they only read the log, and the commit
  // listener that wakes them must be set before the lead service writes.
  // Destroyed in reverse order, so on every path the lead service (the only
  // writer, the listener's caller) is gone before they are.

  // GET /v1/stats, /v1/stats/series and the domain metrics: a persistent
  // projection with its own runner (built whole at the first start on a data
  // dir without it, projections/stats_projection.hpp).
  stats_options sto;
  sto.priority = cfg->priority;
  sto.rules_version = cfg->qualification.rules_version;
  stats_projection stats(**event_log, sto, log_state_loader(**event_log));
  auto stats_runner = projections::projection_runner::open(**event_log, stats, with_stats_rebuild(stats));
  if (!stats_runner) return fail("cannot open the stats projection: " + stats_runner.err().message);
  if (auto s = (*stats_runner)->start(); !s) return fail("cannot start the stats projection: " + s.err().message);

  // GET /v1/leads and /v1/leads/{id}: the current-view projection, on its own thread.
  projections::lead_views_options vo;
  vo.priority = cfg->priority;
  vo.rules_version = cfg->qualification.rules_version;
  projections::lead_views views(**event_log, vo);
  // A rebuild (online, or at start-up when the settings changed) is built
  // beside the serving projection and swapped in atomically (bulk_rebuild.hpp).
  if (auto s = projections::discard_unfinished_rebuild(**event_log); !s) return fail(s.err().message);
  auto runner =
      projections::projection_runner::open(**event_log, views, projections::with_bulk_rebuild(**event_log, views));
  if (!runner) return fail("cannot open the projections: " + runner.err().message);
  if (auto s = (*runner)->start(); !s) return fail("cannot start the projections: " + s.err().message);

  // Every commit wakes both runners at once; their polls stay as the fallback.
  // Called on the journal's thread: notify() only takes a mutex for a moment.
  projections::projection_runner* views_runner = runner->get();
  projections::projection_runner* stats_tail = stats_runner->get();
  (*event_log)->set_commit_listener([views_runner, stats_tail](global_position) {
    views_runner->notify();
    stats_tail->notify();
  });

  // An erasure answers once these views dropped the lead's personal data.
  auto started = actors::start_lead_service(**event_log, service_options_from(*cfg), {views_runner, &views});
  if (!started) return fail("cannot start: " + started.err().message);
  auto leads = std::move(*started);

  // POST /v1/admin/backups: one at a time, on its own thread; waits for a
  // backup in progress when it goes (before the log closes).
  storage::backup_service backups(**event_log, cfg->backup.dir, cfg->backup.keep);

  http::api_context ctx;
  ctx.backups = &backups;
  ctx.leads = leads.get();
  ctx.log = event_log->get();
  ctx.view = view_settings_from(*cfg);
  ctx.stats = &stats;
  ctx.stats_runner = stats_tail;
  ctx.projections = runner->get();
  ctx.views = &views;
  actors::claim_reservations claims;
  ctx.claims = &claims;
  ctx.max_stream_subscribers = cfg->limits.max_stream_subscribers;
  // /metrics: leadbase_projection_* for both projections (position, head, lag)
  // and leadbase_damaged_events (events each skipped as unreadable).
  ctx.projections_progress = [stats_tail, views_runner] {
    std::vector<http::projection_progress> rows;
    for (auto* r : {stats_tail, views_runner}) {
      const projections::runner_info info = r->info();
      rows.push_back({info.name, info.position, info.head, info.lag_seconds, info.damaged_events});
    }
    return rows;
  };

  std::vector<http::token_entry> entries;
  for (const auto& t : cfg->tokens)
    entries.push_back(http::token_entry{t.name, t.token, std::vector<std::string>(t.scopes.begin(), t.scopes.end())});
  auto tokens = http::token_table::from_entries(entries);
  if (!tokens) return fail(tokens.err().message);

  http::server_options ho;
  ho.host = cfg->listen_host;
  ho.port = cfg->listen_port;
  ho.io_threads = cfg->limits.io_threads;
  ho.max_connections = cfg->limits.max_connections;
  ho.header_timeout = std::chrono::milliseconds(cfg->limits.header_timeout_ms);
  ho.idle_timeout = std::chrono::milliseconds(cfg->limits.idle_timeout_ms);
  ho.max_body_bytes_in_flight = cfg->limits.max_body_bytes_in_flight;
  ho.max_output_bytes_in_flight = cfg->limits.max_output_bytes_in_flight;
  ho.ready_check = [&ctx] { return http::projections_readiness(ctx); };
  {
    http::server server(ho, http::make_api_router(ctx), std::move(*tokens));
    ctx.http_stats = [&server] { return server.stats(); };
    // GET /v1/alerts: the rules evaluated every 15 s, as Prometheus would (stops before the server goes).
    http::alert_watch alerts(ctx, std::chrono::seconds(15));
    log->info("starting on {}:{} (data {}, sync {})", cfg->listen_host, cfg->listen_port, cfg->data_dir, cfg->sync);
    // Blocks until SIGINT/SIGTERM, then finishes the requests in flight.
    if (auto s = server.run(); !s)
      return fail("cannot serve on " + cfg->listen_host + ":" + std::to_string(cfg->listen_port) + ": " +
                  s.err().message);
  }
  ctx.http_stats = nullptr;
  (*stats_runner)->stop();
  (*runner)->stop();
  backups.wait_idle();
  log->info("HTTP stopped; stopping actors");
  leads.reset();
  (*event_log)->set_commit_listener({});  // no writer is left
  views.end_walks();  // their snapshots must be released before the log closes
  event_log->reset();
  log->info("bye");
  return 0;
}

} // namespace leadbase::app
