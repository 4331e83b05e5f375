// `leadbase serve`: opens the log, starts the lead actors and the HTTP API,
// and runs until SIGINT/SIGTERM. Shutdown order: stop taking requests and
// finish the ones in flight (server), then the actors, then the log.
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <functional>
#include <optional>
#include <variant>
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

/// The config file with the command line's overrides, checked for serving;
/// on failure, the exit code (2 for a malformed --listen, as for any usage error).
std::variant<config, int> resolve_config(const serve_args& args) {
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
  return std::move(*cfg);
}

/// Descriptors: as many as the hard limit allows, shared out so that
/// connections cannot take what the event log needs (app/fd_budget.hpp).
result<fd_budget> plan_descriptors(const config& cfg, spdlog::logger& log) {
  auto fds = raise_fd_limit();
  if (!fds) return fds.err();
  fd_needs needs;
  needs.limit = fds->soft;
  needs.max_connections = cfg.limits.max_connections;
  needs.io_threads = cfg.limits.io_threads;
  needs.max_open_files = cfg.storage.max_open_files;
  if (cfg.discovery.instagram) needs.provider_connections += cfg.discovery.instagram->max_in_flight;
  if (cfg.discovery.youtube) needs.provider_connections += cfg.discovery.youtube->max_in_flight;
  auto budget = plan_fds(needs);
  if (!budget) return budget.err();
  log.info("file descriptors: limit {} (was {}, hard {}): event log {}, providers {}, process {}, refusals {}; "
           "{} connections allowed, room for {}",
           fds->soft, fds->before, fds->hard, budget->event_log, budget->providers, budget->process,
           budget->refusals, cfg.limits.max_connections, budget->connections);
  return budget;
}

/// The read side: the stats and the lead views projections with their
/// runners, both caught up by their own threads. Members go in reverse order:
/// the runners before the projections they drive.
struct read_side {
  read_side(storage::event_log& log, const stats_options& sto, const projections::lead_views_options& vo)
      : stats(log, sto, log_state_loader(log)), views(log, vo) {}
  stats_projection stats;
  projections::lead_views views;
  std::unique_ptr<projections::projection_runner> stats_runner;
  std::unique_ptr<projections::projection_runner> views_runner;
};

result<std::unique_ptr<read_side>> start_read_side(storage::event_log& log, const config& cfg) {
  stats_options sto;
  sto.priority = cfg.priority;
  sto.rules_version = cfg.qualification.rules_version;
  projections::lead_views_options vo;
  vo.priority = cfg.priority;
  vo.rules_version = cfg.qualification.rules_version;
  auto read = std::make_unique<read_side>(log, sto, vo);

  // GET /v1/stats, /v1/stats/series and the domain metrics: a persistent
  // projection with its own runner (built whole at the first start on a data
  // dir without it, projections/stats_projection.hpp).
  auto stats_runner = projections::projection_runner::open(log, read->stats, with_stats_rebuild(read->stats));
  if (!stats_runner) return error{stats_runner.err().code, "cannot open the stats projection: " + stats_runner.err().message};
  read->stats_runner = std::move(*stats_runner);
  if (auto s = read->stats_runner->start(); !s)
    return error{s.err().code, "cannot start the stats projection: " + s.err().message};

  // GET /v1/leads and /v1/leads/{id}: the current-view projection, on its own
  // thread. A rebuild (online, or at start-up when the settings changed) is
  // built beside the serving projection and swapped in atomically (bulk_rebuild.hpp).
  if (auto s = projections::discard_unfinished_rebuild(log); !s) return s.err();
  auto runner = projections::projection_runner::open(log, read->views, projections::with_bulk_rebuild(log, read->views));
  if (!runner) return error{runner.err().code, "cannot open the projections: " + runner.err().message};
  read->views_runner = std::move(*runner);
  if (auto s = read->views_runner->start(); !s)
    return error{s.err().code, "cannot start the projections: " + s.err().message};

  // Every commit wakes both runners at once; their polls stay as the fallback.
  // Called on the journal's thread: notify() only takes a mutex for a moment.
  log.set_commit_listener([v = read->views_runner.get(), st = read->stats_runner.get()](global_position) {
    v->notify();
    st->notify();
  });
  return read;
}

http::server_options server_options_from(const config& cfg) {
  http::server_options ho;
  ho.host = cfg.listen_host;
  ho.port = cfg.listen_port;
  ho.io_threads = cfg.limits.io_threads;
  ho.max_connections = cfg.limits.max_connections;
  ho.header_timeout = std::chrono::milliseconds(cfg.limits.header_timeout_ms);
  ho.idle_timeout = std::chrono::milliseconds(cfg.limits.idle_timeout_ms);
  ho.max_body_bytes_in_flight = cfg.limits.max_body_bytes_in_flight;
  ho.max_output_bytes_in_flight = cfg.limits.max_output_bytes_in_flight;
  return ho;
}

