// rebuild_bench: a full offline rebuild of the current-view projection
// (projection_runner::rebuild_offline over lead_views with the bulk path,
// exactly as `leadbase rebuild` does) beside a plain RocksDB scan of the same
// log, in the same run.
//
// Loads N leads (benchmarks/bench_leads.hpp: signed_up + qualified each, plus an
// enriched for every --enriched-every-th lead) into a temp dir with
// event_log::append_batch in large batches, sync off, and says how long that
// took. Flushes and waits for compactions to settle, then:
//   reference  an iterator over the `events` column family from the first key to
//              the last, touching every value (its size and first and last byte)
//   measured   rebuild_offline with projections::with_bulk_rebuild (bulk_rebuild.hpp):
//              clears the projection, scans `events` in key order with `keys`
//              merge-joined beside it (decode, unseal), folds each lead, writes
//              its row into table files and sorts its index entries (a second
//              thread) into table files, ingests them all with the checkpoint
//   floor      the least any rebuild writing the same entries could take: every
//              row and index entry the rebuild wrote, read into memory first,
//              then only written into table files in key order (one thread,
//              timed); the floor is (scan + that write) in CPU time spread
//              perfectly over the cores, with no decoding, folding or sorting
//   fold pass  bench::fold_pass (benchmarks/fold_pass.hpp): every lead folded exactly as the rebuild
//              folds them (2 threads, decode, unseal, evolve), nothing written;
//              the floor with fold is (fold pass + that write) in CPU time
//              spread over the cores: what any rebuild must do before it
//              builds a single row or sorts a single index entry
// The scan runs before and after the rebuild; the faster is the reference.
// docs/performance.md: projection rebuild at least half the speed of a plain scan (>= 0.5x).
// Rates by wall time (the target) and by CPU time (the machine is shared): the
// scan's is its thread's; the rebuild's is the whole process's while it runs,
// since it uses several threads.
//
// Usage: rebuild_bench [--leads=1000000] [--enriched-every=4] [--batch=10000] [--keep=DIR]
//   --keep=DIR  build the data dir at DIR (must not exist) and keep it, rebuilt,
//               for read_bench --data=DIR
// With 1M leads: loading ~1-2 min, each scan a few s, the rebuild about as long (2 cores).
// Exit code: 0 when it ran, 1 when something failed, 2 on bad usage.
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_writer.h>

#include <time.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "app/config.hpp"
#include "benchmarks/bench_leads.hpp"
#include "benchmarks/bench_util.hpp"
#include "benchmarks/fold_pass.hpp"
#include "projections/bulk_rebuild.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "tests/support/raw_db.hpp"

using namespace leadbase;

namespace {

struct timed {
  bool ok = false;
  std::string error;
  uint64_t items = 0, bytes = 0;
  double wall = 0, cpu = 0;
  double per_wall() const { return wall > 0 ? static_cast<double>(items) / wall : 0; }
  double per_cpu() const { return cpu > 0 ? static_cast<double>(items) / cpu : 0; }
};

volatile uint64_t g_sink = 0;

/// CPU time of every thread of the process (the rebuild's threads and RocksDB's).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

timed scan_events(storage::event_log& log) {
  timed t;
  const auto w0 = bench::clock_type::now();
  const double c0 = bench::thread_cpu_seconds();
  std::unique_ptr<rocksdb::Iterator> it(
      test::raw_db(log)->NewIterator(rocksdb::ReadOptions(), log.cf(storage::key_space::events)));
  uint64_t sum = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice v = it->value();
    ++t.items;
    t.bytes += v.size();
    if (!v.empty()) sum += static_cast<uint8_t>(v[0]) + static_cast<uint8_t>(v[v.size() - 1]);
  }
  t.cpu = bench::thread_cpu_seconds() - c0;
  t.wall = bench::seconds_since(w0);
  g_sink = g_sink + sum;
  if (!it->status().ok()) {
    t.error = "scan: " + it->status().ToString();
    return t;
  }
  t.ok = true;
  return t;
}

