// pipeline_bench: signups per second end to end, from the POST to the lead's
// final state (qualified, then enriched by Creator Discovery through the real
// Instagram client against the real simulator).
//
// Three runs, each on a fresh server (child process, temp data dir, sync=true,
// the dev config otherwise) and, for the pipeline runs, a fresh
// `leadbase simulate-discovery` child process:
//   (ref)  ingest only: discovery off (no provider section), the same N signups
//          (measured to the last signup counted: with discovery off a lead with
//          a handle stays `enriching`, so it has no end-to-end figure);
//   (0ms)  the pipeline against the simulator answering at once;
//   (Lms)  the pipeline against the simulator answering after L ms (fewer signups).
// wrk drives POST /v1/signups over keep-alive connections, each wrk thread
// sending exactly ceil(N / threads) signups with ordinary (generated-profile)
// Instagram handles (then GET /healthz until every one of its signups has
// been answered, when the thread stops). A monitor
// thread polls GET /metrics every 50 ms: leadbase_signups_total (ingested),
// leadbase_processing_seconds_count (leads that reached a final state) and the
// provider gauges (calls in flight, queued). At the end, GET /v1/stats gives
// processing_ms mean / p50 / p99.
//
// Printed per run: ingest rate, end-to-end leads/s (N / time from the first
// request to the moment every lead was final), the drain time after the last
// acknowledgement, calls in flight (mean and max of the samples), processing_ms,
// and the share of the processing time the pipeline adds beyond the provider's
// latency: (mean processing_ms - latency) / mean processing_ms. Also the
// Little's-law bound max_in_flight / latency on the call rate.
//
// The ceiling, in the spirit of ingest_bench's: the most this machine could do
// end to end at 0 ms with nothing of ours done at all. Before the 0 ms run's
// load, GET /healthz on the same server under the same wrk load gives HTTP's
// cost per request (the cores over the /healthz rate, wrk included: client and
// server side, both on this machine); before any server, db_bench fillrandom
// --sync=0 gives RocksDB's CPU per key. Each lead costs at least two HTTP
// requests (the signup POST leadbase receives and the Creator Discovery call it
// makes to the simulator) plus RocksDB's CPU for the keys it writes (every key
// of every column family in the 0 ms run's data dir, opened read-only after
// the server stopped, over the leads):
//   ceiling = cores * 1e6 / (2 * cores * 1e6 / healthz + keys per lead * 1e6 / db_bench keys/s)
// It leaves out JSON, sealing, hashing, actors, fsync and projections' reads,
// so it is an upper bound; printed with its parts, beside pipeline(0ms) /
// ceiling and target 10000 / ceiling.
//
// Usage: pipeline_bench [--leads=20000] [--slow-leads=3000] [--latency-ms=50]
//                       [--connections=64] [--threads=2] [--max-in-flight=32]
//                       [--sim-threads=1] [--cap-seconds=300] [--healthz-seconds=10]
// Exit code: 0 when everything ran (whatever the figures), 1 when something
// failed to run (or a run did not finish within the cap), 2 on bad usage.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>

#include <rapidjson/document.h>

#include "benchmarks/bench_util.hpp"

