#pragma once
// What the simulator answers, as pure functions of the request target, the
// seed and the handle's request count. Kept apart from the Beast server in
// simulator.cpp so the answers are cheap to compile and easy to test.
// Internal to discovery/: the public face is simulator.hpp.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "events/event.hpp"

namespace leadbase::discovery {

/// A routed provider call.
struct sim_request {
  leadbase::network network = leadbase::network::instagram;  ///< instagram or youtube
  std::string handle;      ///< without '@'
  std::string ig_user_id;  ///< Instagram only: the path's last segment
  uint32_t media_limit = 25;
};

/// One HTTP answer, or the instruction to hold the connection unanswered.
struct sim_answer {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides Content-Type
  bool hold = false;  ///< err_timeout: answer nothing
};

/// Parses a GET target into a call, or into the error answer the real API
/// would give for it (unknown path, missing token or key, bad fields).
std::variant<sim_request, sim_answer> route_simulated(std::string_view target);

/// The answer to a routed call. `attempt` is 0 for the first request of this
/// network and handle, 1 for the second, ...: it drives flaky_N_ handles and
/// the fail_rate draws.
sim_answer answer_simulated(const sim_request& req, uint64_t seed, uint64_t attempt, double fail_rate);

/// Whether answers for this handle depend on `attempt` (so the server only
/// keeps counts it needs).
bool sim_needs_attempts(std::string_view handle, double fail_rate);

} // namespace leadbase::discovery
