#pragma once
// The sub-commands of `leadbase` (docs/cli.md). Each returns the
// process exit code: 0 success, 1 failure (with a one-line reason on stderr),
// 2 bad usage.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace leadbase::app {

struct serve_args {
  std::string config_file;  // empty: the built-in development config
  std::optional<std::string> data_dir;
  std::optional<std::string> listen;
};
int run_serve(const serve_args& args);

struct replay_args {
  std::string data_dir;
  std::string lead_id;
  std::optional<std::string> as_of;
  std::string config_file;  // the view's priority settings, as `serve`; empty: the built-in development config
};
int run_replay(const replay_args& args);

struct verify_args {
  std::string data_dir;
  std::string config_file;  // priority settings, as `rebuild`; empty: the built-in development config
};
int run_verify(const verify_args& args);

struct import_args {
  std::string config_file;  // empty: the built-in development config
  std::optional<std::string> data_dir;
  std::string input;        // a JSONL file, or "-" for stdin
  size_t concurrency = 256; // appends in flight at most
  bool progress = true;     // the progress bar (drawn only when stderr is a terminal)
};
/// `leadbase import`: bulk-loads signups; exit 1 when any line was rejected.
int run_import(const import_args& args);

struct rebuild_args {
  std::string data_dir;
  std::string projection;   // empty: every projection
  std::string config_file;  // priority settings; empty: the built-in development config
};
/// `leadbase rebuild`: rebuilds projections from the log, offline, with a progress bar.
int run_rebuild(const rebuild_args& args);

struct backup_args {
  std::string data_dir;  // a data dir no server is using
  std::string to;        // the backup root: the backup goes into TO/<id>
};
/// `leadbase backup`: a verified backup of a stopped data dir.
int run_backup(const backup_args& args);

struct restore_args {
  std::string from;      // a backup root (the server's [backup] dir, or backup --to)
  std::optional<uint64_t> backup_id;  // default: the newest verified backup
  std::string data_dir;  // must not exist or be empty
};
/// `leadbase restore`: a backup into an empty data dir, audited afterwards.
int run_restore(const restore_args& args);

/// The one line for a data dir a running server uses (it holds its lock):
/// says so and names `online_way`, the HTTP call that does the job instead.
std::string in_use(const std::string& dir, const std::string& online_way);
/// The one line for a data dir that does not open: in_use() when the failure
/// is RocksDB's lock, else the error.
std::string open_failure(const std::string& dir, const std::string& message, const std::string& online_way);

/// Prints "leadbase: REASON" on stderr and returns 1.
int fail(const std::string& reason);

} // namespace leadbase::app
