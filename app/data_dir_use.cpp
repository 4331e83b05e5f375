// The one line every command that must write into a data dir says when a
// running server is using it, naming the HTTP call that does the job instead
// (docs/cli.md: rebuild, import, restore, backup).
#include <filesystem>

#include "app/commands.hpp"

namespace leadbase::app {

std::string in_use(const std::string& dir, const std::string& online_way) {
  return "the data dir " + dir + " is in use by a running server (it holds " +
         (std::filesystem::path(dir) / "LOCK").string() + "); " + online_way;
}

std::string open_failure(const std::string& dir, const std::string& message, const std::string& online_way) {
  // RocksDB: "IO error: While lock file: DIR/LOCK: Resource temporarily unavailable"
  // (a server took the lock after data_dir_in_use looked).
  if (message.find("lock file") != std::string::npos) return in_use(dir, online_way);
  return "cannot open the event log in " + dir + ": " + message;
}

} // namespace leadbase::app
