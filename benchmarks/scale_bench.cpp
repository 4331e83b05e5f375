// scale_bench: the service at ten million leads on one node, beside the same
// measurements at a reference size in the same run, so that every figure is
// read as "how much worse at 10M than at 100k" as well as against its target.
//
// For each size (the reference first, then --leads):
//   build     N leads (benchmarks/bench_leads.hpp: signed_up + qualified each,
//             an enriched for every 4th) appended with event_log::append_batch,
//             sync off, then the projections rebuilt offline through the bulk
//             path, exactly as `leadbase rebuild` (and rebuild_bench) does,
//             and the stats built (their one-off first build, timed apart);
//             --data=DIR reuses a dir built earlier for the big size
//             (e.g. `rebuild_bench --leads=10000000 --keep=DIR`)
//   disk      bytes on disk per lead
//   start     `leadbase serve` on it: seconds from spawn to /readyz 200 (ready
//             means every projection caught up: until then /readyz and
//             /v1/stats answer 503), and to /metrics showing no lag at all
//   memory    RSS when ready, after the load, and the peak (VmHWM)
//   reads     wrk for --duration s each: GET /v1/leads/{id} (random ids), a
//             filtered queue page, a search page; the server's own p99 from its
//             request-duration histogram (bucket bounds 0.1 … 10 ms)
//   stats     GET /v1/stats, one request at a time (no queueing): p50/p99
//   rebuild   POST /v1/admin/projections/rebuild while serving, seconds until
//             every projection is live again
// Targets (issue 12): ready < 2 s, RSS < 512 MiB, lead p99 < 1 ms at the
// server, queue and search page p99 < 5 ms, /v1/stats < 50 ms.
//
// Usage: scale_bench [--leads=10000000] [--reference-leads=100000] [--enriched-every=4]
//                    [--duration=5] [--connections=16] [--threads=2] [--data=DIR] [--keep=DIR]
//   --keep=DIR  build the big size's data dir at DIR (must not exist) and keep it
// With 10M leads: building ~5-8 min on 2 cores, then ~2 min of measurements.
// Exit code: 0 when it ran (whatever the figures), 1 when something failed, 2 on bad usage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "app/config.hpp"
#include "benchmarks/bench_leads.hpp"
#include "benchmarks/bench_util.hpp"
#include "benchmarks/serving_probe.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"

using namespace leadbase;

