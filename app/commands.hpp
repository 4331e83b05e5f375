#pragma once
// The sub-commands of `leadbase` (API.md, command line). Each returns the
// process exit code: 0 success, 1 failure (with a one-line reason on stderr),
// 2 bad usage.
#include <cstddef>
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

/// Prints "leadbase: REASON" on stderr and returns 1.
int fail(const std::string& reason);

} // namespace leadbase::app
