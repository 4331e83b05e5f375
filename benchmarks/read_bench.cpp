// read_bench: the projection's reads at scale — GET /v1/leads/{id} and queue
// pages — beside GET /healthz under the same load, and the server's RSS with
// N leads stored.
//
// Data: N leads (benchmarks/bench_leads.hpp; default 1M: signed_up + qualified
// each, an enriched for every 4th) loaded straight into a temp data dir and
// rebuilt offline (so the server starts caught up), or an existing dir given
// with --data=DIR (e.g. from rebuild_bench --keep=DIR; --leads must then say
// how many leads it holds).
// Then `leadbase serve` (the dev config, providers off) on it; after /readyz and
// once /metrics shows every projection caught up (the stats projection folds the
// whole log in memory at start-up; its time is printed):
//   reference  GET /healthz (no auth, no storage)
//   measured   GET /v1/leads/b-<random>                        (a view row by id)
//              GET /v1/leads?team=sdr&level=A,B&limit=50        (a filtered queue page)
//              GET /v1/leads?q=ig<random>&limit=50              (a search page)
// each with wrk for --duration seconds, --connections connections, --threads
// threads, random ids from a Lua script. Printed per run: requests/s, client
// p50/p99 (wrk) and the server's own time for that route from its
// leadbase_http_request_duration_seconds histogram (scraped before and after:
// mean, and the bucket bound that holds p50/p99), and the server process's CPU
// time (user + system, /proc/PID/stat) per request over the run: on a shared
// machine the steadiest cost figure. Client latency includes queueing: with 64
// connections kept busy, latency ≈ 64 / throughput whatever the server time
// is; wrk also shares the 2 cores with the server.
// RSS: VmRSS of the server after /readyz and after the load (target: 1M leads
// stored, RSS < 512 MiB), and VmHWM.
//
// Usage: read_bench [--leads=1000000] [--enriched-every=4] [--data=DIR] [--duration=10]
//                   [--connections=64] [--threads=2] [--ready-timeout=600]
// With 1M leads and no --data: loading + rebuild ~2-3 min, then ~1 min of load.
// Exit code: 0 when it ran, 1 when something failed, 2 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "app/config.hpp"
#include "benchmarks/bench_leads.hpp"
#include "benchmarks/bench_util.hpp"
#include "benchmarks/serving_probe.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"

using namespace leadbase;

using namespace bench;