namespace {

struct tokens {
  std::string read, admin, metrics;
};

struct size_figures {
  bool ok = false;
  std::string error;
  uint64_t leads = 0;
  double load_s = 0, bulk_rebuild_s = 0, stats_build_s = 0;  // 0 when the dir was reused
  double bytes_per_lead = 0;
  double ready_s = 0, caught_up_s = 0;
  long rss_ready_kib = 0, rss_after_kib = 0, hwm_kib = 0;
  bench::run_result lead, page, search;
  double stats_p50_ms = 0, stats_p99_ms = 0;
  double online_rebuild_s = 0;
};

/// Appends N leads and rebuilds the projections offline (the bulk path).
bool build_data_dir(const std::string& dir, uint64_t leads, uint64_t enriched_every, const config& cfg,
                    size_figures& f) {
  storage::log_options lo;
  lo.dir = dir;
  lo.sync = false;
  auto log = storage::event_log::open(lo);
  if (!log) {
    f.error = "cannot open the log: " + log.err().message;
    return false;
  }
  auto loaded = bench::load_leads(**log, leads, enriched_every, 10000);
  if (!loaded.ok) {
    f.error = "cannot load: " + loaded.error;
    return false;
  }
  f.load_s = loaded.seconds;
  projections::lead_views_options vo;
  vo.priority = cfg.priority;
  vo.rules_version = cfg.qualification.rules_version;
  projections::lead_views views(**log, vo);
  auto runner = projections::projection_runner::open(**log, views);
  const auto t0 = bench::clock_type::now();
  if (!runner || !(*runner)->rebuild_offline()) {
    f.error = "the offline rebuild failed";
    return false;
  }
  f.bulk_rebuild_s = bench::seconds_since(t0);
  // The stats, as `leadbase rebuild` builds them (one lead-order scan): the
  // same work a first start does on a data dir without them.
  stats_options so;
  so.priority = cfg.priority;
  so.rules_version = cfg.qualification.rules_version;
  stats_projection stats(**log, so, log_state_loader(**log));
  auto stats_runner = projections::projection_runner::open(**log, stats, with_stats_rebuild(stats));
  const auto t1 = bench::clock_type::now();
  if (!stats_runner || !(*stats_runner)->rebuild_offline()) {
    f.error = "the offline rebuild of the stats failed";
    return false;
  }
  f.stats_build_s = bench::seconds_since(t1);
  return true;
}

/// Seconds until `path` answers 200 (or -1 after `timeout_s`).
double wait_for_200(uint16_t port, const std::string& path, bench::clock_type::time_point t0, double timeout_s) {
  while (bench::seconds_since(t0) < timeout_s) {
    if (bench::http_get_status(port, path, 2000) == 200) return bench::seconds_since(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

/// One wrk run against `path_lua`, with the server's histogram for `route`.
bench::run_result measure_route(uint16_t port, const tokens& t, const std::string& label, const std::string& route,
                                const std::string& path_lua, const std::string& script_file, int connections,
                                int threads, double duration) {
  bench::run_result r{label, route, {}, {}, -1};
  const auto before = bench::parse_route(bench::http_get_body(port, "/metrics", t.metrics), route);
  r.w = bench::run_wrk(port, "/", bench::wrk_script(t.read, path_lua), script_file, connections, threads, duration);
  const auto after = bench::parse_route(bench::http_get_body(port, "/metrics", t.metrics), route);
  r.st = bench::diff(before, after);
  bench::print_wrk(label.c_str(), r.w);
  std::fflush(stdout);
  return r;
}

/// GET /v1/stats one at a time: p50 and p99 in ms.
std::pair<double, double> stats_latency(uint16_t port, const tokens& t, int requests) {
  std::vector<double> ms;
  const std::string auth = "Authorization: Bearer " + t.read + "\r\n";
  for (int i = 0; i < requests; ++i) {
    const auto t0 = bench::clock_type::now();
    auto a = bench::http_call(port, "GET", "/v1/stats", auth, "", 10000);
    if (a.status != 200) continue;
    ms.push_back(bench::seconds_since(t0) * 1000);
  }
  if (ms.empty()) return {-1, -1};
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))]; };
  return {at(0.5), at(0.99)};
}

/// POST the online rebuild, then seconds until no projection is rebuilding.
double online_rebuild(uint16_t port, const tokens& t, double timeout_s) {
  const std::string auth = "Authorization: Bearer " + t.admin + "\r\n";
  const auto t0 = bench::clock_type::now();
  auto posted = bench::http_call(port, "POST", "/v1/admin/projections/rebuild", auth, "", 10000);
  if (posted.status != 202) return -1;
  while (bench::seconds_since(t0) < timeout_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto a = bench::http_call(port, "GET", "/v1/admin/projections", auth, "", 10000);
    if (a.status == 200 && a.text.find("\"rebuilding\"") == std::string::npos) return bench::seconds_since(t0);
  }
  return -1;
}

