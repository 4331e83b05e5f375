// append_bench: raw durable append, in process, no HTTP.
//
// 1. storage::event_log::append_batch with sync=true at batch sizes 16 and 128:
//    one new lead with one realistic signed_up event per request (sealed
//    personal fields, hash chain, both indexes, head and key), events/s and
//    microseconds per synced batch; beside `db_bench fillrandom --sync=1` at the
//    same batch size and number of batches, run as a child of this program,
//    interleaved with ours. docs/performance.md target: within 2x of db_bench.
// 2. The whole in-process write path through actors::start_lead_service
//    (registry -> lead actor -> decide -> journal group commit -> callback),
//    keeping K appends in flight (64 and 256), for comparison.
//
// Usage: append_bench [--batches=1000] [--actor-seconds=5] [--max-seconds=30]
// Exit code: 0 when everything ran, 1 when something failed to run, 2 on bad usage.
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "actors/service.hpp"
#include "benchmarks/bench_util.hpp"
#include "events/codec.hpp"
#include "storage/event_log.hpp"
#include "storage/sealing.hpp"

using namespace leadbase;

namespace {

constexpr millis occurred = 1764331200000;  // 2025-11-28T12:00:00Z

/// A signup as the HTTP layer would hand it over: unique ids, realistic fields.
event make_signup(const std::string& id, uint64_t n) {
  signed_up s;
  s.email = "ana." + id + "@exemplo.com.br";
  s.name = "Ana Souza";
  s.phone = "+5511912345678";
  s.document = "52998224725";
  s.social.instagram = "anasouza" + std::to_string(n);
  s.social.youtube = "@anasouza" + std::to_string(n);
  s.social.tiktok = "anasouza";
  s.country = "BR";
  s.locale = "pt-BR";
  s.source.utm_source = "ads";
  s.source.utm_medium = "cpc";
  s.source.utm_campaign = "bf26";
  event e;
  e.meta.event_id = "sg-" + id;
  e.meta.lead_id = "u-" + id;
  e.meta.occurred_at = occurred;
  e.meta.correlation_id = "c-" + id;
  e.data = std::move(s);
  return e;
}

struct direct_result {
  bool ok = false;
  std::string error;
  int batch_size = 0;
  uint64_t batches = 0, events = 0;
  double seconds = 0;
  std::vector<double> batch_us;
  uint64_t data_bytes = 0;
  double events_per_sec() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
  double mean_batch_us() const { return batches ? seconds * 1e6 / static_cast<double>(batches) : 0; }
};

direct_result run_direct(const std::string& dir, int batch_size, uint64_t batches, double max_seconds) {
  direct_result r;
  r.batch_size = batch_size;
  storage::log_options lo;
  lo.dir = dir;
  lo.sync = true;
  auto log = storage::event_log::open(lo);
  if (!log) {
    r.error = "open: " + log.err().message;
    return r;
  }
  // Build every request first: the timed part is append_batch alone (seal,
  // encode, hash, index look-ups, one synced WriteBatch).
  std::vector<std::vector<storage::append_request>> all(batches);
  uint64_t n = 0;
  for (auto& batch : all) {
    batch.resize(static_cast<size_t>(batch_size));
    for (auto& req : batch) {
      const std::string id = "b" + std::to_string(batch_size) + "-" + std::to_string(++n);
      req.key = storage::make_data_key();
      req.new_key = true;
      req.expected_version = 0;
      event e = make_signup(id, n);
      e.meta.digest = storage::keyed_digest(req.key, canonical_bytes(e));
      req.lead_id = e.meta.lead_id;
      req.events.push_back(std::move(e));
    }
  }
  r.batch_us.reserve(batches);
  const auto t0 = bench::clock_type::now();
  for (auto& batch : all) {
    const auto b0 = bench::clock_type::now();
    auto results = (*log)->append_batch(batch, occurred + 1000);
    r.batch_us.push_back(bench::seconds_since(b0) * 1e6);
    for (const auto& res : results)
      if (res.code != errc::success) {
        r.error = "append_batch: " + res.message;
        return r;
      }
    ++r.batches;
    r.events += batch.size();
    if (bench::seconds_since(t0) > max_seconds) break;
  }
  r.seconds = bench::seconds_since(t0);
  log->reset();
  r.data_bytes = bench::dir_bytes(dir);
  r.ok = true;
  return r;
}

void print_direct(const direct_result& r) {
  if (!r.ok) {
    std::printf("  leadbase append_batch batch %-4d FAILED: %s\n", r.batch_size, r.error.c_str());
    return;
  }
  std::printf(
      "  leadbase append_batch sync=1 batch %-4d %9.0f events/s %8.0f us per synced batch (p50 %.0f, p99 %.0f; "
      "%llu batches, %.1f s)\n",
      r.batch_size, r.events_per_sec(), r.mean_batch_us(), bench::percentile(r.batch_us, 50),
      bench::percentile(r.batch_us, 99), static_cast<unsigned long long>(r.batches), r.seconds);
}

// -- the actor write path -----------------------------------------------------------

struct actor_result {
  bool ok = false;
  std::string error;
  size_t in_flight = 0;
  uint64_t ok_count = 0, failed = 0, journal_batches = 0, journal_events = 0;
  double seconds = 0;
  std::vector<double> latency_us;
  size_t live_leads = 0;
  double per_sec() const { return seconds > 0 ? static_cast<double>(ok_count) / seconds : 0; }
};

actor_result run_actors(lead_service& svc, size_t in_flight, double seconds, uint64_t& next_id) {
  actor_result r;
  r.in_flight = in_flight;
  struct shared_state {
    std::mutex m;
    std::condition_variable cv;
    size_t pending = 0;
    uint64_t ok = 0, failed = 0;
    std::string first_error;
    std::vector<double> latency_us;
  };
  auto sh = std::make_shared<shared_state>();
  sh->latency_us.reserve(1 << 20);
  const uint64_t batches0 = svc.journal().batches.load(std::memory_order_relaxed);
  const uint64_t events0 = svc.journal().events.load(std::memory_order_relaxed);
  const uint64_t max_appends = 50'000'000;  // a bound on the loop, far beyond any rate here
  const auto t0 = bench::clock_type::now();
  uint64_t issued = 0;
  while (bench::seconds_since(t0) < seconds && issued < max_appends) {
    {
      std::unique_lock<std::mutex> lk(sh->m);
      if (!sh->cv.wait_for(lk, std::chrono::seconds(5), [&] { return sh->pending < in_flight; })) {
        r.error = "no append finished within 5 s";
        break;
      }
      ++sh->pending;
    }
    ++issued;
    const std::string id = "a" + std::to_string(in_flight) + "-" + std::to_string(++next_id);
    append_command cmd;
    cmd.ev = make_signup(id, next_id);
    const auto started = bench::clock_type::now();
    svc.append(std::move(cmd), [sh, started](append_outcome o) {
      const double us = bench::seconds_since(started) * 1e6;
      std::lock_guard<std::mutex> g(sh->m);
      if (o.code == errc::success && !o.duplicate) {
        ++sh->ok;
        sh->latency_us.push_back(us);
      } else {
        ++sh->failed;
        if (sh->first_error.empty()) sh->first_error = std::string(to_string(o.code)) + ": " + o.message;
      }
      --sh->pending;
      sh->cv.notify_one();
    });
  }
  {
    std::unique_lock<std::mutex> lk(sh->m);
    if (!sh->cv.wait_for(lk, std::chrono::seconds(60), [&] { return sh->pending == 0; }) && r.error.empty())
      r.error = "appends still in flight 60 s after the last was sent";
  }
  r.seconds = bench::seconds_since(t0);
  r.live_leads = svc.live_leads();
  r.journal_batches = svc.journal().batches.load(std::memory_order_relaxed) - batches0;
  r.journal_events = svc.journal().events.load(std::memory_order_relaxed) - events0;
  std::lock_guard<std::mutex> g(sh->m);
  r.ok_count = sh->ok;
  r.failed = sh->failed;
  r.latency_us = std::move(sh->latency_us);
  if (sh->failed && r.error.empty()) r.error = std::to_string(sh->failed) + " appends failed, first: " + sh->first_error;
  r.ok = r.error.empty() && r.ok_count > 0;
  return r;
}

void print_actors(const actor_result& r) {
  if (!r.error.empty()) std::printf("  actors, %zu in flight: FAILED: %s\n", r.in_flight, r.error.c_str());
  if (r.ok_count == 0) return;
  std::printf(
      "  start_lead_service, %3zu in flight  %9.0f events/s  latency p50 %.2f ms p99 %.2f ms; %llu journal writes, "
      "mean %.1f appends per write; live lead actors after: %zu\n",
      r.in_flight, r.per_sec(), bench::percentile(r.latency_us, 50) / 1000, bench::percentile(r.latency_us, 99) / 1000,
      static_cast<unsigned long long>(r.journal_batches),
      r.journal_batches ? static_cast<double>(r.journal_events) / static_cast<double>(r.journal_batches) : 0.0,
      r.live_leads);
}

} // namespace

