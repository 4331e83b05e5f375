// ingest_bench: durable ingest over HTTP (POST /v1/signups), end to end.
//
// Starts `leadbase serve` as a child (fresh temp data dir, free loopback port),
// drives it with wrk (keep-alive, C connections, unique event/lead ids from a
// generated Lua script) and prints acknowledged signups/s and latency beside
// references measured in the same run:
//   (a) the same server's GET /healthz under the same load (HTTP alone);
//   (b) db_bench fillrandom --sync=1 at batch 16 and 128 (RocksDB's own synced
//       group write; gives the fsync latency of one batch).
//   (c) db_bench fillrandom --sync=0 at batch 128: RocksDB's CPU per key.
//   (d) the real peer: PostgreSQL doing the same work per signup in one
//       synchronous transaction (benchmarks/postgres_peer.hpp), driven by
//       pgbench with as many clients as wrk has connections; skipped with a
//       message where PostgreSQL is not installed. Target: ingest >= 3x it.
// The ceiling combines (a) and (c): HTTP's cost per request (the cores over the
// /healthz rate, wrk included) plus RocksDB's CPU for the keys one signup
// writes (counted in the data dir afterwards): the most this machine could
// ingest with nothing else done at all.
// With sync=true every acknowledged signup waits for one fsync'd group commit,
// so with C connections the rate is at most C / (latency of one synced batch):
// that bound is computed from db_bench's per-batch latency. A second server
// with [durability] sync = false shows the CPU-bound rate.
//
// Usage: ingest_bench [--seconds=10] [--connections=64] [--threads=2] [--db-bench-batches=1500]
// Exit code: 0 when everything ran (whatever the figures), 1 when something failed to run, 2 on bad usage.
#include <cstdio>

#include "benchmarks/bench_util.hpp"
#include "benchmarks/postgres_peer.hpp"

namespace {

struct server_run {
  bool ok = false;
  std::string error;
  bench::wrk_result healthz, signups;
  bool clean_stop = false;
  double stop_s = 0;
  uint64_t data_bytes = 0;
  std::string data_dir;
};

server_run run_server(const bench::temp_dir& tmp, const std::string& name, const bench::dev_config& cfg,
                      bool with_healthz, int connections, int threads, double seconds) {
  server_run r;
  const std::string conf = tmp / (name + ".toml"), data = tmp / ("data-" + name);
  if (!bench::write_file(conf, cfg.toml)) {
    r.error = "cannot write " + conf;
    return r;
  }
  bench::server_process server;
  std::printf("  [%s] %s\n", name.c_str(), "starting the server");
  std::fflush(stdout);
  if (!server.start(data, conf, tmp / (name + ".log"))) {
    r.error = server.error();
    return r;
  }
  std::printf("  [%s] %s (pid %d)\n", name.c_str(), server.command().c_str(), static_cast<int>(server.pid()));
  if (auto e = bench::check_one_signup(server.port(), cfg.ingest_token, name + "-check"); !e.empty()) {
    r.error = e;
    return r;
  }
  if (with_healthz) {
    r.healthz = bench::run_healthz(server.port(), name, tmp / "healthz.lua", connections, threads, seconds);
    if (!r.healthz.ok) return r;
  }
  r.signups = bench::run_wrk(server.port(), "/v1/signups", bench::wrk_signup_script(cfg.ingest_token, name, 0),
                             tmp / ("signups-" + name + ".lua"), connections, threads, seconds);
  std::printf("  [%s] %s\n", name.c_str(), r.signups.command.c_str());
  bench::print_wrk(("POST /v1/signups " + name).c_str(), r.signups);
  std::fflush(stdout);
  r.clean_stop = server.stop();
  r.stop_s = server.stop_seconds();
  r.data_bytes = bench::dir_bytes(data);
  r.data_dir = data;
  if (!r.clean_stop)
    std::printf("  [%s] the server did not exit cleanly; its log ends with:\n%s\n", name.c_str(),
                bench::tail_of_file(server.log_file()).c_str());
  r.ok = r.signups.ok && r.signups.good() > 0 && r.clean_stop;
  if (r.signups.ok && r.signups.good() == 0) r.error = "no signup was acknowledged";
  return r;
}

} // namespace