namespace {

using bench::clock_type;

// -- a child process: the simulator ---------------------------------------------------------

class simulator_child {
 public:
  ~simulator_child() { stop(); }
  bool start(uint32_t latency_ms, unsigned threads, const std::string& log_file, double timeout_s = 20) {
    for (int attempt = 0; attempt < 5; ++attempt) {  // a port taken in the meantime: another one
      port_ = bench::free_port();
      if (port_ == 0) break;
      std::vector<std::string> argv_s = {LEADBASE_BIN, "simulate-discovery", "--listen",
                                         "127.0.0.1:" + std::to_string(port_), "--latency-ms",
                                         std::to_string(latency_ms), "--threads", std::to_string(threads)};
      command_ = bench::join_command(argv_s);
      pid_t pid = bench::spawn_logged(argv_s, log_file, error_);
      if (pid < 0) return false;
      pid_ = pid;
      const auto t0 = clock_type::now();
      bool exited = false;
      while (bench::seconds_since(t0) < timeout_s) {
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
          pid_ = -1;
          exited = true;
          break;
        }
        if (bench::http_get_status(port_, "/", 500) != 0) return true;  // any answer: it serves
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      error_ = "the simulator did not start; its output ends with:\n" + bench::tail_of_file(log_file);
      if (!exited) {
        stop();
        return false;
      }
    }
    return false;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  const std::string& command() const { return command_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string error_, command_;
};

// -- /metrics samples ---------------------------------------------------------------------------

/// Sum of every sample of `name` (any labels) whose line holds `needle` ("" = all); -1 if none.
double metric_sum(const std::string& text, const std::string& name, const std::string& needle = "") {
  double sum = 0;
  bool any = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (text.compare(pos, name.size(), name) == 0 && pos + name.size() < eol &&
        (text[pos + name.size()] == ' ' || text[pos + name.size()] == '{')) {
      std::string line = text.substr(pos, eol - pos);
      if (needle.empty() || line.find(needle) != std::string::npos) {
        auto sp = line.rfind(' ');
        if (sp != std::string::npos) {
          sum += std::strtod(line.c_str() + sp + 1, nullptr);
          any = true;
        }
      }
    }
    pos = eol + 1;
  }
  return any ? sum : -1;
}

// -- the load -----------------------------------------------------------------------------

/// POST /v1/signups with an Instagram handle only; each wrk thread sends
/// exactly `per_thread` signups, then GET /healthz until stopped.
std::string signup_script(const std::string& token, const std::string& run, uint64_t per_thread) {
  std::string s = std::string(bench::wrk_thread_ids_lua()) + R"lua(
n = 0
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer @TOKEN@" }
local filler = wrk.format("GET", "/healthz")
-- wrk calls request() once in thread 0's state to check the script (before
-- the run; that request is never sent): thread 0 generates one more.
function init(args)
  limit = @LIMIT@
  if tid == 0 then limit = limit + 1 end
end
function request()
  if n >= limit then return filler end
  n = n + 1
  local id = string.format("@RUN@-%d-%d", tid, n)
  local body = string.format(
    '{"event_id":"sg-%s","lead_id":"u-%s","occurred_at":"2026-11-28T12:00:00.000Z",' ..
    '"email":"ana.%s@exemplo.com.br","name":"Ana Souza","phone":"+5511912345678",' ..
    '"country":"BR","locale":"pt-BR","social":{"instagram":"creator_%s"},' ..
    '"source":{"utm_source":"ads","utm_medium":"cpc","utm_campaign":"bf26"}}',
    id, id, id, string.gsub(id, "-", "_"))
  return wrk.format("POST", "/v1/signups", headers, body)
end
acked = 0
function response(status, headers, body)
  -- GET /healthz answers 200; a signup 202 (anything else counts too, so a
  -- refused signup cannot keep the thread running). Stopping only once every
  -- signup of this thread has its answer: a stop drops requests not yet sent.
  if status ~= 200 then acked = acked + 1 end
  if acked >= @LIMIT@ then wrk.thread:stop() end
end
)lua";
  bench::replace_setting(s, "@TOKEN@", token);
  bench::replace_setting(s, "@RUN@", run);
  for (int i = 0; i < 3; ++i) bench::replace_setting(s, "@LIMIT@", std::to_string(per_thread));
  return s + bench::wrk_done_lua();
}

struct run_result {
  std::string name;
  bool ok = false, finished = false;
  std::string error;
  uint32_t latency_ms = 0;
  bool discovery = false;
  uint64_t leads = 0;              // signups sent
  double ingest_s = 0;             // first request -> every signup counted
  double final_s = 0;              // first request -> every lead final
  double mean_in_flight = 0, max_in_flight = 0, max_queued = 0;
  uint64_t samples = 0;
  std::optional<double> proc_mean, proc_p50, proc_p95, proc_p99;
  uint64_t succeeded = 0, failed = 0;
  double server_cpu_s = 0, sim_cpu_s = 0;
  std::string wrk_command, sim_command, server_command;
  uint64_t status_errors = 0, socket_errors = 0;
  bench::wrk_result healthz;       // GET /healthz on this server before the load (0 ms run only)
  std::string data_dir;            // kept (in the temp dir) until the benchmark ends
  double ingest_rate() const { return ingest_s > 0 ? static_cast<double>(leads) / ingest_s : 0; }
  double e2e_rate() const { return final_s > 0 ? static_cast<double>(leads) / final_s : 0; }
};

