// The watchdog over the write side's core actors, on an actor system the test
// owns: which actor stopped is recorded once, and an orderly stop is none.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <caf/all.hpp>

#include "actors/watchdog.hpp"

using namespace leadbase;

namespace {

caf::behavior idle_actor() {
  return {[](int) {}};
}

bool wait_for_failure(const actors::core_failure& f) {
  for (int i = 0; i < 250; ++i) {
    {
      std::lock_guard<std::mutex> lock(f.mutex);
      if (f.why) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

} // namespace

TEST_CASE("the watchdog records the first core actor that stops", "[actors][failure]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto journal = sys.spawn(idle_actor);
  auto registry = sys.spawn(idle_actor);
  auto failure = std::make_shared<actors::core_failure>();
  auto dog = actors::spawn_watchdog(sys, {{"journal", journal}, {"registry", registry}}, failure);
  caf::anon_send_exit(registry, caf::exit_reason::unhandled_exception);
  REQUIRE(wait_for_failure(*failure));
  caf::anon_send_exit(journal, caf::exit_reason::unhandled_exception);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(failure->mutex);
    CHECK(failure->why->find("the registry actor stopped") == 0);  // the first one only
  }
  caf::anon_send_exit(dog, caf::exit_reason::user_shutdown);
}

TEST_CASE("the watchdog ignores the service's own stop", "[actors][failure]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto journal = sys.spawn(idle_actor);
  auto failure = std::make_shared<actors::core_failure>();
  auto dog = actors::spawn_watchdog(sys, {{"journal", journal}}, failure);
  failure->stopping = true;
  caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    std::lock_guard<std::mutex> lock(failure->mutex);
    CHECK_FALSE(failure->why);
  }
  caf::anon_send_exit(dog, caf::exit_reason::user_shutdown);
}
