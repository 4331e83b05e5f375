// leadbase: one executable, sub-commands (docs/cli.md).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string_view>

#include "app/commands.hpp"
#include "discovery/simulator.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"leadbase: signups from the Hotmart platform as sales leads with an auditable history"};
  // At most one sub-command; "none" is reported below, after CLI11 has named
  // an unknown option (with require_subcommand(1) it would only say that a
  // sub-command is required, hiding the typo).
  cli.require_subcommand(0, 1);
  cli.set_version_flag("--version", "leadbase 0.1.0");
  // --help shows each option's default (captured from the variable it fills).
  cli.option_defaults()->always_capture_default();

  leadbase::app::serve_args serve;
  std::string data_override, listen_override;
  auto* serve_cmd = cli.add_subcommand("serve", "run the service");
  serve_cmd->add_option("--config", serve.config_file, "TOML config file (default: the development config)");
  serve_cmd->add_option("--data", data_override, "data directory (default: the config's data_dir)");
  serve_cmd->add_option("--listen", listen_override, "HOST:PORT to listen on (default: the config's listen)");

  leadbase::discovery::simulator_options sim;
  auto* sim_cmd = cli.add_subcommand("simulate-discovery",
                                     "a local stand-in for the Instagram Graph API and YouTube Data API");
  sim_cmd->add_option("--listen", sim.listen, "HOST:PORT to listen on")->required()->default_str("");
  sim_cmd->add_option("--seed", sim.seed, "changes every generated profile");
  sim_cmd->add_option("--latency-ms", sim.latency_ms, "added before every answer");
  sim_cmd->add_option("--fail-rate", sim.fail_rate, "share of requests answered with a transient error")
      ->check(CLI::Range(0.0, 1.0));
  sim_cmd->add_option("--threads", sim.threads, "I/O threads");

  leadbase::app::replay_args replay;
  auto* replay_cmd = cli.add_subcommand("replay", "offline audit: each event of a lead and the state after it");
  replay_cmd->add_option("--data", replay.data_dir, "data directory")->required();
  replay_cmd->add_option("LEAD_ID", replay.lead_id, "the lead")->required();
  std::string as_of;
  replay_cmd->add_option("--as-of", as_of, "stop after the last event recorded at or before this RFC 3339 time");
  replay_cmd->add_option("--config", replay.config_file,
                         "TOML config file with the priority settings (default: the development config)");

  leadbase::app::verify_args verify;
  auto* verify_cmd = cli.add_subcommand(
      "verify", "check every lead's hash chain and every projection row against a fresh fold of the log "
                "(offline); non-zero exit on a mismatch");
  verify_cmd->add_option("--data", verify.data_dir, "data directory")->required();
  verify_cmd->add_option("--config", verify.config_file, "TOML config file with the priority settings");

  leadbase::app::import_args import;
  std::string import_data;
  auto* import_cmd = cli.add_subcommand("import", "bulk-load signups (one POST /v1/signups body a line) with a progress bar");
  import_cmd->add_option("--config", import.config_file, "TOML config file (default: the development config)");
  import_cmd->add_option("--data", import_data, "data directory (default: the config's data_dir)");
  import_cmd->add_option("--concurrency", import.concurrency, "appends in flight at most")->check(CLI::Range(1, 100000));
  import_cmd->add_flag("!--no-progress", import.progress, "no progress bar (default: drawn when stderr is a terminal)");
  import_cmd->add_option("FILE", import.input, "signups.jsonl, or - for stdin")->required();

  leadbase::app::rebuild_args rebuild;
  auto* rebuild_cmd = cli.add_subcommand("rebuild", "rebuild projections from the log (offline)");
  rebuild_cmd->add_option("--data", rebuild.data_dir, "data directory")->required();
  rebuild_cmd->add_option("--projection", rebuild.projection, "only this projection (lead_views)");
  rebuild_cmd->add_option("--config", rebuild.config_file, "TOML config file with the priority settings");

  leadbase::app::backup_args backup;
  auto* backup_cmd = cli.add_subcommand("backup", "a verified backup of a data dir no server is using "
                                                  "(a running server backs up with POST /v1/admin/backups)");
  backup_cmd->add_option("--data", backup.data_dir, "data directory")->required();
  backup_cmd->add_option("--to", backup.to, "backup root: the backup goes into TO/<id>")->required();

  leadbase::app::restore_args restore;
  uint64_t restore_id = 0;
  auto* restore_cmd = cli.add_subcommand("restore", "restore a backup into an empty data dir");
  restore_cmd->add_option("--from", restore.from, "backup root (the server's [backup] dir, or backup --to)")
      ->required();
  auto* restore_id_opt =
      restore_cmd->add_option("--backup-id", restore_id, "which backup (default: the newest verified one)");
  restore_cmd->add_option("--data", restore.data_dir, "the new data directory (must not exist or be empty)")
      ->required();

  // A first argument that is neither an option nor a sub-command is a
  // mistyped command: name it and the commands there are.
  if (argc > 1 && argv[1][0] != '-') {
    std::string_view first = argv[1];
    bool known = false;
    std::string names;
    for (const CLI::App* sub : cli.get_subcommands({})) {
      known = known || sub->get_name() == first;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "leadbase: unknown command '" << first << "' (commands: " << names
                << "; see leadbase --help)\n";
      return 2;
    }
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? 0 : 2;  // --help and --version exit 0; bad usage 2 (docs/cli.md)
  }
  if (cli.get_subcommands().empty()) {
    std::cerr << "leadbase: a command is required (see leadbase --help)\n";
    return 2;
  }
  if (*serve_cmd) {
    if (!data_override.empty()) serve.data_dir = data_override;
    if (!listen_override.empty()) serve.listen = listen_override;
    return leadbase::app::run_serve(serve);
  }
  if (*sim_cmd) return leadbase::discovery::run_simulator(sim);
  if (*replay_cmd) {
    if (!as_of.empty()) replay.as_of = as_of;
    return leadbase::app::run_replay(replay);
  }
  if (*verify_cmd) return leadbase::app::run_verify(verify);
  if (*rebuild_cmd) return leadbase::app::run_rebuild(rebuild);
  if (*backup_cmd) return leadbase::app::run_backup(backup);
  if (*restore_cmd) {
    if (restore_id_opt->count() > 0) restore.backup_id = restore_id;
    return leadbase::app::run_restore(restore);
  }
  if (*import_cmd) {
    if (!import_data.empty()) import.data_dir = import_data;
    return leadbase::app::run_import(import);
  }
  return 2;
}
