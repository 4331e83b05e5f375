#pragma once
// The Creator Discovery simulator as a child process for e2e tests, and the
// server's discovery config pointing at it. Shared by the pipeline and crash tests.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness.hpp"

namespace leadbase::e2e {


/// `leadbase simulate-discovery --listen 127.0.0.1:PORT [--latency-ms N] [--fail-rate X]` as a
/// child process (dies with the test process), output in a temp file.
class simulator_process {
 public:
  explicit simulator_process(uint32_t latency_ms = 0, double fail_rate = 0)
      : latency_ms_(latency_ms), fail_rate_(fail_rate) {
    log_ = std::filesystem::temp_directory_path() / ("leadbase-e2e-sim-" + unique_suffix() + ".log");
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt)  // a port taken in the meantime: another one
      if (try_start(why)) return;
    throw std::runtime_error(why);
  }
  ~simulator_process() {
    stop();
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  simulator_process(const simulator_process&) = delete;
  simulator_process& operator=(const simulator_process&) = delete;

  uint16_t port() const { return port_; }
  std::string output() const {
    std::ifstream in(log_, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  bool try_start(std::string& why) {
    port_ = free_port();
    std::vector<std::string> args{"simulate-discovery", "--listen", "127.0.0.1:" + std::to_string(port_), "--seed", "7"};
    if (latency_ms_ > 0) {
      args.push_back("--latency-ms");
      args.push_back(std::to_string(latency_ms_));
    }
    if (fail_rate_ > 0) {
      args.push_back("--fail-rate");
      args.push_back(std::to_string(fail_rate_));
    }
    const pid_t pid = spawn_leadbase(args, log_, log_);
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        why = "leadbase simulate-discovery exited before it listened; output:\n" + output();
        return false;
      }
      if (output().find("listening on") != std::string::npos) {
        // It says so once bound; make sure it answers too.
        http_client c(port_, std::chrono::seconds(2));
        auto r = c.try_request("GET", "/v21.0/1?fields=business_discovery.username(probe)%7Bfollowers_count%7D"
                                      "&access_token=t");
        if (r.status != 0) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    why = "leadbase simulate-discovery did not start within 20 s; output:\n" + output();
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {  // 5 s, then SIGKILL
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  uint32_t latency_ms_;
  double fail_rate_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

/// The server's Creator Discovery configuration against the simulator.
inline std::string discovery_toml(uint16_t sim_port, uint32_t timeout_ms, int max_attempts) {
  const std::string base = "http://127.0.0.1:" + std::to_string(sim_port);
  return "[discovery.instagram]\n"
         "base_url = \"" + base + "/v21.0\"\n"
         "ig_user_id = \"17841400000000000\"\n"
         "access_token = \"e2e-simulator-token\"\n"
         "timeout_ms = " + std::to_string(timeout_ms) + "\n"
         "max_in_flight = 32\n"
         "\n[discovery.youtube]\n"
         "base_url = \"" + base + "/youtube/v3\"\n"
         "api_key = \"k\"\n"
         "timeout_ms = " + std::to_string(timeout_ms) + "\n"
         "max_in_flight = 32\n"
         "\n[discovery.retry]\n"
         "base_ms = 5\n"
         "cap_ms = 50\n"
         "max_attempts = " + std::to_string(max_attempts) + "\n"
         "\n[discovery.breaker]\n"
         "open_ms = 200\n";
}

}  // namespace leadbase::e2e