/// Builds (unless `reuse`) and measures the data dir `dir`.
size_figures measure_size(const bench::temp_dir& tmp, const std::string& name, const std::string& dir, bool reuse,
                          uint64_t leads, uint64_t enriched_every, const bench::dev_config& cfg,
                          const config& parsed, const tokens& t, int connections, int threads, double duration) {
  size_figures f;
  f.leads = leads;
  if (!reuse) {
    std::printf("[%s] building %llu leads through the bulk path ...\n", name.c_str(),
                static_cast<unsigned long long>(leads));
    std::fflush(stdout);
    if (!build_data_dir(dir, leads, enriched_every, parsed, f)) return f;
    std::printf("[%s] loaded in %.1f s, bulk rebuild %.1f s, stats build %.1f s\n", name.c_str(), f.load_s,
                f.bulk_rebuild_s, f.stats_build_s);
  }
  f.bytes_per_lead = static_cast<double>(bench::dir_bytes(dir)) / static_cast<double>(leads);
  const std::string conf = tmp / (name + ".toml");
  bench::write_file(conf, cfg.toml);
  bench::server_process server;
  const auto t0 = bench::clock_type::now();
  if (!server.start(dir, conf, tmp / (name + "-server.log"), 120)) {
    f.error = server.error();
    return f;
  }
  const uint16_t port = server.port();
  f.ready_s = wait_for_200(port, "/readyz", t0, 600);
  while (bench::seconds_since(t0) < 600 &&
         !bench::projections_caught_up(bench::http_get_body(port, "/metrics", t.metrics)))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.caught_up_s = bench::seconds_since(t0);
  f.rss_ready_kib = bench::proc_status_kib(server.pid(), "VmRSS");
  std::printf("[%s] ready after %.2f s, every projection caught up after %.2f s, RSS %.1f MiB\n", name.c_str(),
              f.ready_s, f.caught_up_s, bench::mib(f.rss_ready_kib));
  const std::string n = std::to_string(leads);
  f.lead = measure_route(port, t, "[" + name + "] GET /v1/leads/{id}", "/v1/leads/{lead_id}",
                         "\"/v1/leads/b-\" .. math.random(0, " + n + " - 1)", tmp / "lead.lua", connections, threads,
                         duration);
  f.page = measure_route(port, t, "[" + name + "] GET /v1/leads?team=sdr&level=A,B", "/v1/leads",
                         "\"/v1/leads?team=sdr&level=A,B&limit=50\"", tmp / "page.lua", connections, threads, duration);
  f.search = measure_route(port, t, "[" + name + "] GET /v1/leads?q=ig<random>", "/v1/leads",
                           "\"/v1/leads?limit=50&q=ig\" .. math.random(1, 99999)", tmp / "search.lua", connections,
                           threads, duration);
  std::tie(f.stats_p50_ms, f.stats_p99_ms) = stats_latency(port, t, 200);
  f.online_rebuild_s = online_rebuild(port, t, 1800);
  f.rss_after_kib = bench::proc_status_kib(server.pid(), "VmRSS");
  f.hwm_kib = bench::proc_status_kib(server.pid(), "VmHWM");
  std::printf("[%s] /v1/stats p50 %.2f ms p99 %.2f ms; online rebuild %.1f s\n", name.c_str(), f.stats_p50_ms,
              f.stats_p99_ms, f.online_rebuild_s);
  const bool clean = server.stop();
  f.ok = f.ready_s >= 0 && f.online_rebuild_s >= 0 && f.stats_p99_ms >= 0 && clean && f.lead.w.ok &&
         f.page.w.ok && f.search.w.ok && f.lead.w.status_errors == 0;
  if (!f.ok) f.error = "a measurement failed (see above); server log: " + bench::tail_of_file(server.log_file(), 600);
  return f;
}

void row(const char* what, double ref, double big, const char* unit, const char* target) {
  std::printf("  %-36s %12.3f %12.3f %-4s %9s   %s\n", what, ref, big, unit, bench::fmt_ratio(big, ref).c_str(),
              target);
}

double p99_ms(const bench::run_result& r) { return r.st.ok ? r.st.p99_le_ms : -1; }

} // namespace