result<http::token_table> tokens_from(const config& cfg) {
  std::vector<http::token_entry> entries;
  for (const auto& t : cfg.tokens)
    entries.push_back(http::token_entry{t.name, t.token, std::vector<std::string>(t.scopes.begin(), t.scopes.end())});
  return http::token_table::from_entries(entries);
}

/// /metrics: leadbase_projection_* for both projections (position, head, lag)
/// and leadbase_damaged_events (events each skipped as unreadable).
std::function<std::vector<http::projection_progress>()> progress_of(projections::projection_runner* stats_tail,
                                                                     projections::projection_runner* views_runner) {
  return [stats_tail, views_runner] {
    std::vector<http::projection_progress> rows;
    for (auto* r : {stats_tail, views_runner}) {
      const projections::runner_info info = r->info();
      rows.push_back({info.name, info.position, info.head, info.lag_seconds, info.damaged_events});
    }
    return rows;
  };
}

/// Serves until SIGINT/SIGTERM, then finishes the requests in flight.
int serve_http(const config& cfg, http::api_context& ctx, http::token_table tokens, spdlog::logger& log) {
  http::server_options ho = server_options_from(cfg);
  ho.ready_check = [&ctx] { return http::projections_readiness(ctx); };
  http::server server(ho, http::make_api_router(ctx), std::move(tokens));
  ctx.http_stats = [&server] { return server.stats(); };
  // GET /v1/alerts: the rules evaluated every 15 s, as Prometheus would (stops before the server goes).
  http::alert_watch alerts(ctx, std::chrono::seconds(15));
  log.info("starting on {}:{} (data {}, sync {})", cfg.listen_host, cfg.listen_port, cfg.data_dir, cfg.sync);
  auto s = server.run();
  ctx.http_stats = nullptr;
  if (!s)
    return fail("cannot serve on " + cfg.listen_host + ":" + std::to_string(cfg.listen_port) + ": " +
                s.err().message);
  return 0;
}

} // namespace

int run_serve(const serve_args& args) {
  auto resolved = resolve_config(args);
  if (auto* code = std::get_if<int>(&resolved)) return *code;
  const config& cfg = std::get<config>(resolved);

  spdlog::set_level(spdlog::level::from_str(cfg.log.level));
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL wins over the file
  auto log = module_logger("app");
  if (args.config_file.empty())
    log->warn("no --config: using the built-in development config and its well-known dev tokens");
  if (auto budget = plan_descriptors(cfg, *log); !budget) return fail(budget.err().message);
  auto tokens = tokens_from(cfg);
  if (!tokens) return fail(tokens.err().message);

  auto event_log = storage::event_log::open(log_options_from(cfg));
  if (!event_log) return fail("cannot open the event log in " + cfg.data_dir + ": " + event_log.err().message);

  // The projections come first: they only read the log, and the commit
  // listener that wakes them must be set before the lead service writes.
  // Destroyed in reverse order, so on every path the lead service (the only
  // writer, the listener's caller) is gone before they are.
  auto read = start_read_side(**event_log, cfg);
  if (!read) return fail(read.err().message);
  projections::projection_runner* views_runner = (*read)->views_runner.get();
  projections::projection_runner* stats_tail = (*read)->stats_runner.get();
  projections::lead_views& views = (*read)->views;

  // An erasure answers once these views dropped the lead's personal data.
  auto started = actors::start_lead_service(**event_log, service_options_from(cfg), {views_runner, &views});
  if (!started) return fail("cannot start: " + started.err().message);
  auto leads = std::move(*started);

  // POST /v1/admin/backups: one at a time, on its own thread; waits for a
  // backup in progress when it goes (before the log closes).
  storage::backup_service backups(**event_log, cfg.backup.dir, cfg.backup.keep);

  http::api_context ctx;
  ctx.backups = &backups;
  ctx.leads = leads.get();
  ctx.log = event_log->get();
  ctx.view = view_settings_from(cfg);
  ctx.stats = &(*read)->stats;
  ctx.stats_runner = stats_tail;
  ctx.projections = views_runner;
  ctx.views = &views;
  actors::claim_reservations claims;
  ctx.claims = &claims;
  ctx.max_stream_subscribers = cfg.limits.max_stream_subscribers;
  ctx.projections_progress = progress_of(stats_tail, views_runner);

  const int code = serve_http(cfg, ctx, std::move(*tokens), *log);
  if (code != 0) return code;
  stats_tail->stop();
  views_runner->stop();
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
