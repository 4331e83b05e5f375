// `leadbase backup` and `leadbase restore` (docs/cli.md): the offline
// side of storage/backup.hpp. A running server backs up through
// POST /v1/admin/backups instead; both write the same layout, so `restore`
// takes either.
#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "events/time.hpp"
#include "storage/backup.hpp"
#include "storage/event_log.hpp"
#include "storage/log_audit.hpp"

namespace leadbase::app {

int run_backup(const backup_args& args) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(args.data_dir) / "CURRENT", ec))
    return fail("no event log in " + args.data_dir);
  if (storage::data_dir_in_use(args.data_dir))
    return fail(in_use(args.data_dir, "back it up online with POST /v1/admin/backups (scope admin)"));
  storage::log_options lo;
  lo.dir = args.data_dir;
  auto log = storage::event_log::open(lo);
  if (!log)
    return fail(open_failure(args.data_dir, log.err().message,
                             "back it up online with POST /v1/admin/backups (scope admin)"));
  auto taken = storage::create_backup(**log, args.to, now_millis());
  if (!taken) return fail("backup failed: " + taken.err().message);
  log->reset();
  auto checked = storage::verify_backup(args.to, taken->id);
  if (!checked) return fail("backup " + std::to_string(taken->id) + ": " + checked.err().message);
  if (!checked->verified)
    return fail("backup " + std::to_string(taken->id) + " failed verification: " + checked->problem);
  std::cout << "backup " << checked->id << " in " << args.to << ": events up to position " << checked->position
            << ", " << checked->size_bytes << " bytes, verified\n";
  return 0;
}

int run_restore(const restore_args& args) {
  if (storage::data_dir_in_use(args.data_dir))
    return fail(in_use(args.data_dir, "restore into a new dir, stop the server, then point its data_dir at that dir"));
  std::optional<uint64_t> id;
  if (args.backup_id) id = *args.backup_id;
  auto restored = storage::restore_backup(args.from, id, args.data_dir);
  if (!restored) return fail("restore failed: " + restored.err().message);
  // The result must pass the same audit `leadbase verify` starts with.
  storage::log_options lo;
  lo.dir = args.data_dir;
  auto log = storage::event_log::open(lo);
  if (!log) return fail("the restored data dir does not open: " + log.err().message);
  const auto report = storage::audit_log(**log, 1);
  if (!report.ok())
    return fail("the restored data dir fails its audit: " +
                (report.reported.empty() ? std::string("?") : report.reported.front()));
  std::cout << "restored backup " << restored->id << " (taken " << format_time(restored->created_at)
            << ", events up to position " << restored->position << ") into " << args.data_dir << "\n";
  return 0;
}

} // namespace leadbase::app