/// Flushes every family and waits (at most max_s) until no compaction runs or is pending.
std::string settle(storage::event_log& log, double max_s) {
  if (auto s = log.flush_all(); !s) return s.err().message;
  const auto t0 = bench::clock_type::now();
  while (bench::seconds_since(t0) < max_s) {
    if (!log.compaction_pending()) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return {};  // still compacting: measured anyway (noted by the caller's timing)
}

/// The second reference: only writing what the rebuild writes. Every key and
/// value of the rebuilt views and index families is read into memory first
/// (not timed), then written, in key order, into table files with the options
/// the bulk rebuild's files use, on one thread. Nothing is decoded, folded or
/// sorted: any rebuild that writes these entries pays at least this.
timed write_entries(storage::event_log& log, const std::string& dir) {
  timed t;
  for (storage::key_space space : {storage::key_space::views, storage::key_space::index}) {
    rocksdb::ColumnFamilyHandle* cf = log.cf(space);
    std::string buffer;
    std::vector<std::pair<uint32_t, uint32_t>> sizes;
    {
      std::unique_ptr<rocksdb::Iterator> it(test::raw_db(log)->NewIterator(rocksdb::ReadOptions(), cf));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        buffer.append(it->key().data(), it->key().size());
        buffer.append(it->value().data(), it->value().size());
        sizes.emplace_back(static_cast<uint32_t>(it->key().size()), static_cast<uint32_t>(it->value().size()));
      }
      if (!it->status().ok()) {
        t.error = std::string("read ") + storage::family_name(space) + ": " + it->status().ToString();
        return t;
      }
    }
    rocksdb::Options opts = test::raw_db(log)->GetOptions(cf);
    opts.bottommost_compression = rocksdb::kDisableCompressionOption;  // as bulk_rebuild's table files
    const auto w0 = bench::clock_type::now();
    const double c0 = bench::thread_cpu_seconds();
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(opts), opts, cf, false);
    const std::string path = dir + "/floor-" + std::string(storage::family_name(space)) + ".sst";
    auto st = writer.Open(path);
    size_t at = 0;
    for (const auto& [k, v] : sizes) {
      if (!st.ok()) break;
      st = writer.Put(rocksdb::Slice(buffer.data() + at, k), rocksdb::Slice(buffer.data() + at + k, v));
      at += k + v;
      t.bytes += k + v;
    }
    if (st.ok() && !sizes.empty()) st = writer.Finish();
    t.cpu += bench::thread_cpu_seconds() - c0;
    t.wall += bench::seconds_since(w0);
    t.items += sizes.size();
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (!st.ok()) {
      t.error = std::string("write ") + storage::family_name(space) + ": " + st.ToString();
      return t;
    }
  }
  t.ok = true;
  return t;
}

} // namespace

