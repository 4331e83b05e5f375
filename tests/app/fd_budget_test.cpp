// The descriptor budget of `serve` (app/fd_budget.hpp): the event log's share,
// the providers', the process's and the refusals' come first; connections get
// what is left, and a max_connections that does not fit is refused naming the key.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/fd_budget.hpp"

using namespace leadbase;
using namespace leadbase::app;

TEST_CASE("the descriptor budget gives connections what the event log, providers and process leave",
          "[app][fds]") {
  fd_needs n;
  n.limit = 20000;
  n.max_connections = 10000;
  n.io_threads = 2;
  n.max_open_files = 512;
  n.provider_connections = 64;
  auto b = plan_fds(n);
  REQUIRE(b);
  CHECK(b->event_log == 512 + event_log_overhead + log_reserve);
  CHECK(b->providers == 64);
  CHECK(b->process == process_overhead + 4);
  CHECK(b->refusals == refusal_reserve);
  CHECK(b->connections == 20000 - b->event_log - b->providers - b->process - b->refusals);
  CHECK(b->event_log + b->providers + b->process + b->refusals + b->connections == n.limit);

  n.max_connections = b->connections;  // exactly fits
  CHECK(plan_fds(n));
}

TEST_CASE("a max_connections the descriptor limit cannot hold is refused, naming the key and the numbers",
          "[app][fds]") {
  fd_needs n;
  n.limit = 1024;  // the common soft limit
  n.max_connections = 1100;
  n.max_open_files = 512;
  n.provider_connections = 32;
  auto b = plan_fds(n);
  REQUIRE_FALSE(b);
  CHECK(b.err().code == errc::validation);
  const std::string& m = b.err().message;
  CHECK(m.rfind("config: limits.max_connections: 1100 connections do not fit in the 1024 file descriptors", 0) == 0);
  CHECK(m.find("at most 220 connections fit") != std::string::npos);  // 1024 - 640 - 32 - 68 - 64
  CHECK(m.find('\n') == std::string::npos);

  n.limit = 100;  // not even the event log fits
  b = plan_fds(n);
  REQUIRE_FALSE(b);
  CHECK(b.err().message.find("at most 0 connections fit") != std::string::npos);
}

TEST_CASE("start-up raises the soft descriptor limit to the hard limit", "[app][fds]") {
  // In a child, so the test process keeps its own limits.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max < 2048) ::_exit(10);
    rl.rlim_cur = 1024;
    rl.rlim_max = 2048;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(11);
    auto raised = raise_fd_limit();
    if (!raised) ::_exit(12);
    if (raised->before != 1024 || raised->soft != 2048 || raised->hard != 2048) ::_exit(13);
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur != 2048) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
