#pragma once
// What read_bench and scale_bench measure on a running server: a route's
// request-duration histogram scraped from /metrics before and after a load
// (the server's own time), whether every projection caught up, and wrk
// scripts that GET a path with a token.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "benchmarks/bench_util.hpp"

namespace bench {

inline double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

/// One route's request-duration histogram from a /metrics page.
struct route_histogram {
  std::map<double, double> cumulative;  // le -> count (le = +inf as a large number)
  double sum = 0, count = 0;
};

inline route_histogram parse_route(const std::string& metrics, const std::string& route) {
  route_histogram h;
  const std::string name = "leadbase_http_request_duration_seconds";
  const std::string want_route = "route=\"" + route + "\"";
  size_t at = 0;
  while (at < metrics.size()) {
    size_t eol = metrics.find('\n', at);
    if (eol == std::string::npos) eol = metrics.size();
    const std::string line = metrics.substr(at, eol - at);
    at = eol + 1;
    if (line.rfind(name, 0) != 0 || line.find(want_route) == std::string::npos) continue;
    if (line.find("method=\"GET\"") == std::string::npos) continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const double v = std::strtod(line.c_str() + space + 1, nullptr);
    if (line.compare(name.size(), 7, "_bucket") == 0) {
      auto le = line.find("le=\"");
      if (le == std::string::npos) continue;
      const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
      h.cumulative[bound == "+Inf" ? 1e300 : std::strtod(bound.c_str(), nullptr)] = v;
    } else if (line.compare(name.size(), 4, "_sum") == 0) {
      h.sum = v;
    } else if (line.compare(name.size(), 6, "_count") == 0) {
      h.count = v;
    }
  }
  return h;
}

/// True when the page has leadbase_projection_lag_events samples and all are 0.
inline bool projections_caught_up(const std::string& metrics) {
  const std::string name = "leadbase_projection_lag_events{";
  size_t at = 0, found = 0;
  while ((at = metrics.find(name, at)) != std::string::npos) {
    const size_t eol = metrics.find('\n', at);
    const size_t space = metrics.rfind(' ', eol);
    if (space == std::string::npos || space < at) return false;
    if (std::strtod(metrics.c_str() + space + 1, nullptr) != 0) return false;
    ++found;
    at = eol == std::string::npos ? metrics.size() : eol;
  }
  return found > 0;
}

struct server_time {
  bool ok = false;
  double count = 0, mean_ms = 0, p50_le_ms = 0, p99_le_ms = 0;
};

/// The histogram's change between two scrapes: mean, and the bucket bounds holding p50 and p99.
inline server_time diff(const route_histogram& before, const route_histogram& after) {
  server_time t;
  t.count = after.count - before.count;
  if (t.count <= 0) return t;
  t.mean_ms = (after.sum - before.sum) / t.count * 1000;
  auto bound_for = [&](double q) {
    for (const auto& [le, c] : after.cumulative) {
      auto b = before.cumulative.find(le);
      const double d = c - (b == before.cumulative.end() ? 0 : b->second);
      if (d >= q * t.count) return le * 1000;
    }
    return 1e300;
  };
  t.p50_le_ms = bound_for(0.50);
  t.p99_le_ms = bound_for(0.99);
  t.ok = true;
  return t;
}

inline std::string le_text(double ms) {
  if (ms > 1e200) return "> 5000 ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "<= %g ms", ms);
  return buf;
}

/// A request() that GETs `path_lua` (a Lua expression) with the token, and the result line.
inline std::string wrk_script(const std::string& token, const std::string& path_lua) {
  std::string s = std::string(wrk_thread_ids_lua()) + R"lua(
function init(args)
  math.randomseed(os.time() * 100 + (tid or 0) * 7919)
end
)lua";
  s += "local headers = {}\n";
  if (!token.empty()) s += "headers[\"Authorization\"] = \"Bearer " + token + "\"\n";
  s += "function request()\n  return wrk.format(\"GET\", " + path_lua + ", headers)\nend\n";
  return s + wrk_done_lua();
}

struct run_result {
  std::string label, route;
  wrk_result w;
  server_time st;
  double cpu_us = -1;  // server process CPU per good request, µs; -1 unknown
};

inline std::string cpu_text(double us) {
  if (us < 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f us", us);
  return buf;
}


} // namespace bench