int main(int argc, char** argv) {
  const auto t_start = bench::clock_type::now();
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  const std::string given_data = bench::take_text_option(argc, argv, "data");
  const std::string keep = bench::take_text_option(argc, argv, "keep");
  bench::args a(argc, argv);
  const auto leads = static_cast<uint64_t>(a.number("leads", 10000000, 1, 100000000));
  const auto ref_leads = static_cast<uint64_t>(a.number("reference-leads", 100000, 1, 100000000));
  const auto enriched_every = static_cast<uint64_t>(a.number("enriched-every", 4, 0, 1e9));
  const double duration = a.number("duration", 5, 1, 3600);
  const int connections = static_cast<int>(a.number("connections", 16, 1, 10000));
  const int threads = static_cast<int>(a.number("threads", 2, 1, 64));
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "scale_bench: %s\n", a.error().c_str());
    std::fprintf(stderr,
                 "usage: scale_bench [--leads=10000000] [--reference-leads=100000] [--enriched-every=4] "
                 "[--duration=5] [--connections=16] [--threads=2] [--data=DIR] [--keep=DIR]\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("scale_bench",
                      "start-up, memory, reads, /v1/stats, online rebuild and disk at N leads, beside the same at a "
                      "reference size",
                      command);
  if (!bench::on_path("wrk")) {
    std::fprintf(stderr, "scale_bench: 'wrk' is not on PATH\n");
    return 1;
  }
  std::error_code ec;
  if (!keep.empty() && std::filesystem::exists(keep, ec)) {
    std::fprintf(stderr, "scale_bench: --keep=%s exists; give a new path\n", keep.c_str());
    return 2;
  }
  bench::temp_dir tmp("leadbase-scale-bench");
  auto cfg = bench::make_dev_config(std::nullopt, std::nullopt);
  auto parsed = parse_config(cfg.toml, "benchmark config");
  if (!tmp.ok() || !cfg.error.empty() || !parsed) {
    std::fprintf(stderr, "scale_bench: cannot set up (temp dir or config)\n");
    return 1;
  }
  tokens t;
  for (const auto& tk : parsed->tokens) {
    if (t.read.empty() && tk.scopes.count("read")) t.read = tk.token;
    if (t.admin.empty() && tk.scopes.count("admin")) t.admin = tk.token;
    if (t.metrics.empty() && tk.scopes.count("metrics")) t.metrics = tk.token;
  }
  auto ref = measure_size(tmp, "reference", tmp / "data-reference", false, ref_leads, enriched_every, cfg, *parsed, t, connections, threads,
                          duration);
  if (!ref.ok) std::printf("reference FAILED: %s\n", ref.error.c_str());
  const std::string big_dir = !given_data.empty() ? given_data : !keep.empty() ? keep : tmp / "data-scale";
  auto big = measure_size(tmp, "scale", big_dir, !given_data.empty(), leads, enriched_every, cfg, *parsed, t, connections, threads, duration);
  if (!big.ok) std::printf("scale FAILED: %s\n", big.error.c_str());

  std::printf("\n-- results: %llu leads (reference %llu), %d connections, %.0f s per read run --\n",
              static_cast<unsigned long long>(leads), static_cast<unsigned long long>(ref_leads), connections,
              duration);
  std::printf("  %-36s %12s %12s %-4s %9s   %s\n", "", "reference", "scale", "", "ratio", "target at scale");
  row("build: append (sync off)", ref.load_s, big.load_s, "s", "");
  row("build: bulk rebuild", ref.bulk_rebuild_s, big.bulk_rebuild_s, "s", "");
  row("disk per lead", ref.bytes_per_lead, big.bytes_per_lead, "B", "");
  row("start to /readyz 200", ref.ready_s, big.ready_s, "s", "< 2 s");
  row("start to every projection caught up", ref.caught_up_s, big.caught_up_s, "s", "");
  row("RSS when ready", bench::mib(ref.rss_ready_kib), bench::mib(big.rss_ready_kib), "MiB", "");
  row("RSS after the load", bench::mib(ref.rss_after_kib), bench::mib(big.rss_after_kib), "MiB", "< 512 MiB");
  row("peak RSS (VmHWM)", bench::mib(ref.hwm_kib), bench::mib(big.hwm_kib), "MiB", "");
  row("GET /v1/leads/{id} server p99 <=", p99_ms(ref.lead), p99_ms(big.lead), "ms", "< 1 ms");
  row("filtered queue page server p99 <=", p99_ms(ref.page), p99_ms(big.page), "ms", "< 5 ms");
  row("search page server p99 <=", p99_ms(ref.search), p99_ms(big.search), "ms", "< 5 ms");
  row("GET /v1/leads/{id} ok/s", ref.lead.w.good_per_sec(), big.lead.w.good_per_sec(), "/s", "");
  row("GET /v1/stats p50 (client, serial)", ref.stats_p50_ms, big.stats_p50_ms, "ms", "");
  row("GET /v1/stats p99 (client, serial)", ref.stats_p99_ms, big.stats_p99_ms, "ms", "< 50 ms");
  row("online rebuild", ref.online_rebuild_s, big.online_rebuild_s, "s", "");
  std::printf("  (server p99: the bucket bound of its request-duration histogram that holds the 99th\n"
              "   percentile; -1 where a figure is missing. Client figures share the 2 cores with wrk.)\n");
  if (!keep.empty() && big.ok) std::printf("  kept the data dir at %s\n", keep.c_str());
  bench::print_footer(bench::seconds_since(t_start));
  return ref.ok && big.ok ? 0 : 1;
}
