#pragma once
// One I/O thread's loop, shared by the provider client, the simulator and the
// HTTP server: a handler that throws is logged and the loop goes on serving
// the others, until the io_context runs out of work or is stopped.
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include <exception>

namespace leadbase::discovery {

inline void run_io_loop(boost::asio::io_context& ioc, spdlog::logger& log, const char* who) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log.error("{}: a handler threw: {}", who, e.what());
    } catch (...) {
      log.error("{}: a handler threw a non-standard exception", who);
    }
  }
}

} // namespace leadbase::discovery