std::optional<double> opt_number(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject()) return std::nullopt;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  return it->value.GetDouble();
}

run_result run_case(const bench::temp_dir& tmp, const std::string& name, bool discovery, uint32_t latency_ms,
                    uint64_t leads, int connections, int threads, uint32_t max_in_flight, unsigned sim_threads,
                    double cap_s, double healthz_s = 0) {
  run_result r;
  r.name = name;
  r.discovery = discovery;
  r.latency_ms = latency_ms;
  simulator_child sim;
  if (discovery) {
    if (!sim.start(latency_ms, sim_threads, tmp / ("sim-" + name + ".log"))) {
      r.error = sim.error();
      return r;
    }
    r.sim_command = sim.command();
    std::printf("  [%s] %s (pid %d)\n", name.c_str(), sim.command().c_str(), static_cast<int>(sim.pid()));
  }
  auto cfg = bench::make_dev_config(true, std::nullopt, /*providers_off=*/!discovery);
  if (!cfg.error.empty()) {
    r.error = "config: " + cfg.error;
    return r;
  }
  if (discovery) {
    const std::string addr = "127.0.0.1:" + std::to_string(sim.port());
    int replaced = 0;
    while (bench::replace_setting(cfg.toml, "127.0.0.1:9090", addr) && replaced < 16) ++replaced;
    // [discovery.instagram] max_in_flight (the first one after its header).
    int mif = 0;
    const auto section = cfg.toml.find("[discovery.instagram]");
    const std::string from = "max_in_flight = 32";
    const auto at = section == std::string::npos ? std::string::npos : cfg.toml.find(from, section);
    if (at != std::string::npos) {
      cfg.toml.replace(at, from.size(), "max_in_flight = " + std::to_string(max_in_flight));
      mif = 1;
    }
    auto parsed = leadbase::parse_config(cfg.toml, "pipeline_bench config");
    if (replaced < 2 || mif < 1 || !parsed || !parsed->discovery.instagram ||
        parsed->discovery.instagram->base_url.find(addr) == std::string::npos ||
        parsed->discovery.instagram->max_in_flight != max_in_flight) {
      r.error = "could not point the dev config's [discovery.instagram] at the simulator" +
                (parsed ? std::string() : ": " + parsed.err().message);
      return r;
    }
  }
  const std::string conf = tmp / (name + ".toml"), data = tmp / ("data-" + name);
  if (!bench::write_file(conf, cfg.toml)) {
    r.error = "cannot write " + conf;
    return r;
  }
  bench::server_process server;
  if (!server.start(data, conf, tmp / (name + ".log"))) {
    r.error = server.error();
    return r;
  }
  r.server_command = server.command();
  std::printf("  [%s] %s (pid %d)\n", name.c_str(), server.command().c_str(), static_cast<int>(server.pid()));
  std::fflush(stdout);
  const uint16_t port = server.port();
  r.data_dir = data;
  // HTTP alone on the same server, before the signups (as ingest_bench does).
  if (healthz_s > 0)
    r.healthz = bench::run_healthz(port, name, tmp / ("healthz-" + name + ".lua"), connections, threads, healthz_s);

  const uint64_t per_thread = (leads + static_cast<uint64_t>(threads) - 1) / static_cast<uint64_t>(threads);
  r.leads = per_thread * static_cast<uint64_t>(threads);
  const double cpu0 = bench::process_cpu_seconds(server.pid()), sim_cpu0 = bench::process_cpu_seconds(sim.pid());

  // The monitor: /metrics every 50 ms until every lead is final (or the cap).
  std::atomic<bool> ingested{false}, done{false}, stop_monitor{false};
  std::mutex mu;
  double t_ingested = 0, t_final = 0, in_flight_sum = 0;
  const auto t0 = clock_type::now();
  std::thread monitor([&] {
    while (!stop_monitor.load() && bench::seconds_since(t0) < cap_s) {
      std::string m = bench::http_get_body(port, "/metrics", "dev-admin-token-0001");
      const double now = bench::seconds_since(t0);
      if (!m.empty()) {
        const double signups = metric_sum(m, "leadbase_signups_total");
        const double finals = metric_sum(m, "leadbase_processing_seconds_count");
        const double inflight = metric_sum(m, "leadbase_provider_in_flight_calls", "instagram");
        const double queued = metric_sum(m, "leadbase_provider_queued_calls", "instagram");
        std::lock_guard<std::mutex> g(mu);
        if (!ingested && signups >= static_cast<double>(r.leads)) {
          t_ingested = now;
          ingested = true;
        }
        if (inflight >= 0 && !done) {
          in_flight_sum += inflight;
          ++r.samples;
          r.max_in_flight = std::max(r.max_in_flight, inflight);
          r.max_queued = std::max(r.max_queued, queued);
        }
        // Without a provider, leads with a handle never reach a final state
        // (they stay `enriching`, see the report): the reference ends at ingest.
        if (ingested && (!discovery || finals >= static_cast<double>(r.leads))) {
          t_final = now;
          done = true;
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto w = bench::run_wrk(port, "/v1/signups", signup_script(cfg.ingest_token, name, per_thread),
                          tmp / ("signups-" + name + ".lua"), connections, threads, cap_s,
                          [&] { return ingested.load(); });
  r.wrk_command = w.command;
  r.status_errors = w.status_errors;
  r.socket_errors = w.socket_errors;
  std::printf("  [%s] %s\n", name.c_str(), w.command.c_str());
  std::fflush(stdout);
  if (!w.ok) {
    stop_monitor = true;
    monitor.join();
    r.error = w.error;
    return r;
  }
  monitor.join();
  {
    std::lock_guard<std::mutex> g(mu);
    r.ingest_s = t_ingested;
    r.final_s = t_final;
    r.finished = done.load();
    r.mean_in_flight = r.samples ? in_flight_sum / static_cast<double>(r.samples) : 0;
  }
  r.server_cpu_s = bench::process_cpu_seconds(server.pid()) - cpu0;
  r.sim_cpu_s = discovery ? bench::process_cpu_seconds(sim.pid()) - sim_cpu0 : 0;
  if (!ingested) {
    r.error = "not every signup was counted within " + std::to_string(std::lround(cap_s)) + " s (wrk: " +
              std::to_string(w.good()) + " ok, " + std::to_string(w.status_errors) + " non-2xx)";
  } else if (!r.finished) {
    r.error = "not every lead reached a final state within " + std::to_string(std::lround(cap_s)) + " s";
  }
  std::string stats = bench::http_get_body(port, "/v1/stats?window=1h", "dev-admin-token-0001");
  rapidjson::Document d;
  d.Parse(stats.c_str(), stats.size());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("processing_ms")) {
    const auto& p = d["processing_ms"];
    r.proc_mean = opt_number(p, "mean");
    r.proc_p50 = opt_number(p, "p50");
    r.proc_p95 = opt_number(p, "p95");
    r.proc_p99 = opt_number(p, "p99");
    if (d.HasMember("enrichment") && d["enrichment"].IsObject()) {
      r.succeeded = static_cast<uint64_t>(opt_number(d["enrichment"], "succeeded").value_or(0));
      r.failed = static_cast<uint64_t>(opt_number(d["enrichment"], "failed").value_or(0));
    }
  } else if (r.error.empty() && discovery) {
    r.error = "GET /v1/stats gave no processing_ms: " + stats.substr(0, 300);
  }
  if (!server.stop()) {
    std::printf("  [%s] the server did not exit cleanly; its log ends with:\n%s\n", name.c_str(),
                bench::tail_of_file(server.log_file()).c_str());
    if (r.error.empty()) r.error = "unclean server stop";
  }
  r.ok = r.error.empty();
  return r;
}

std::string fmt_opt(const std::optional<double>& v, const char* unit) {
  if (!v) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f%s", *v, unit);
  return buf;
}

void print_run(const run_result& r) {
  std::printf("\n  %s: %llu signups%s\n", r.name.c_str(), static_cast<unsigned long long>(r.leads),
              r.discovery ? (", simulator latency " + std::to_string(r.latency_ms) + " ms").c_str()
                          : ", discovery off (reference)");
  if (!r.error.empty()) std::printf("    FAILED: %s\n", r.error.c_str());
  std::printf("    ingest:      %8.0f signups/s  (all %llu counted after %.2f s; %llu non-2xx, %llu socket errors)\n",
              r.ingest_rate(), static_cast<unsigned long long>(r.leads), r.ingest_s,
              static_cast<unsigned long long>(r.status_errors), static_cast<unsigned long long>(r.socket_errors));
  if (r.finished && r.discovery)
    std::printf("    end to end:  %8.0f leads/s    (every lead final after %.2f s; drain after ingest %.2f s)\n",
                r.e2e_rate(), r.final_s, r.final_s - r.ingest_s);
  if (r.discovery) {
    std::printf("    instagram calls in flight: mean %.1f, max %.0f (samples every 50 ms); max queued %.0f\n",
                r.mean_in_flight, r.max_in_flight, r.max_queued);
    std::printf("    enrichment:  %llu succeeded, %llu failed\n", static_cast<unsigned long long>(r.succeeded),
                static_cast<unsigned long long>(r.failed));
  }
  std::printf("    processing_ms (signed_up recorded -> final): mean %s  p50 %s  p95 %s  p99 %s\n",
              fmt_opt(r.proc_mean, "").c_str(), fmt_opt(r.proc_p50, "").c_str(), fmt_opt(r.proc_p95, "").c_str(),
              fmt_opt(r.proc_p99, "").c_str());
  if (r.discovery && r.proc_mean && *r.proc_mean > 0)
    std::printf("    pipeline share beyond the provider's latency: (%.1f - %u) / %.1f = %.1f %%\n", *r.proc_mean,
                r.latency_ms, *r.proc_mean, 100.0 * (*r.proc_mean - r.latency_ms) / *r.proc_mean);
  std::printf("    CPU: server %.1f s%s over the run\n", r.server_cpu_s,
              r.discovery ? (", simulator " + std::to_string(r.sim_cpu_s).substr(0, 5) + " s").c_str() : "");
}

/// The 0 ms run's ceiling (see the header comment): its parts, then the ratios.
struct pipeline_ceiling {
  bool ok = false;
  std::string error;
  bench::written wrote;
  bench::ceiling_estimate c;
};

pipeline_ceiling make_pipeline_ceiling(const run_result& r, const bench::db_bench_result& puts) {
  pipeline_ceiling pc;
  if (!r.healthz.ok || r.healthz.good_per_sec() <= 0) {
    pc.error = "no GET /healthz rate" + (r.healthz.error.empty() ? std::string() : ": " + r.healthz.error);
    return pc;
  }
  if (!puts.ok) {
    pc.error = "no db_bench sync=0 rate: " + puts.error;
    return pc;
  }
  if (r.data_dir.empty()) {
    pc.error = "the run wrote no data dir";
    return pc;
  }
  pc.wrote = bench::count_keys(r.data_dir);  // the server has stopped: RocksDB is closed
  if (!pc.wrote.ok) {
    pc.error = "cannot count the keys written: " + pc.wrote.error;
    return pc;
  }
  pc.c = bench::estimate_ceiling(r.healthz.good_per_sec(), /*http_requests=*/2, pc.wrote, puts.ops_per_sec);
  pc.ok = true;
  return pc;
}

void print_ceiling(const pipeline_ceiling& pc, const run_result& r, const char* indent) {
  if (!pc.ok) {
    std::printf("%sceiling: n/a (%s)\n", indent, pc.error.c_str());
    return;
  }
  const auto& c = pc.c;
  std::printf("%sceiling: %.0f leads/s = %u cores * 1e6 / (HTTP 2 x %.1f core-us (%u cores / healthz rate %.0f/s: the\n"
              "%s         signup POST and the Creator Discovery call, client + server here) = %.1f core-us\n"
              "%s         + %.1f keys per lead (%llu keys / %llu leads, counted in the data dir) at RocksDB's\n"
              "%s         %.0f keys/s = %.1f core-us)\n",
              indent, c.per_second(), c.cores, c.http_us_per_request, c.cores, r.healthz.good_per_sec(), indent,
              c.http_us(), indent, c.keys_per_item, static_cast<unsigned long long>(pc.wrote.keys),
              static_cast<unsigned long long>(pc.wrote.leads), indent, c.keys_per_sec, c.store_us());
  std::printf("%s%s end to end / ceiling = %s;  target 10000 / ceiling = %s\n", indent, r.name.c_str(),
              bench::fmt_ratio(r.finished ? r.e2e_rate() : 0, c.per_second()).c_str(),
              bench::fmt_ratio(10000, c.per_second()).c_str());
  std::printf("%s(the ceiling leaves out JSON, sealing, hashing, actors, fsync and projections' reads: an upper bound)\n",
              indent);
}

} // namespace

int main(int argc, char** argv) {
  const auto t0 = clock_type::now();
  bench::args a(argc, argv);
  const auto leads = static_cast<uint64_t>(a.number("leads", 20000, 1, 10000000));
  const auto slow_leads = static_cast<uint64_t>(a.number("slow-leads", 3000, 0, 10000000));
  const auto latency = static_cast<uint32_t>(a.number("latency-ms", 50, 1, 60000));
  const int connections = static_cast<int>(a.number("connections", 64, 1, 10000));
  const int threads = static_cast<int>(std::min<double>(a.number("threads", 2, 1, 64), connections));
  const auto max_in_flight = static_cast<uint32_t>(a.number("max-in-flight", 32, 1, 100000));
  const auto sim_threads = static_cast<unsigned>(a.number("sim-threads", 1, 1, 64));
  const double cap_s = a.number("cap-seconds", 300, 5, 3600);
  const double healthz_s = a.number("healthz-seconds", 10, 1, 600);
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "pipeline_bench: %s\n", a.error().c_str());
    std::fprintf(stderr,
                 "usage: pipeline_bench [--leads=20000] [--slow-leads=3000] [--latency-ms=50] [--connections=64]\n"
                 "                      [--threads=2] [--max-in-flight=32] [--sim-threads=1] [--cap-seconds=300]\n"
                 "                      [--healthz-seconds=10]\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("pipeline_bench",
                      "signups per second from POST /v1/signups to the lead's final state (qualified and enriched "
                      "through the Instagram client against `leadbase simulate-discovery`), beside ingest alone and "
                      "the 0 ms ceiling (GET /healthz on the same server + db_bench's CPU per key)",
                      a.command());
  for (const char* tool : {"wrk", "db_bench", "timeout"})
    if (!bench::on_path(tool)) {
      std::fprintf(stderr, "pipeline_bench: '%s' is not on PATH\n", tool);
      return 1;
    }
  bench::temp_dir tmp("leadbase-pipeline-bench");
  if (!tmp.ok()) {
    std::fprintf(stderr, "pipeline_bench: cannot create a temp dir\n");
    return 1;
  }
  // RocksDB's CPU per key (for the ceiling) first, while nothing else of ours runs.
  std::printf("reference: db_bench without fsync, in %s\n", tmp.path().c_str());
  std::fflush(stdout);
  const auto puts = bench::run_db_bench_cpu_per_key(tmp.path());
  std::printf("\n%d connections, %d wrk threads, max_in_flight %u, simulator threads %u, cap %.0f s per run\n",
              connections, threads, max_in_flight, sim_threads, cap_s);
  std::fflush(stdout);

  std::vector<run_result> runs;
  runs.push_back(run_case(tmp, "ingest-only", false, 0, leads, connections, threads, max_in_flight, sim_threads, cap_s));
  print_run(runs.back());
  std::printf("  load average now %s\n", bench::load_average().c_str());
  std::fflush(stdout);
  runs.push_back(run_case(tmp, "pipeline-0ms", true, 0, leads, connections, threads, max_in_flight, sim_threads, cap_s,
                          healthz_s));
  print_run(runs.back());
  const auto ceiling = make_pipeline_ceiling(runs.back(), puts);
  print_ceiling(ceiling, runs.back(), "    ");
  std::printf("  load average now %s\n", bench::load_average().c_str());
  std::fflush(stdout);
  if (slow_leads > 0) {
    runs.push_back(run_case(tmp, "pipeline-" + std::to_string(latency) + "ms", true, latency, slow_leads, connections,
                            threads, max_in_flight, sim_threads, cap_s));
    print_run(runs.back());
  }

  // -- summary -----------------------------------------------------------------------
  const run_result& ref = runs[0];
  std::printf("\n-- results --\n");
  std::printf("  %-16s %9s %12s %11s %12s %9s %9s %9s %8s\n", "run", "signups", "ingest/s", "e2e leads/s", "in flight",
              "mean ms", "p50 ms", "p99 ms", "beyond");
  for (const auto& r : runs) {
    char share[32] = "n/a";
    if (r.discovery && r.proc_mean && *r.proc_mean > 0)
      std::snprintf(share, sizeof share, "%.1f%%", 100.0 * (*r.proc_mean - r.latency_ms) / *r.proc_mean);
    char inflight[32] = "-";
    if (r.discovery) std::snprintf(inflight, sizeof inflight, "%.1f/%.0f", r.mean_in_flight, r.max_in_flight);
    std::printf("  %-16s %9llu %12.0f %11.0f %12s %9s %9s %9s %8s%s\n", r.name.c_str(),
                static_cast<unsigned long long>(r.leads), r.ingest_rate(),
                r.finished && r.discovery ? r.e2e_rate() : 0.0, inflight,
                fmt_opt(r.proc_mean, "").c_str(), fmt_opt(r.proc_p50, "").c_str(), fmt_opt(r.proc_p99, "").c_str(),
                share, r.ok ? "" : "  (FAILED)");
  }
  bench::print_wrk("GET /healthz, pipeline-0ms server", runs[1].healthz);
  bench::print_db_bench_cpu_per_key(puts);
  std::printf("  (in flight = Instagram calls in flight, mean/max of 50 ms samples; beyond = (mean processing_ms -\n"
              "   latency) / mean processing_ms, the share of the processing time that is not the provider's)\n");
  std::printf("\n-- ratios --\n");
  for (size_t i = 1; i < runs.size(); ++i) {
    const auto& r = runs[i];
    std::printf("  %s end to end / ingest-only = %s\n", r.name.c_str(), bench::fmt_ratio(r.e2e_rate(), ref.ingest_rate()).c_str());
    if (r.latency_ms > 0)
      std::printf("  %s bound max_in_flight / latency = %u / %u ms = %.0f calls/s; end to end / bound = %s\n",
                  r.name.c_str(), max_in_flight, r.latency_ms, max_in_flight * 1000.0 / r.latency_ms,
                  bench::fmt_ratio(r.e2e_rate(), max_in_flight * 1000.0 / r.latency_ms).c_str());
  }
  if (runs.size() > 1 && runs[1].finished)
    std::printf("  target (issue): >= 10000 leads/s end to end at 0 ms on 2 cores; measured %.0f (%s of the target)\n",
                runs[1].e2e_rate(), bench::fmt_ratio(runs[1].e2e_rate(), 10000).c_str());
  // The pipeline does everything ingest alone does for the same signups, and
  // then the enrichment: the ingest-only run is an upper bound measured on
  // this machine, with the whole HTTP, actor and journal path in it.
  if (runs.size() > 1 && runs[0].ok)
    std::printf("  bound (same run): ingest alone, the same signups with no enrichment, %.0f signups/s = %s of the\n"
                "                   target: the pipeline does all of that work and the enrichment on top\n",
                runs[0].ingest_rate(), bench::fmt_ratio(runs[0].ingest_rate(), 10000).c_str());
  print_ceiling(ceiling, runs[1], "  ");

  bool failed = false;
  for (const auto& r : runs) failed |= !r.ok;
  failed |= !ceiling.ok;
  bench::print_footer(bench::seconds_since(t0));
  if (failed) std::printf("pipeline_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
