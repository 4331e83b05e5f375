// File descriptors at start-up (app/fd_budget.hpp), with the real binary: the
// soft RLIMIT_NOFILE is raised to the hard limit, and a limits.max_connections
// that the hard limit cannot hold next to the event log stops start-up with
// one line naming the key.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;
namespace fs = std::filesystem;

namespace {

/// "Max open files" soft and hard of a running process, from /proc.
std::pair<std::string, std::string> open_files_limit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("serve raises its soft descriptor limit to the hard limit", "[e2e][fds]") {
  rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 12000) {
    WARN("skipped: the hard descriptor limit " << before.rlim_max << " is below what the default config needs");
    return;
  }
  rlimit lowered = before;
  lowered.rlim_cur = 1024;  // the common default: the child inherits it
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  server_process srv;
  try {
    srv.start();
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &before);
    throw;
  }
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &before) == 0);
  const auto [soft, hard] = open_files_limit(srv.pid());
  CHECK(soft == hard);
  CHECK(soft != "1024");
  CHECK(srv.client().post_json("/v1/signups", signup_body("fd-e-1", "fd-lead-1"), ingest_token).status == 202);
  CHECK(srv.stop() == 0);
}

TEST_CASE("serve refuses a max_connections its descriptor limit cannot hold, naming limits.max_connections",
          "[e2e][fds]") {
  const fs::path dir = fs::temp_directory_path() / ("leadbase-e2e-fds-" + unique_suffix());
  fs::create_directories(dir);
  const fs::path err = dir / "stderr";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit rl{1024, 1024};  // a hard limit of 1024: the built-in config's 10000 connections cannot fit
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(100);
    const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ::_exit(101);
    ::dup2(fd, 2);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    const std::string data = (dir / "data").string(), listen = "127.0.0.1:" + std::to_string(free_port());
    ::execl(LEADBASE_BIN, LEADBASE_BIN, "serve", "--data", data.c_str(), "--listen", listen.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(102);
  }
  int status = 0;
  for (int i = 0; i < 600 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("serve did not stop under a hard limit of 1024 descriptors");
  }
  const std::string text = slurp(err);
  const bool log_opened = fs::exists(dir / "data");
  std::error_code ec;
  fs::remove_all(dir, ec);
  INFO(text);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(text.rfind("leadbase: config: limits.max_connections: 10000 connections do not fit in the 1024 file "
                   "descriptors",
                   0) == 0);
  CHECK(text.find('\n') == text.size() - 1);  // one line
  CHECK_FALSE(log_opened);                    // refused before the log was opened
}
