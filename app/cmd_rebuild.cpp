// `leadbase rebuild --data DIR [--projection NAME] [--config FILE]`: rebuilds
// projections from the log, offline (the server must be stopped: RocksDB locks
// the data dir), with a progress bar on stderr. The priority settings come from
// the config file (default: the built-in one, as `serve` without --config), so
// the rebuilt projection's fingerprint matches what `serve` expects.
// lead_views is rebuilt in bulk (projections/bulk_rebuild.hpp: one pass over
// the log in key order, table files ingested with the checkpoint), not page by
// page; the bar shows the events folded so far out of the log's last position,
// and reaches 100% once the files are in. The new projection replaces the
// old one in one atomic step: a crash or a failure leaves the old one as it was.
// The stats are rebuilt after them the same way (projections/stats_projection.hpp:
// one scan in lead order into the other key generation, then one switch).
#include <iostream>

#include "app/commands.hpp"
#include "app/service_options.hpp"
#include "app/config.hpp"
#include "projections/bulk_rebuild.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"
#include "storage/event_log.hpp"

namespace leadbase::app {
namespace {

/// "\r[#####     ] 42%" on stderr, redrawn when the percentage changes.
class progress_bar {
 public:
  void update(global_position pos, global_position head) {
    const int pct = head == 0 ? 100 : static_cast<int>(pos * 100 / head);
    if (pct == last_) return;
    last_ = pct;
    constexpr int width = 30;
    const int filled = pct * width / 100;
    std::cerr << "\r[" << std::string(static_cast<size_t>(filled), '#')
              << std::string(static_cast<size_t>(width - filled), ' ') << "] " << pct << "% (" << pos << "/" << head
              << ")" << std::flush;
  }
  void done() const {
    if (last_ >= 0) std::cerr << "\n";
  }

 private:
  int last_ = -1;
};

} // namespace

int run_rebuild(const rebuild_args& args) {
  auto cfg = args.config_file.empty() ? parse_config(default_config_toml(), "built-in development config")
                                      : load_config(args.config_file);
  if (!cfg) return fail(cfg.err().message);
  projections::lead_views_options vo;
  vo.priority = cfg->priority;
  vo.rules_version = cfg->qualification.rules_version;

  storage::log_options lo = log_options_from(*cfg);
  lo.dir = args.data_dir;
  lo.sync = true;
  if (storage::data_dir_in_use(args.data_dir))
    return fail(in_use(args.data_dir, "rebuild online with POST /v1/admin/projections/rebuild (scope admin)"));
  auto log = storage::event_log::open(lo);
  if (!log) return fail(open_failure(args.data_dir, log.err().message,
                                     "rebuild online with POST /v1/admin/projections/rebuild (scope admin)"));
  projections::lead_views views(**log, vo);
  stats_options so;
  so.priority = cfg->priority;
  so.rules_version = cfg->qualification.rules_version;
  stats_projection stats(**log, so, log_state_loader(**log));
  if (!args.projection.empty() && args.projection != views.name() && args.projection != stats.name()) {
    std::cerr << "leadbase: --projection: no projection called " << args.projection << " (there are "
              << views.name() << " and " << stats.name() << ")\n";
    return 2;
  }
  if (auto s = projections::discard_unfinished_rebuild(**log); !s) return fail(s.err().message);
  struct target {
    projections::projection& proj;
    projections::runner_options opts;
  };
  for (const target& t : {target{views, projections::with_bulk_rebuild(**log, views)},
                          target{stats, with_stats_rebuild(stats)}}) {
    if (!args.projection.empty() && args.projection != t.proj.name()) continue;
    auto runner = projections::projection_runner::open(**log, t.proj, t.opts);
    if (!runner) return fail(runner.err().message);
    std::cerr << "rebuilding " << t.proj.name() << "\n";
    progress_bar bar;
    auto s = (*runner)->rebuild_offline([&bar](global_position p, global_position h) { bar.update(p, h); });
    bar.done();
    if (!s) return fail("rebuild of " + t.proj.name() + " failed: " + s.err().message);
    std::cerr << t.proj.name() << " rebuilt to position " << (*runner)->position() << "\n";
  }
  return 0;
}

} // namespace leadbase::app