int main(int argc, char** argv) {
  const auto t_start = bench::clock_type::now();
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  const std::string keep = bench::take_text_option(argc, argv, "keep");
  bench::args a(argc, argv);
  const auto leads = static_cast<uint64_t>(a.number("leads", 1000000, 1, 100000000));
  const auto enriched_every = static_cast<uint64_t>(a.number("enriched-every", 4, 0, 1e9));
  const auto batch = static_cast<size_t>(a.number("batch", 10000, 1, 1000000));
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "rebuild_bench: %s\n", a.error().c_str());
    std::fprintf(stderr, "usage: rebuild_bench [--leads=1000000] [--enriched-every=4] [--batch=10000] [--keep=DIR]\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("rebuild_bench",
                      "offline rebuild of lead_views (projection_runner::rebuild_offline with the bulk path, as "
                      "`leadbase rebuild`) vs a plain RocksDB scan of the events column family, same log, same run",
                      command);

  bench::temp_dir tmp("leadbase-rebuild-bench");
  std::string dir;
  if (keep.empty()) {
    if (!tmp.ok()) {
      std::fprintf(stderr, "rebuild_bench: cannot create a temp dir\n");
      return 1;
    }
    dir = tmp / "data";
  } else {
    std::error_code ec;
    if (std::filesystem::exists(keep, ec)) {
      std::fprintf(stderr, "rebuild_bench: --keep=%s exists; give a new path\n", keep.c_str());
      return 2;
    }
    dir = keep;
  }

  // The priority settings `serve` uses without --config, so a kept dir needs no rebuild at start.
  auto cfg = parse_config(default_config_toml(), "built-in development config");
  if (!cfg) {
    std::fprintf(stderr, "rebuild_bench: %s\n", cfg.err().message.c_str());
    return 1;
  }
  storage::log_options lo;
  lo.dir = dir;
  lo.sync = false;
  auto log = storage::event_log::open(lo);
  if (!log) {
    std::printf("FAILED to open the log in %s: %s\n", dir.c_str(), log.err().message.c_str());
    return 1;
  }

  std::printf("loading %llu leads (signed_up + qualified each, enriched every %llu-th), %zu leads per append_batch, "
              "sync off, into %s ...\n",
              static_cast<unsigned long long>(leads), static_cast<unsigned long long>(enriched_every), batch,
              dir.c_str());
  std::fflush(stdout);
  uint64_t next_note = leads / 4;
  auto loaded = bench::load_leads(**log, leads, enriched_every, batch, [&](uint64_t done) {
    if (done >= next_note && done < leads) {
      std::printf("  ... %llu leads\n", static_cast<unsigned long long>(done));
      std::fflush(stdout);
      next_note += leads / 4;
    }
  });
  if (!loaded.ok) {
    std::printf("FAILED to load: %s\n", loaded.error.c_str());
    return 1;
  }
  std::printf("loaded %llu leads, %llu events in %.1f s (%.0f events/s, load average now %s)\n",
              static_cast<unsigned long long>(loaded.leads), static_cast<unsigned long long>(loaded.events),
              loaded.seconds, static_cast<double>(loaded.events) / loaded.seconds, bench::load_average().c_str());
  const auto t_settle = bench::clock_type::now();
  if (auto e = settle(**log, 180); !e.empty()) {
    std::printf("FAILED: %s\n", e.c_str());
    return 1;
  }
  std::printf("flushed and waited %.1f s for compactions; data dir %.0f MiB\n\n", bench::seconds_since(t_settle),
              static_cast<double>(bench::dir_bytes(dir)) / 1048576.0);
  std::fflush(stdout);

  // Reference, then the rebuild, then the reference again.
  auto scan1 = scan_events(**log);
  std::printf("  scan 1 (reference)  %9.0f events/s wall, %9.0f /s CPU  (%llu events, %.0f MiB of values, %.2f s)\n",
              scan1.per_wall(), scan1.per_cpu(), static_cast<unsigned long long>(scan1.items),
              static_cast<double>(scan1.bytes) / 1048576.0, scan1.wall);
  std::fflush(stdout);

  projections::lead_views_options vo;
  vo.priority = cfg->priority;
  vo.rules_version = cfg->qualification.rules_version;
  projections::lead_views views(**log, vo);
  // The runner `leadbase rebuild` opens (app/cmd_rebuild.cpp).
  auto runner = projections::projection_runner::open(**log, views, projections::with_bulk_rebuild(**log, views));
  if (!runner) {
    std::printf("FAILED to open the runner: %s\n", runner.err().message.c_str());
    return 1;
  }
  timed rb;
  {
    int last_decile = -1;
    const auto w0 = bench::clock_type::now();
    const double c0 = process_cpu_seconds();
    auto s = (*runner)->rebuild_offline([&](global_position p, global_position h) {
      const int decile = h == 0 ? 10 : static_cast<int>(p * 10 / h);
      if (decile != last_decile && decile % 2 == 0 && decile > 0 && decile < 10) {
        std::printf("    rebuild %d0%% after %.1f s\n", decile, bench::seconds_since(w0));
        std::fflush(stdout);
      }
      last_decile = decile;
    });
    rb.cpu = process_cpu_seconds() - c0;
    rb.wall = bench::seconds_since(w0);
    rb.items = (*runner)->position();
    if (!s) {
      std::printf("FAILED: rebuild: %s\n", s.err().message.c_str());
      return 1;
    }
    rb.ok = true;
  }
  std::printf("  rebuild (measured)  %9.0f events/s wall, %9.0f /s CPU  (%llu events, %.2f s wall, %.2f s CPU, all "
              "threads)\n",
              rb.per_wall(), rb.per_cpu(), static_cast<unsigned long long>(rb.items), rb.wall, rb.cpu);
  std::fflush(stdout);
  auto scan2 = scan_events(**log);
  std::printf("  scan 2 (reference)  %9.0f events/s wall, %9.0f /s CPU  (%.2f s)\n", scan2.per_wall(),
              scan2.per_cpu(), scan2.wall);
  const std::string floor_dir = tmp.ok() ? tmp / "floor" : keep + ".floor";
  std::filesystem::create_directories(floor_dir);
  auto writes = write_entries(**log, floor_dir);
  std::filesystem::remove_all(floor_dir);
  std::printf("  write alone (ref.)  %9.0f entries/s CPU  (the %llu rows and index entries the rebuild wrote, "
              "%.0f MiB, into table files in key order, one thread: %.2f s)\n",
              writes.per_cpu(), static_cast<unsigned long long>(writes.items),
              static_cast<double>(writes.bytes) / 1048576.0, writes.cpu);
  // The rebuild's own first step alone: every lead folded as it folds them.
  timed folds;
  {
    const auto w0 = bench::clock_type::now();
    const double c0 = process_cpu_seconds();
    auto f = fold_reference::fold_pass(**log, 2);
    folds.cpu = process_cpu_seconds() - c0;
    folds.wall = bench::seconds_since(w0);
    if (f) {
      folds.ok = true;
      folds.items = f->events;
    } else {
      folds.error = "fold pass: " + f.err().message;
    }
  }
  std::printf("  fold pass (ref.)    %9.0f events/s wall, %9.0f /s CPU  (every lead folded as the rebuild folds them: "
              "scan, decode, unseal, evolve, on 2 threads, nothing written: %.2f s wall, %.2f s CPU)\n",
              folds.per_wall(), folds.per_cpu(), folds.wall, folds.cpu);
  bool failed = !scan1.ok || !scan2.ok || !writes.ok || !folds.ok || rb.items != loaded.events ||
                folds.items != loaded.events;
  if (!folds.ok) std::printf("FAILED: %s\n", folds.error.c_str());
  if (!writes.ok) std::printf("FAILED: %s\n", writes.error.c_str());
  if (!scan1.ok || !scan2.ok) std::printf("FAILED: %s\n", (scan1.ok ? scan2 : scan1).error.c_str());
  if (rb.items != loaded.events)
    std::printf("FAILED: the rebuild reached position %llu, the log has %llu events\n",
                static_cast<unsigned long long>(rb.items), static_cast<unsigned long long>(loaded.events));

  const double ref_wall = std::max(scan1.per_wall(), scan2.per_wall());
  const double ref_cpu = std::max(scan1.per_cpu(), scan2.per_cpu());
  std::printf("\n-- ratios (rebuild / plain scan; docs/performance.md target >= 0.50x) --\n");
  std::printf("  by wall time   = %s  (%.0f vs %.0f events/s)\n", bench::fmt_ratio(rb.per_wall(), ref_wall).c_str(),
              rb.per_wall(), ref_wall);
  std::printf("  by CPU time    = %s  (%.0f vs %.0f events/s; the rebuild's over all its threads)\n",
              bench::fmt_ratio(rb.per_cpu(), ref_cpu).c_str(), rb.per_cpu(), ref_cpu);
  // A floor: a first step (taking `first_wall` at the least) plus writing the
  // entries, their CPU time split perfectly over the machine's cores.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto floor_rate_of = [&](double first_wall, double first_cpu) {
    const double wall = std::max(first_wall, (first_cpu + writes.cpu) / cores);
    return wall > 0 ? static_cast<double>(rb.items) / wall : 0;
  };
  // The floor: the scan (one thread) plus writing the entries, nothing else done at all.
  const double scan_cpu = std::min(scan1.cpu, scan2.cpu);
  const double floor_rate = floor_rate_of(scan_cpu, scan_cpu);
  std::printf("  floor          = %s  (scan + writing the entries alone, %.2f + %.2f s CPU over %u cores: no\n"
              "                   decode, unseal, fold or sort; the rebuild is at %s of this floor)\n",
              bench::fmt_ratio(floor_rate, ref_wall).c_str(), scan_cpu, writes.cpu, cores,
              bench::fmt_ratio(rb.per_wall(), floor_rate).c_str());
  // The floor with the fold: what a rebuild must do at the very least, fold
  // every lead and write the entries, still without building a row or
  // sorting an index entry, split perfectly over the cores.
  const double fold_floor_rate = floor_rate_of(folds.wall, folds.cpu);
  std::printf("  floor with fold = %s  (the fold pass + writing the entries alone, %.2f + %.2f s CPU over %u\n"
              "                   cores: no row built, no entry sorted; the rebuild is at %s of this floor)\n",
              bench::fmt_ratio(fold_floor_rate, ref_wall).c_str(), folds.cpu, writes.cpu, cores,
              bench::fmt_ratio(rb.per_wall(), fold_floor_rate).c_str());
  std::printf("  load (append_batch, sync off) = %.0f events/s, i.e. %s of the scan by wall time\n",
              static_cast<double>(loaded.events) / loaded.seconds,
              bench::fmt_ratio(static_cast<double>(loaded.events) / loaded.seconds, ref_wall).c_str());
  std::printf("  note: the scan reads keys in key order with no decoding; the rebuild scans the same family (and\n"
              "  `keys` beside it), decodes and unseals each event, folds, builds each lead's row and index keys,\n"
              "  sorts the index keys and writes and ingests table files, on two threads (two key ranges of the\n"
              "  log, then two of the index): wall time is the figure; its CPU time counts every thread.\n");
  if (!keep.empty()) {
    // So read_bench's server does not start with the rebuild's compactions still to do.
    const auto t_settle2 = bench::clock_type::now();
    if (auto e = settle(**log, 300); !e.empty()) std::printf("note: %s\n", e.c_str());
    std::printf("\nflushed the rebuilt projection and waited %.1f s for compactions", bench::seconds_since(t_settle2));
    std::printf("\ndata dir kept at %s (rebuilt, priority settings of the built-in config): "
                "read_bench --data=%s reuses it\n",
                dir.c_str(), dir.c_str());
  }
  runner->reset();
  log->reset();
  bench::print_footer(bench::seconds_since(t_start));
  if (failed) std::printf("rebuild_bench: something failed to run (see above)\n");
  return failed ? 1 : 0;
}