int main(int argc, char** argv) {
  const auto t0 = bench::clock_type::now();
  bench::args a(argc, argv);
  const double seconds = a.number("seconds", 10, 1, 600);
  const int connections = static_cast<int>(a.number("connections", 64, 1, 10000));
  const int threads = static_cast<int>(std::min<double>(a.number("threads", 2, 1, 64), connections));
  const auto db_batches = static_cast<uint64_t>(a.number("db-bench-batches", 1500, 10, 1000000));
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "ingest_bench: %s\n", a.error().c_str());
    std::fprintf(stderr,
                 "usage: ingest_bench [--seconds=10] [--connections=64] [--threads=2] [--db-bench-batches=1500]\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("ingest_bench",
                      "acknowledged POST /v1/signups per second over keep-alive HTTP (wrk), sync=true and "
                      "sync=false, beside GET /healthz on the same server, db_bench's synced batch writes and a PostgreSQL peer",
                      a.command());

  for (const char* tool : {"wrk", "db_bench", "timeout"})
    if (!bench::on_path(tool)) {
      std::fprintf(stderr, "ingest_bench: '%s' is not on PATH\n", tool);
      return 1;
    }
  bench::temp_dir tmp("leadbase-ingest-bench");
  if (!tmp.ok()) {
    std::fprintf(stderr, "ingest_bench: cannot create a temp dir\n");
    return 1;
  }
  auto sync_cfg = bench::make_dev_config(true, std::nullopt);
  auto nosync_cfg = bench::make_dev_config(false, std::nullopt);
  if (!sync_cfg.error.empty() || !nosync_cfg.error.empty()) {
    std::fprintf(stderr, "ingest_bench: config: %s%s\n", sync_cfg.error.c_str(), nosync_cfg.error.c_str());
    return 1;
  }

  // (b) RocksDB's own synced batch writes first, while nothing else of ours runs.
  std::printf("reference (b): db_bench, %llu synced batches each, 300-byte values, in %s\n",
              static_cast<unsigned long long>(db_batches), tmp.path().c_str());
  std::fflush(stdout);
  auto db16 = bench::run_db_bench(tmp.path(), 16, db_batches);
  bench::print_db_bench(db16);
  std::fflush(stdout);
  auto db128 = bench::run_db_bench(tmp.path(), 128, db_batches);
  bench::print_db_bench(db128);
  // (c) RocksDB's CPU cost per key: the same writes without fsync, 100-byte values.
  auto puts = bench::run_db_bench_cpu_per_key(tmp.path());
  // (d) the PostgreSQL peer, alone on the machine like every other run.
  std::printf("\nreference (d): PostgreSQL peer, %d clients, %.0f s\n", connections, seconds);
  std::fflush(stdout);
  auto peer = bench::run_postgres_peer(tmp.path(), connections, threads, seconds);
  bench::print_postgres_peer(peer);
  std::printf("\nserver runs: %d connections, %d wrk threads, %.0f s each, load average now %s\n", connections, threads,
              seconds, bench::load_average().c_str());
  std::fflush(stdout);

  auto synced = run_server(tmp, "sync", sync_cfg, true, connections, threads, seconds);
  if (!synced.error.empty()) std::printf("  [sync] FAILED: %s\n", synced.error.c_str());
  auto unsynced = run_server(tmp, "nosync", nosync_cfg, false, connections, threads, seconds);
  if (!unsynced.error.empty()) std::printf("  [nosync] FAILED: %s\n", unsynced.error.c_str());

  // -- summary ---------------------------------------------------------------------
  std::printf("\n-- results (%d connections, %.0f s per run) --\n", connections, seconds);
  bench::print_wrk("(a) GET /healthz, same server", synced.healthz);
  bench::print_wrk("POST /v1/signups, sync=true", synced.signups);
  bench::print_wrk("POST /v1/signups, sync=false", unsynced.signups);
  bench::print_db_bench(db16);
  bench::print_db_bench(db128);
  bench::print_postgres_peer(peer);
  if (synced.data_bytes)
    std::printf("  data dir after the sync=true run: %.1f MiB\n", static_cast<double>(synced.data_bytes) / 1048576.0);

  const double ingest = synced.signups.ok ? synced.signups.good_per_sec() : 0;
  const double ingest_nosync = unsynced.signups.ok ? unsynced.signups.good_per_sec() : 0;
  const double healthz = synced.healthz.ok ? synced.healthz.good_per_sec() : 0;
  std::printf("\n-- ratios --\n");
  std::printf("  ingest(sync=true)  / healthz  = %s   (docs/performance.md: at least 0.5 of a plain static-200 server)\n",
              bench::fmt_ratio(ingest, healthz).c_str());
  std::printf("  ingest(sync=false) / healthz  = %s   (CPU-bound: HTTP + JSON + actors + RocksDB without fsync)\n",
              bench::fmt_ratio(ingest_nosync, healthz).c_str());
  std::printf("  ingest(sync=true)  / ingest(sync=false) = %s\n", bench::fmt_ratio(ingest, ingest_nosync).c_str());
  if (peer.ran)
    std::printf("  ingest(sync=true)  / PostgreSQL peer = %s   (target: at least 3x; the peer has no HTTP, JSON,\n"
                "                                          sealing or hashing, only the same durable writes)\n",
                bench::fmt_ratio(ingest, peer.tps).c_str());
  // The ceiling: what a signup costs at the very least on this machine, with
  // nothing of ours done at all: the HTTP exchange (/healthz saturates the
  // cores, wrk included) plus RocksDB's CPU for the keys a signup writes.
  const auto wrote = synced.data_dir.empty() ? bench::written{} : bench::count_keys(synced.data_dir);
  if (wrote.ok && puts.ok && healthz > 0) {
    const auto c = bench::estimate_ceiling(healthz, /*http_requests=*/1, wrote, puts.ops_per_sec);
    const double ceiling = c.per_second();
    std::printf("  ceiling            / healthz  = %s   (%.0f signups/s: HTTP %.1f core-us (%u cores / healthz rate)\n"
                "                                          + %.1f keys per signup (counted in the data dir) at RocksDB's\n"
                "                                          %.0f keys/s = %.1f core-us; no JSON, sealing, hashing or actors)\n",
                bench::fmt_ratio(ceiling, healthz).c_str(), ceiling, c.http_us(), c.cores, c.keys_per_item,
                c.keys_per_sec, c.store_us());
    std::printf("  ingest(sync=true)  / ceiling  = %s\n", bench::fmt_ratio(ingest, ceiling).c_str());
  } else if (!wrote.ok) {
    std::printf("  ceiling: cannot count the keys written: %s\n", wrote.error.c_str());
  }
  std::printf(
      "\n  Why sync=true is bounded: a signup is acknowledged only after the journal's group commit\n"
      "  that holds it is fsync'd. With %d connections at most %d signups are in flight, so at best every\n"
      "  commit carries all of them and the rate is at most connections / (latency of one synced batch).\n",
      connections, connections);
  for (const auto* d : {&db128, &db16}) {
    if (!d->ok) continue;
    const double bound = connections / (d->micros_per_batch() / 1e6);
    std::printf("  db_bench synced batch of %3d: %.0f us -> bound %d / %.0f us = %.0f signups/s; ingest / bound = %s\n",
                d->batch_size, d->micros_per_batch(), connections, d->micros_per_batch(), bound,
                bench::fmt_ratio(ingest, bound).c_str());
  }
  if (db128.ok && synced.signups.ok)
    std::printf("  ingest p50 latency / synced-batch latency (batch 128) = %s  (1x = one fsync per request, nothing else)\n",
                bench::fmt_ratio(synced.signups.p50_us, db128.micros_per_batch()).c_str());
  std::printf(
      "  (Each of our events is ~5 RocksDB puts — event, global index, event-id index, head, key — of a\n"
      "   ~0.5 KB sealed envelope, so one commit of 64 signups writes more WAL bytes than db_bench's batch.)\n"
      "  Note: Debian's db_bench is built with assertions on (it says so); fsync dominates here anyway.\n");

  const bool failed = !db16.ok || !db128.ok || !synced.ok || !unsynced.ok || !synced.healthz.ok;
  bench::print_footer(bench::seconds_since(t0));
  if (failed) std::printf("ingest_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
