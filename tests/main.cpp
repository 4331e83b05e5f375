// One Catch2 main for each test binary; the test files hold only TEST_CASEs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

int main(int argc, char* argv[]) {
  // Quiet by default; SPDLOG_LEVEL=debug (or storage=debug,...) for more.
  spdlog::set_level(spdlog::level::warn);
  spdlog::cfg::load_env_levels();
  return Catch::Session().run(argc, argv);
}