int main(int argc, char** argv) {
  const auto t0 = bench::clock_type::now();
  bench::args a(argc, argv);
  const auto batches = static_cast<uint64_t>(a.number("batches", 1000, 10, 1000000));
  const double actor_seconds = a.number("actor-seconds", 5, 0, 600);
  const double max_seconds = a.number("max-seconds", 30, 1, 3600);
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "append_bench: %s\n", a.error().c_str());
    std::fprintf(stderr, "usage: append_bench [--batches=1000] [--actor-seconds=5] [--max-seconds=30]\n"
                         "  --batches: synced batches per batch size (ours and db_bench's)\n"
                         "  --max-seconds: stop our run of one batch size after this long\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("append_bench",
                      "event_log::append_batch with sync=true (one new lead + one signed_up event per request) at "
                      "batch 16 and 128, beside db_bench fillrandom --sync=1 at the same batch size; then the "
                      "in-process actor write path",
                      a.command());
  for (const char* tool : {"db_bench", "timeout"})
    if (!bench::on_path(tool)) {
      std::fprintf(stderr, "append_bench: '%s' is not on PATH\n", tool);
      return 1;
    }
  bench::temp_dir tmp("leadbase-append-bench");
  if (!tmp.ok()) {
    std::fprintf(stderr, "append_bench: cannot create a temp dir\n");
    return 1;
  }
  {
    // One stored signup, to say how big "realistic" is.
    event e = make_signup("b0-1", 1);
    auto key = storage::make_data_key();
    const std::string bytes = encode_event(e, storage::seal(key, encode_personal(personal_of(e))));
    std::printf("one stored signed_up envelope: %zu bytes (sealed personal fields included); db_bench values: 300 bytes\n\n",
                bytes.size());
  }

  bool failed = false;
  std::vector<std::pair<bench::db_bench_result, direct_result>> rows;
  for (int b : {16, 128}) {
    std::printf("batch %d, %llu synced batches each (load average now %s):\n", b,
                static_cast<unsigned long long>(batches), bench::load_average().c_str());
    std::fflush(stdout);
    auto db = bench::run_db_bench(tmp.path(), b, batches);
    std::printf("  $ %s\n", db.command.c_str());
    bench::print_db_bench(db);
    std::fflush(stdout);
    auto ours = run_direct(tmp / ("log-b" + std::to_string(b)), b, batches, max_seconds);
    print_direct(ours);
    std::fflush(stdout);
    failed = failed || !db.ok || !ours.ok;
    rows.emplace_back(std::move(db), std::move(ours));
  }

  std::vector<actor_result> actor_rows;
  if (actor_seconds > 0) {
    std::printf("\nin-process write path (start_lead_service, sync=true, default options but follow_ups = false), %.0f s per run "
        "(load average now %s):\n",
                actor_seconds, bench::load_average().c_str());
    std::fflush(stdout);
    storage::log_options lo;
    lo.dir = tmp / "log-actors";
    lo.sync = true;
    auto log = storage::event_log::open(lo);
    if (!log) {
      std::printf("  FAILED to open the log: %s\n", log.err().message.c_str());
      failed = true;
    } else {
      actors::service_options so;
      so.follow_ups = false;  // one append = one event: no qualification or enrichment after the signup
      auto svc = actors::start_lead_service(**log, so);
      if (!svc) {
        std::printf("  FAILED to start the service: %s\n", svc.err().message.c_str());
        failed = true;
      } else {
        uint64_t next_id = 0;
        for (size_t k : {size_t{64}, size_t{256}}) {
          actor_rows.push_back(run_actors(**svc, k, actor_seconds, next_id));
          print_actors(actor_rows.back());
          std::fflush(stdout);
          failed = failed || !actor_rows.back().ok;
        }
        svc->reset();
      }
      log->reset();
    }
  }

  std::printf("\n-- ratios (leadbase events/s / db_bench keys/s at the same batch size; docs/performance.md: within 2x, i.e. >= 0.50x) --\n");
  for (const auto& [db, ours] : rows) {
    if (!db.ok || !ours.ok) continue;
    std::printf("  batch %-4d leadbase %9.0f events/s vs db_bench %9.0f keys/s -> %s   (per synced batch: %.0f us vs %.0f us -> %s)\n",
                db.batch_size, ours.events_per_sec(), db.ops_per_sec,
                bench::fmt_ratio(ours.events_per_sec(), db.ops_per_sec).c_str(), ours.mean_batch_us(),
                db.micros_per_batch(), bench::fmt_ratio(ours.mean_batch_us(), db.micros_per_batch()).c_str());
    std::printf("             (bytes on disk after the run: %.0f per event; a leadbase event is ~5 RocksDB puts)\n",
                ours.events ? static_cast<double>(ours.data_bytes) / static_cast<double>(ours.events) : 0.0);
  }
  if (!rows.empty() && rows.back().second.ok)
    for (const auto& r : actor_rows)
      if (r.ok_count)
        std::printf("  actor path, %3zu in flight / direct append_batch at batch 128 = %s\n", r.in_flight,
                    bench::fmt_ratio(r.per_sec(), rows.back().second.events_per_sec()).c_str());
  std::printf(
      "  With K appends in flight the actor path is bounded by K / (synced write latency): every append\n"
      "  waits for the group commit that carries it.\n");

  bench::print_footer(bench::seconds_since(t0));
  if (failed) std::printf("append_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