int main(int argc, char** argv) {
  const auto t_start = bench::clock_type::now();
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  const std::string given_data = bench::take_text_option(argc, argv, "data");
  bench::args a(argc, argv);
  const auto leads = static_cast<uint64_t>(a.number("leads", 1000000, 1, 100000000));
  const auto enriched_every = static_cast<uint64_t>(a.number("enriched-every", 4, 0, 1e9));
  const double duration = a.number("duration", 10, 1, 3600);
  const int connections = static_cast<int>(a.number("connections", 64, 1, 10000));
  const int threads = static_cast<int>(a.number("threads", 2, 1, 64));
  const double ready_timeout = a.number("ready-timeout", 600, 5, 86400);
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "read_bench: %s\n", a.error().c_str());
    std::fprintf(stderr,
                 "usage: read_bench [--leads=1000000] [--enriched-every=4] [--data=DIR] [--duration=10] "
                 "[--connections=64] [--threads=2] [--ready-timeout=600]\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("read_bench",
                      "GET /v1/leads/{id}, a filtered queue page and a search page vs GET /healthz under the same "
                      "wrk load, and the server's RSS with N leads stored",
                      command);
  for (const char* tool : {"wrk", "timeout"})
    if (!bench::on_path(tool)) {
      std::fprintf(stderr, "read_bench: '%s' is not on PATH\n", tool);
      return 1;
    }
  bench::temp_dir tmp("leadbase-read-bench");
  auto cfg = bench::make_dev_config(std::nullopt, std::nullopt);
  if (!tmp.ok() || !cfg.error.empty()) {
    std::fprintf(stderr, "read_bench: %s\n", tmp.ok() ? cfg.error.c_str() : "cannot create a temp dir");
    return 1;
  }
  std::string read_token, metrics_token;
  auto parsed = parse_config(cfg.toml, "benchmark config");
  if (!parsed) {
    std::fprintf(stderr, "read_bench: %s\n", parsed.err().message.c_str());
    return 1;
  }
  for (const auto& t : parsed->tokens) {
    if (read_token.empty() && t.scopes.count("read")) read_token = t.token;
    if (metrics_token.empty() && t.scopes.count("metrics")) metrics_token = t.token;
  }
  if (read_token.empty()) {
    std::fprintf(stderr, "read_bench: the dev config has no token with scope read\n");
    return 1;
  }
  const std::string conf = tmp / "read.toml";
  if (!bench::write_file(conf, cfg.toml)) {
    std::fprintf(stderr, "read_bench: cannot write %s\n", conf.c_str());
    return 1;
  }

  // -- the data dir ---------------------------------------------------------------
  std::string data = given_data;
  if (data.empty()) {
    data = tmp / "data";
    storage::log_options lo;
    lo.dir = data;
    lo.sync = false;
    auto log = storage::event_log::open(lo);
    if (!log) {
      std::printf("FAILED to open the log: %s\n", log.err().message.c_str());
      return 1;
    }
    std::printf("loading %llu leads (signed_up + qualified, enriched every %llu-th) with append_batch, sync off ...\n",
                static_cast<unsigned long long>(leads), static_cast<unsigned long long>(enriched_every));
    std::fflush(stdout);
    auto loaded = bench::load_leads(**log, leads, enriched_every, 10000);
    if (!loaded.ok) {
      std::printf("FAILED to load: %s\n", loaded.error.c_str());
      return 1;
    }
    std::printf("loaded %llu events in %.1f s; rebuilding lead_views offline ...\n",
                static_cast<unsigned long long>(loaded.events), loaded.seconds);
    std::fflush(stdout);
    projections::lead_views_options vo;
    vo.priority = parsed->priority;
    vo.rules_version = parsed->qualification.rules_version;
    projections::lead_views views(**log, vo);
    auto runner = projections::projection_runner::open(**log, views);
    const auto t0 = bench::clock_type::now();
    if (!runner || !(*runner)->rebuild_offline()) {
      std::printf("FAILED to rebuild the projection\n");
      return 1;
    }
    std::printf("rebuilt in %.1f s\n", bench::seconds_since(t0));
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(data + "/CURRENT", ec)) {
      std::fprintf(stderr, "read_bench: --data=%s holds no RocksDB database\n", data.c_str());
      return 2;
    }
    std::printf("data dir: %s (reused; --leads=%llu says how many leads it holds)\n", data.c_str(),
                static_cast<unsigned long long>(leads));
  }
  std::printf("data dir size: %.0f MiB\n", static_cast<double>(bench::dir_bytes(data)) / 1048576.0);

  // -- the server -------------------------------------------------------------------
  bench::server_process server;
  const auto t_up = bench::clock_type::now();
  if (!server.start(data, conf, tmp / "server.log", 120)) {
    std::printf("FAILED to start the server: %s\n", server.error().c_str());
    return 1;
  }
  const uint16_t port = server.port();
  bool ready = false;
  while (bench::seconds_since(t_up) < ready_timeout) {
    if (bench::http_get_status(port, "/readyz", 2000) == 200) {
      ready = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (!ready) {
    std::printf("FAILED: /readyz did not answer 200 within %.0f s; the server log ends with:\n%s\n", ready_timeout,
                bench::tail_of_file(server.log_file()).c_str());
    return 1;
  }
  std::printf("server: %s (pid %d), ready after %.1f s\n", server.command().c_str(), static_cast<int>(server.pid()),
              bench::seconds_since(t_up));
  // /readyz covers every projection's catch-up after the start; wait as well
  // until /metrics shows none lagging, so the load below does not compete with
  // start-up work.
  const auto t_caught = bench::clock_type::now();
  bool caught_up = false;
  while (bench::seconds_since(t_up) < ready_timeout) {
    const std::string m = bench::http_get_body(port, "/metrics", metrics_token);
    if (projections_caught_up(m)) {
      caught_up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::printf("every projection caught up %.1f s after /readyz%s\n", bench::seconds_since(t_caught),
              caught_up ? "" : " -- NOT within --ready-timeout; measuring anyway (figures include start-up work)");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long rss_ready = bench::proc_status_kib(server.pid(), "VmRSS");
  std::printf("RSS when caught up: %.1f MiB\n", mib(rss_ready));

  // One request of each kind first: they must answer 200 (and the page must have items).
  const std::string auth = "Authorization: Bearer " + read_token + "\r\n";
  const std::string last_lead = "/v1/leads/" + bench::bench_lead_id(leads - 1);
  const std::string page_path = "/v1/leads?team=sdr&level=A,B&limit=50";
  bool failed = false;
  for (const std::string& p : {last_lead, page_path, std::string("/v1/leads?q=ig123&limit=50")}) {
    auto r = bench::http_call(port, "GET", p, auth, "", 10000);
    const bool has_items = p == last_lead || r.text.find("\"lead_id\"") != std::string::npos;
    std::printf("  check GET %-40s -> %d%s\n", p.c_str(), r.status, has_items ? "" : " (no items)");
    if (r.status != 200) {
      std::printf("FAILED: %s\n", r.text.substr(0, 400).c_str());
      failed = true;
    }
  }
  std::fflush(stdout);
  if (failed) return 1;

  const std::string n = std::to_string(leads);
  std::vector<run_result> runs = {
      {"GET /healthz (reference)", "/healthz", {}, {}, -1},
      {"GET /v1/leads/{id}", "/v1/leads/{lead_id}", {}, {}, -1},
      {"GET /v1/leads?team=sdr&level=A,B", "/v1/leads", {}, {}, -1},
      {"GET /v1/leads?q=ig<random>", "/v1/leads", {}, {}, -1},
  };
  const std::string scripts[] = {
      wrk_script("", "\"/healthz\""),
      wrk_script(read_token, "\"/v1/leads/b-\" .. math.random(0, " + n + " - 1)"),
      wrk_script(read_token, "\"" + page_path + "\""),
      wrk_script(read_token, "\"/v1/leads?limit=50&q=ig\" .. math.random(1, 99999)"),
  };
  std::printf("\nload: wrk -t%d -c%d -d%.0fs per run, keep-alive, on the same machine (load average now %s)\n",
              threads, connections, duration, bench::load_average().c_str());
  for (size_t i = 0; i < runs.size(); ++i) {
    auto& r = runs[i];
    const auto before = parse_route(bench::http_get_body(port, "/metrics", metrics_token), r.route);
    const double cpu_before = bench::process_cpu_seconds(server.pid());
    r.w = bench::run_wrk(port, "/", scripts[i], tmp / ("read" + std::to_string(i) + ".lua"), connections, threads,
                         duration);
    const double cpu_after = bench::process_cpu_seconds(server.pid());
    const auto after = parse_route(bench::http_get_body(port, "/metrics", metrics_token), r.route);
    r.st = diff(before, after);
    if (cpu_before >= 0 && cpu_after >= cpu_before && r.w.good() > 0)
      r.cpu_us = (cpu_after - cpu_before) * 1e6 / static_cast<double>(r.w.good());
    std::printf("  $ %s\n", r.w.command.c_str());
    bench::print_wrk(r.label.c_str(), r.w);
    if (r.st.ok)
      std::printf("  %-34s server time: mean %.3f ms, p50 %s, p99 %s (its histogram, %.0f requests)\n", "",
                  r.st.mean_ms, le_text(r.st.p50_le_ms).c_str(), le_text(r.st.p99_le_ms).c_str(), r.st.count);
    else
      std::printf("  %-34s server time: not in /metrics for route %s\n", "", r.route.c_str());
    std::printf("  %-34s server CPU: %s per request (the whole process, user + system)\n", "",
                cpu_text(r.cpu_us).c_str());
    std::fflush(stdout);
    if (!r.w.ok || r.w.good() == 0 || r.w.status_errors > 0) failed = true;
  }
  const long rss_after = bench::proc_status_kib(server.pid(), "VmRSS");
  const long hwm = bench::proc_status_kib(server.pid(), "VmHWM");
  if (!server.stop()) {
    std::printf("the server did not exit cleanly; its log ends with:\n%s\n",
                bench::tail_of_file(server.log_file()).c_str());
    failed = true;
  }

  const double ref = runs[0].w.good_per_sec();
  std::printf("\n-- results (%llu leads stored) --\n", static_cast<unsigned long long>(leads));
  std::printf("  %-34s %10s %9s %9s %9s %12s %12s %12s %10s\n", "", "ok/s", "vs ref", "p50 ms", "p99 ms",
              "server mean", "server p50", "server p99", "CPU/req");
  for (const auto& r : runs) {
    char mean[32] = "n/a";
    if (r.st.ok) std::snprintf(mean, sizeof mean, "%.3f ms", r.st.mean_ms);
    std::printf("  %-34s %10.0f %9s %9.2f %9.2f %12s %12s %12s %10s\n", r.label.c_str(), r.w.good_per_sec(),
                bench::fmt_ratio(r.w.good_per_sec(), ref).c_str(), r.w.p50_us / 1000, r.w.p99_us / 1000, mean,
                r.st.ok ? le_text(r.st.p50_le_ms).c_str() : "n/a", r.st.ok ? le_text(r.st.p99_le_ms).c_str() : "n/a",
                cpu_text(r.cpu_us).c_str());
  }
  std::printf("  (client p50/p99 from wrk include queueing: %d connections kept busy give a latency of about\n"
              "   %d / throughput; the server columns are its own request-duration histogram, bucket bounds\n"
              "   0.1, 0.25, 0.5, 1, 2.5, 5, 10 ms; CPU/req is the server process's CPU time per request.\n"
              "   docs/performance.md targets server time: < 1 ms for a lead, a few ms for a page.)\n",
              connections, connections);
  std::printf("\n-- memory --\n");
  std::printf("  RSS when caught up                %8.1f MiB\n", mib(rss_ready));
  std::printf("  RSS after the load                %8.1f MiB\n", mib(rss_after));
  std::printf("  peak RSS (VmHWM)                  %8.1f MiB\n", mib(hwm));
  std::printf("  RSS after the load / 512 MiB target = %s (<= 1.00x meets it%s)\n",
              bench::fmt_ratio(mib(rss_after), 512).c_str(),
              leads < 1000000 ? "; fewer than 1M leads, not the design's figure" : "");
  bench::print_footer(bench::seconds_since(t_start));
  if (failed) std::printf("read_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
