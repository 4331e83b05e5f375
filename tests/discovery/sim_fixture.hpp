#pragma once
// Shared by the discovery tests: a simulator on 127.0.0.1 (port 0) and a
// blocking wrapper around provider::fetch, with a generous cap so a broken
// client fails the test instead of hanging it.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "discovery/provider.hpp"
#include "discovery/simulator.hpp"

namespace leadbase::discovery::test {

inline simulator_options loopback_options(uint64_t seed = 7) {
  simulator_options o;
  o.listen = "127.0.0.1:0";
  o.seed = seed;
  return o;
}

/// Starts a simulator or fails the test.
inline std::unique_ptr<simulator> start_simulator(simulator_options o = loopback_options()) {
  auto sim = std::make_unique<simulator>(std::move(o));
  auto st = sim->start();
  INFO((st ? std::string() : st.err().message));
  REQUIRE(st.ok());
  REQUIRE(sim->port() != 0);
  return sim;
}

inline fetch_result fetch_sync(provider& p, const std::string& handle) {
  auto promise = std::make_shared<std::promise<fetch_result>>();
  auto future = promise->get_future();
  p.fetch(handle, [promise](fetch_result r) { promise->set_value(std::move(r)); });
  REQUIRE(future.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  return future.get();
}

/// The failure of a fetch that must fail.
inline failure fetch_failure(provider& p, const std::string& handle) {
  auto r = fetch_sync(p, handle);
  INFO("handle " << handle);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

} // namespace leadbase::discovery::test
