// memory_bench: the server's resident memory with many leads stored.
//
// Starts `leadbase serve` (fresh temp data dir, free loopback port) with the dev
// config and a short passivation ([actors] passivate_after_ms, default 1000),
// ingests N signups — N distinct leads — through POST /v1/signups with wrk
// (keep-alive, many connections), waits until idle lead actors have passivated,
// then reads VmRSS from /proc/PID/status and prints it beside the target
// (docs/performance.md: 1M leads stored, RSS under 512 MiB) and beside the RSS right after
// start. VmHWM (the peak) is printed too.
//
// By default the server runs with [durability] sync = false: fsync does not
// change what the process keeps in memory, and without it 1M signups take about
// a minute instead of several. --sync=1 measures with the dev config's sync = true.
//
// Usage: memory_bench [--signups=1000000] [--connections=64] [--sync=0] [--passivate-ms=1000]
//                     [--max-seconds=900]
// With the default 1M signups this takes ~1-3 minutes on 2 cores (longer with --sync=1);
// --signups=100000 is a quick check.
// Exit code: 0 when everything ran, 1 when something failed to run, 2 on bad usage.
#include <cstdio>
#include <cstdlib>

#include "benchmarks/bench_util.hpp"

namespace {

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

} // namespace

int main(int argc, char** argv) {
  const auto t0 = bench::clock_type::now();
  bench::args a(argc, argv);
  const auto signups = static_cast<uint64_t>(a.number("signups", 1000000, 1, 100000000));
  const int connections = static_cast<int>(a.number("connections", 64, 1, 10000));
  const bool sync = a.number("sync", 0, 0, 1) != 0;
  const auto passivate_ms = static_cast<uint32_t>(a.number("passivate-ms", 1000, 10, 3600000));
  const double max_seconds = a.number("max-seconds", 900, 10, 86400);
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "memory_bench: %s\n", a.error().c_str());
    std::fprintf(stderr,
                 "usage: memory_bench [--signups=1000000] [--connections=64] [--sync=0] [--passivate-ms=1000] "
                 "[--max-seconds=900]\n");
    return a.help() ? 0 : 2;
  }
  constexpr double target_mib = 512;
  const int threads = std::min(2, connections);
  bench::print_header("memory_bench",
                      "server RSS (VmRSS) after ingesting N signups (N leads) and waiting for idle passivation, "
                      "beside the 512 MiB target and the RSS right after start",
                      a.command());
  for (const char* tool : {"wrk", "timeout"})
    if (!bench::on_path(tool)) {
      std::fprintf(stderr, "memory_bench: '%s' is not on PATH\n", tool);
      return 1;
    }
  bench::temp_dir tmp("leadbase-memory-bench");
  auto cfg = bench::make_dev_config(sync, passivate_ms);
  if (!tmp.ok() || !cfg.error.empty()) {
    std::fprintf(stderr, "memory_bench: %s\n", tmp.ok() ? cfg.error.c_str() : "cannot create a temp dir");
    return 1;
  }
  const std::string conf = tmp / "memory.toml", data = tmp / "data";
  if (!bench::write_file(conf, cfg.toml)) {
    std::fprintf(stderr, "memory_bench: cannot write %s\n", conf.c_str());
    return 1;
  }
  std::printf("config: the dev config with [durability] sync = %s, [actors] passivate_after_ms = %u "
              "(max_live_leads as in the dev config)\n",
              sync ? "true" : "false", passivate_ms);

  bench::server_process server;
  if (!server.start(data, conf, tmp / "server.log")) {
    std::printf("FAILED to start the server: %s\n", server.error().c_str());
    return 1;
  }
  const pid_t pid = server.pid();
  std::printf("server: %s (pid %d)\n", server.command().c_str(), static_cast<int>(pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long rss_start = bench::proc_status_kib(pid, "VmRSS");
  std::printf("RSS right after start: %.1f MiB\n", mib(rss_start));
  if (auto e = bench::check_one_signup(server.port(), cfg.ingest_token, "mem-check"); !e.empty()) {
    std::printf("FAILED: %s\n", e.c_str());
    return 1;
  }

  // Each wrk thread stops after its share; the duration is only the upper bound.
  const uint64_t per_thread = (signups + static_cast<uint64_t>(threads) - 1) / static_cast<uint64_t>(threads);
  std::printf("\ningesting %llu signups: %d connections, %d wrk threads, at most %.0f s (load average now %s)\n",
              static_cast<unsigned long long>(signups), connections, threads, max_seconds,
              bench::load_average().c_str());
  std::fflush(stdout);
  // Done when the last lead of every wrk thread exists (GET /v1/leads/u-m-T-N with a read token).
  // Tokens from the same config: one that reads leads, one that reads /metrics.
  std::string read_token, metrics_token;
  if (auto parsed = leadbase::parse_config(cfg.toml, "benchmark config"))
    for (const auto& t : parsed->tokens) {
      if (t.scopes.count("read")) read_token = t.token;
      if (t.scopes.count("metrics")) metrics_token = t.token;
    }
  const uint16_t port = server.port();
  auto finished = [&] {
    for (int t = 0; t < threads; ++t) {
      const std::string lead = "/v1/leads/u-m-" + std::to_string(t) + "-" + std::to_string(per_thread);
      if (bench::http_call(port, "GET", lead, "Authorization: Bearer " + read_token + "\r\n").status != 200)
        return false;
    }
    return true;
  };
  auto w = bench::run_wrk(port, "/v1/signups", bench::wrk_signup_script(cfg.ingest_token, "m", per_thread),
                          tmp / "signups.lua", connections, threads, max_seconds, finished);
  std::printf("  $ %s\n", w.command.c_str());
  bench::print_wrk("POST /v1/signups", w);
  const long rss_after_ingest = bench::proc_status_kib(pid, "VmRSS");
  std::printf("RSS right after ingest: %.1f MiB\n", mib(rss_after_ingest));
  std::fflush(stdout);
  bool failed = !w.ok || w.good() == 0;
  if (w.ok && w.good() + 1000 < signups)
    std::printf("  note: only %llu of %llu signups were acknowledged within %.0f s\n",
                static_cast<unsigned long long>(w.good()), static_cast<unsigned long long>(signups), max_seconds);

  // Idle passivation: every lead actor stops passivate_ms after its last message.
  // Wait for that, then until RSS stops changing (at most 30 s more).
  const double settle_s = static_cast<double>(passivate_ms) / 1000.0 + 2;
  std::printf("\nwaiting %.1f s for idle passivation, then until RSS is stable ...\n", settle_s);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(settle_s * 1000)));
  long rss = bench::proc_status_kib(pid, "VmRSS");
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long now = bench::proc_status_kib(pid, "VmRSS");
    const bool stable = std::labs(now - rss) < 1024;  // < 1 MiB change in a second
    rss = now;
    if (stable) break;
  }
  const long hwm = bench::proc_status_kib(pid, "VmHWM");
  const bool alive = rss > 0;
  // The leads stored, as the server counts them (GET /v1/stats signups.total,
  // once its stats projection has caught up): wrk stops counting answers once
  // the last leads exist, so its own count can be a little short.
  uint64_t leads = w.ok ? w.good() + 1 : 0;  // + the check signup
  long live_actors = -1;
  const uint64_t data_bytes = bench::dir_bytes(data);
  {
    const std::string stats = bench::http_get_body(server.port(), "/v1/stats?min_position=1&wait_ms=5000", read_token, 10000);
    const auto at = stats.find("\"total\":");
    if (at != std::string::npos) leads = std::strtoull(stats.c_str() + at + 8, nullptr, 10);
    const std::string metrics = bench::http_get_body(server.port(), "/metrics", metrics_token, 10000);
    const std::string gauge = "\nleadbase_lead_actors_live ";
    const auto g = metrics.find(gauge);
    if (g != std::string::npos) live_actors = std::strtol(metrics.c_str() + g + gauge.size(), nullptr, 10);
  }
  const bool clean = server.stop();
  if (!clean) {
    std::printf("the server did not exit cleanly; its log ends with:\n%s\n", bench::tail_of_file(tmp / "server.log").c_str());
    failed = true;
  }
  if (!alive) {
    std::printf("FAILED: could not read the server's RSS\n");
    failed = true;
  }

  std::printf("\n-- results (%llu leads stored, %.0f MiB data dir, sync=%s) --\n", static_cast<unsigned long long>(leads),
              static_cast<double>(data_bytes) / 1048576.0, sync ? "true" : "false");
  std::printf("  RSS after start                   %8.1f MiB\n", mib(rss_start));
  std::printf("  RSS right after ingest            %8.1f MiB\n", mib(rss_after_ingest));
  std::printf("  RSS after idle passivation        %8.1f MiB   <- the figure\n", mib(rss));
  std::printf("  peak RSS (VmHWM)                  %8.1f MiB\n", mib(hwm));
  std::printf("  target (docs/performance.md, 1M leads)      %8.1f MiB\n", target_mib);
  std::printf("\n-- ratios --\n");
  std::printf("  RSS after passivation / target    = %s  (<= 1.00x meets it%s)\n",
              bench::fmt_ratio(mib(rss), target_mib).c_str(),
              leads < 1000000 ? "; fewer than 1M leads here, so not the design's figure" : "");
  std::printf("  RSS after passivation / at start  = %s\n", bench::fmt_ratio(mib(rss), mib(rss_start)).c_str());
  std::printf("  peak RSS / target                 = %s\n", bench::fmt_ratio(mib(hwm), target_mib).c_str());
  if (leads > 0 && rss > rss_start)
    std::printf("  growth per lead stored            = %.0f bytes\n",
                static_cast<double>(rss - rss_start) * 1024.0 / static_cast<double>(leads));
  if (live_actors >= 0)
    std::printf("  live lead actors after passivation = %ld (leadbase_lead_actors_live)\n", live_actors);
  else
    std::printf("  live lead actors: could not read leadbase_lead_actors_live from /metrics\n");
  std::printf("  Note: RSS includes RocksDB's block cache (64 MiB configured) and memtables (128 MiB for all\n"
              "  column families together), and glibc malloc keeps freed memory, so RSS after passivation shows\n"
              "  what stays, not what is in use.\n");
  bench::print_footer(bench::seconds_since(t0));
  if (failed) std::printf("memory_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
