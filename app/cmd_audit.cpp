// Offline audit commands: `leadbase replay` and `leadbase verify`. They open
// the data directory themselves, so they work while the server is stopped.
// verify checks, in one run: the global positions (no gap), every event's
// readability (a damaged one is named and the walk goes on), every lead's hash
// chain and head, then every projection row against a fresh fold of the log
// (projections/verify.hpp). replay is audit/'s replay, the same as
// GET /v1/leads/{id}/replay: the chain checked against the head, each state
// rendered with the config's view settings. Problems go to stderr, one line each naming the
// lead; the summary to stdout; exit 1 on any problem.
#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include <rocksdb/db.h>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/service_options.hpp"
#include "audit/lead_audit.hpp"
#include "events/json.hpp"
#include "events/time.hpp"
#include "projections/lead_views.hpp"
#include "projections/view_json.hpp"
#include "projections/verify.hpp"
#include "storage/event_log.hpp"
#include "storage/log_audit.hpp"

namespace leadbase::app {
namespace {

/// The log an audit reads, and the secondary instance's scratch dir (removed
/// with it) when a server is using the data dir.
struct audit_source {
  std::unique_ptr<storage::event_log> log;
  std::filesystem::path secondary_dir;
  audit_source() = default;
  audit_source(const audit_source&) = delete;
  audit_source& operator=(const audit_source&) = delete;
  ~audit_source() {
    log.reset();
    std::error_code ec;
    if (!secondary_dir.empty()) std::filesystem::remove_all(secondary_dir, ec);
  }
};

/// The config an audit reads: the file, or the built-in development config.
result<config> audit_config(const std::string& file) {
  return file.empty() ? parse_config(default_config_toml(), "built-in development config") : load_config(file);
}

/// cfg: [storage] (the data dir is `dir`, not the config's).
result<std::shared_ptr<audit_source>> open_existing(const std::string& dir, const config& cfg) {
  // An audit must not create an empty log where none is: that would hide a typo in --data.
  std::vector<std::string> families;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families).ok())
    return error{errc::not_found, "no event log in " + dir};
  auto src = std::make_shared<audit_source>();
  storage::log_options lo = log_options_from(cfg);
  lo.dir = dir;
  lo.sync = true;
  if (storage::data_dir_in_use(dir)) {
    // A server is writing it: read a consistent view as of now through a
    // RocksDB secondary instance instead of taking (and failing on) its lock.
    std::string tmpl = (std::filesystem::temp_directory_path() / "leadbase-audit-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return error{errc::internal, "cannot create a temporary directory"};
    src->secondary_dir = tmpl;
    lo.secondary_dir = tmpl;
    std::cerr << "note: a server is using " << dir << "; reading a consistent view of it as of now\n";
  }
  auto log = storage::event_log::open(lo);
  if (!log) return log.err();
  src->log = std::move(*log);
  return src;
}

} // namespace

int run_replay(const replay_args& args) {
  std::optional<millis> as_of;
  if (args.as_of) {
    as_of = parse_time(*args.as_of);
    if (!as_of) {
      std::cerr << "leadbase: --as-of: not an RFC 3339 time: " << *args.as_of << "\n";
      return 2;
    }
  }
  auto cfg = audit_config(args.config_file);
  if (!cfg) return fail(cfg.err().message);
  // The views as `serve` with this config renders them (GET /v1/leads/{id}/replay).
  const projections::view_settings view = view_settings_from(*cfg);
  auto log = open_existing(args.data_dir, *cfg);
  if (!log) return fail(log.err().message);
  auto lead = audit::read_lead(*(*log)->log, args.lead_id);
  if (!lead) {
    if (lead.err().code == errc::not_found) return fail("no lead " + args.lead_id + " in " + args.data_dir);
    return fail(lead.err().message);
  }
  // Before the first event there is nothing to replay: a failure, not an empty success.
  if (auto first = audit::first_recorded_at(*lead); as_of && first && *first > *as_of)
    return fail("no event of lead " + args.lead_id + " was recorded at or before " + *args.as_of +
                " (the first was recorded at " + format_time(*first) + ")");
  audit::replay(*lead, as_of, [&view](const storage::stored_event& e, const lead_state& s) {
    if (e.damaged()) {
      std::cout << "event " << e.ev.meta.version << " DAMAGED: " << e.damage << "\n";
      return;
    }
    std::cout << "event " << e.ev.meta.version << " " << to_string(e.ev.type()) << " at "
              << format_time(e.ev.meta.recorded_at) << "\n  data:  " << event_data_json(e.ev)
              << "\n  state: " << projections::view_json(s, view) << "\n";
  });
  if (lead->verdict.intact) {
    std::cout << "integrity: verified\n";
    return 0;
  }
  std::cout << "integrity: broken at version " << lead->verdict.first_bad_version << ": " << lead->verdict.problem
            << "\n";
  return 1;
}

int run_verify(const verify_args& args) {
  auto cfg = audit_config(args.config_file);
  if (!cfg) return fail(cfg.err().message);
  auto log = open_existing(args.data_dir, *cfg);
  if (!log) return fail(log.err().message);
  // The global log (no gap), every lead's chain and head.
  const auto audit = storage::audit_log(*(*log)->log);
  for (const auto& line : audit.reported) std::cerr << line << "\n";
  if (audit.problems > audit.reported.size())
    std::cerr << (audit.problems - audit.reported.size()) << " more problem(s) not listed\n";
  const uint64_t broken = audit.problems;
  std::cout << "verified " << audit.events << " events of " << audit.leads << " leads: "
            << (broken ? std::to_string(broken) + " problem(s)" : std::string("all chains intact")) << "\n";

  // Every projection row against a fresh fold, with the priority settings `serve` uses.
  projections::lead_views_options vo;
  vo.priority = cfg->priority;
  vo.rules_version = cfg->qualification.rules_version;
  projections::lead_views views(*(*log)->log, vo);
  projections::view_verify_options vopts;
  vopts.progress = [](uint64_t leads) { std::cerr << "projection check: " << leads << " leads ...\n"; };
  vopts.progress_every = 250000;
  auto report = projections::verify_lead_views(*(*log)->log, views, vopts);
  if (!report) {
    std::cerr << "projection " << views.name() << ": cannot be checked: " << report.err().message << "\n";
    return 1;
  }
  for (const auto& m : report->reported)
    std::cerr << "lead " << m.lead_id << ": projection " << views.name() << " " << projections::to_string(m.problem)
              << ": " << m.detail << "\n";
  if (report->mismatches > report->reported.size())
    std::cerr << "projection " << views.name() << ": " << (report->mismatches - report->reported.size())
              << " more mismatch(es) not listed\n";
  for (const auto& p : report->global_problems) std::cerr << "projection " << views.name() << ": " << p << "\n";
  std::cout << "projection " << views.name() << ": " << report->rows << " rows of " << report->leads
            << " leads checked against the log up to its position " << report->checkpoint << " (head "
            << report->head << "): "
            << (report->ok() ? std::string("all match")
                             : std::to_string(report->mismatches + report->global_problems.size()) + " problem(s)")
            << "\n";
  if (report->checkpoint < report->head)
    std::cout << "note: " << views.name() << " is " << (report->head - report->checkpoint)
              << " event(s) behind the log; serve (or rebuild) applies them\n";
  if (!report->fingerprint_matches)
    std::cout << "note: " << views.name() << " was built with other priority settings than "
              << (args.config_file.empty() ? std::string("the built-in config") : args.config_file)
              << "; serve with them rebuilds it\n";
  return broken || !report->ok() ? 1 : 0;
}

} // namespace leadbase::app
