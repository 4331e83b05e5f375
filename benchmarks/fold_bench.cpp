// fold_bench: the pure fold (events/lead_state.hpp `evolve`) and replay from
// stored bytes, single thread.
//
// Builds a few million realistic events across leads — signed_up, qualified
// (some disqualified), enrichment_failed (retryable and final), enriched — and
// folds each lead's stream from `initial`, as rehydrating a lead actor does.
// Reference, same run: a loop that only touches each event (sums versions), so
// the ratio is the fold's own cost. Then the same events as stored bytes
// (events/codec.hpp encode_event, personal fields sealed): decode_event + fold,
// and decode + hash chain + unseal + fold (the per-event CPU work of
// event_log::read_stream, without RocksDB). docs/performance.md: millions of events per
// second per core; target here > 5M events/s for the fold.
//
// Rates are by thread CPU time (best of --repeat), so other processes on the
// shared cores inflate them less; wall-time rates are printed beside them.
//
// Usage: fold_bench [--leads=600000] [--decode-leads=150000] [--repeat=3]
// Exit code: 0 when it ran, 1 when something failed, 2 on bad usage.
#include <cstdio>

#include "benchmarks/bench_util.hpp"
#include "events/codec.hpp"
#include "events/lead_state.hpp"
#include "storage/hash_chain.hpp"
#include "storage/sealing.hpp"
#include "tests/support/sample_events.hpp"

using namespace leadbase;

namespace {

volatile uint64_t g_sink = 0;  // keeps the loops from being optimised away

/// One lead's stream, by the lead's number: ~3.4 events per lead on average.
void add_lead(std::vector<event>& out, uint64_t i, global_position& pos) {
  const std::string n = std::to_string(i);
  const std::string lead = "u-" + n;
  lead_version v = 0;
  millis t = 1764331200000 + static_cast<millis>(i) * 7;
  auto push = [&](const std::string& prefix, payload p) {
    event e = test::make_event(lead, prefix + n, std::move(p), ++v, t += 400);
    e.meta.position = ++pos;
    e.meta.correlation_id = "c-" + n;
    out.push_back(std::move(e));
  };
  signed_up s = test::sample_signup(i % 4 != 0);
  s.email = "ana." + n + "@exemplo.com.br";
  s.social.instagram = s.social.instagram.empty() ? "" : "ana" + n;
  push("sg-", std::move(s));
  const unsigned kind = static_cast<unsigned>(i % 10);
  if (kind == 0) {  // disqualified: 2 events
    push("q-", test::sample_qualified(outcome::disqualified));
    return;
  }
  push("q-", test::sample_qualified());
  if (kind <= 3) {  // a retry, then success: 4 events
    push("f1-", test::sample_failure(true, 1, "timeout"));
    push("e-", test::sample_enriched(40000 + static_cast<int64_t>(i % 1000), t));
  } else if (kind <= 5) {  // failed for good: 4 events
    push("f1-", test::sample_failure(true, 1, "rate_limited"));
    push("f2-", test::sample_failure(false, 2, "not_found"));
  } else {  // enriched at once: 3 events
    push("e-", test::sample_enriched(1000 + static_cast<int64_t>(i % 100000), t));
  }
}

/// Best of several runs, by thread CPU time (robust on a shared machine) and by wall time.
struct timing {
  double cpu_s = 1e300, wall_s = 1e300;
  double per_sec(size_t n) const { return cpu_s > 0 ? static_cast<double>(n) / cpu_s : 0; }
  double wall_per_sec(size_t n) const { return wall_s > 0 ? static_cast<double>(n) / wall_s : 0; }
  template <class F>
  void run(F&& f) {
    const double c0 = bench::thread_cpu_seconds();
    const auto w0 = bench::clock_type::now();
    f();
    wall_s = std::min(wall_s, bench::seconds_since(w0));
    cpu_s = std::min(cpu_s, bench::thread_cpu_seconds() - c0);
  }
};

void print_timing(const char* label, const timing& t, size_t n) {
  std::printf("  %-44s %11.0f events/s  %6.0f ns/event   (wall: %11.0f events/s)\n", label, t.per_sec(n),
              t.cpu_s * 1e9 / static_cast<double>(n), t.wall_per_sec(n));
}

} // namespace

int main(int argc, char** argv) {
  const auto t0 = bench::clock_type::now();
  bench::args a(argc, argv);
  const auto leads = static_cast<uint64_t>(a.number("leads", 600000, 1, 20000000));
  const int repeat = static_cast<int>(a.number("repeat", 3, 1, 100));
  const auto decode_leads = static_cast<uint64_t>(a.number("decode-leads", 150000, 1, 20000000));
  if (a.help() || !a.error().empty()) {
    if (!a.help()) std::fprintf(stderr, "fold_bench: %s\n", a.error().c_str());
    std::fprintf(stderr, "usage: fold_bench [--leads=600000] [--decode-leads=150000] [--repeat=3]\n"
                 "  ~3.4 events per lead; the stored-bytes runs use the first --decode-leads leads; best of --repeat\n");
    return a.help() ? 0 : 2;
  }
  bench::print_header("fold_bench",
                      "evolve() over a few million events (per-lead streams from initial), beside a loop that only "
                      "touches each event; then decode+fold from stored bytes",
                      a.command());

  // -- build --------------------------------------------------------------------------
  std::vector<event> events;
  events.reserve(static_cast<size_t>(leads) * 35 / 10 + 16);
  std::vector<size_t> lead_start;  // index of each lead's first event; one extra at the end
  lead_start.reserve(leads + 1);
  global_position pos = 0;
  for (uint64_t i = 0; i < leads; ++i) {
    lead_start.push_back(events.size());
    add_lead(events, i, pos);
  }
  lead_start.push_back(events.size());
  size_t counts[6] = {};
  for (const auto& e : events) ++counts[static_cast<size_t>(e.type()) % 6];
  std::printf("events: %zu across %llu leads (signed_up %zu, qualified %zu, enriched %zu, enrichment_failed %zu); "
              "sizeof(event) = %zu bytes; built in %.1f s\n",
              events.size(), static_cast<unsigned long long>(leads), counts[1], counts[2], counts[3], counts[4],
              sizeof(event), bench::seconds_since(t0));
  std::printf("load average now %s\n\n", bench::load_average().c_str());
  std::fflush(stdout);

  // -- touch vs fold, interleaved so load changes hit both ------------------------------
  const size_t n = events.size();
  timing touch, fold_t;
  for (int r = 0; r < repeat; ++r) {
    touch.run([&] {
      uint64_t sum = 0;
      for (const auto& e : events) sum += e.meta.version;
      g_sink = g_sink + sum;
    });
    fold_t.run([&] {
      uint64_t acc = 0;
      for (size_t l = 0; l + 1 < lead_start.size(); ++l) {
        lead_state st = initial(events[lead_start[l]].meta.lead_id);
        for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) evolve(st, events[k]);
        acc += st.version + static_cast<uint64_t>(st.status);
      }
      g_sink = g_sink + acc;
    });
  }
  std::printf("rates by thread CPU time, best of %d (wall-time rate beside it):\n", repeat);
  print_timing("reference: touch each event (sum versions)", touch, n);
  print_timing("fold: initial + evolve per lead stream", fold_t, n);
  std::printf("  (%.2f M leads folded per CPU-second)\n", static_cast<double>(leads) / fold_t.cpu_s / 1e6);
  std::fflush(stdout);

  // -- the stored form, for the first `decode_leads` leads -----------------------------------
  const size_t dl = static_cast<size_t>(std::min(decode_leads, leads));
  const size_t dn = lead_start[dl];
  const auto e0 = bench::clock_type::now();
  std::string stored;  // every envelope back to back
  std::vector<size_t> offset;
  offset.reserve(dn + 1);
  std::vector<storage::data_key> keys(dl);
  for (size_t l = 0; l < dl; ++l) {
    keys[l] = storage::make_data_key();
    for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) {
      const personal_fields p = personal_of(events[k]);
      const std::string sealed = p.empty() ? std::string{} : storage::seal(keys[l], encode_personal(p));
      offset.push_back(stored.size());
      stored += encode_event(events[k], sealed);
    }
  }
  offset.push_back(stored.size());
  events.clear();
  events.shrink_to_fit();
  auto bytes_of = [&](size_t k) { return std::string_view(stored).substr(offset[k], offset[k + 1] - offset[k]); };
  std::printf("\nstored form of the first %zu leads: %zu events, %.1f MiB, %.0f bytes per event (encoded and sealed in %.1f s)\n",
              dl, dn, static_cast<double>(stored.size()) / 1048576.0,
              static_cast<double>(stored.size()) / static_cast<double>(dn), bench::seconds_since(e0));
  std::fflush(stdout);

  bool failed = false;
  timing decode_only, decode_fold, hash_only, unseal_only, full;
  for (int r = 0; r < repeat && !failed; ++r) {
    decode_only.run([&] {
      uint64_t acc = 0;
      for (size_t k = 0; k < dn && !failed; ++k) {
        auto d = decode_event(bytes_of(k));
        if (!d) {
          std::printf("  decode_event failed: %s\n", d.err().message.c_str());
          failed = true;
        } else {
          acc += d->ev.meta.version;
        }
      }
      g_sink = g_sink + acc;
    });
    decode_fold.run([&] {
      uint64_t acc = 0;
      for (size_t l = 0; l < dl && !failed; ++l) {
        lead_state st;
        for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) {
          auto d = decode_event(bytes_of(k));
          if (!d) {
            failed = true;
            break;
          }
          if (k == lead_start[l]) st = initial(d->ev.meta.lead_id);
          evolve(st, d->ev);
        }
        acc += st.version;
      }
      g_sink = g_sink + acc;
    });
    hash_only.run([&] {
      uint64_t acc = 0;
      for (size_t l = 0; l < dl; ++l) {
        hash256 prev{};
        for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) prev = storage::chain_hash(prev, bytes_of(k));
        acc += prev[0];
      }
      g_sink = g_sink + acc;
    });
    unseal_only.run([&] {
      uint64_t acc = 0;
      for (size_t l = 0; l < dl && !failed; ++l) {
        for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) {
          auto d = decode_event(bytes_of(k));
          if (!d || d->sealed.empty()) continue;
          auto plain = storage::unseal(keys[l], d->sealed);
          auto personal = plain ? decode_personal(*plain) : result<personal_fields>(plain.err());
          if (!personal) {
            std::printf("  unseal/decode_personal failed: %s\n", personal.err().message.c_str());
            failed = true;
            break;
          }
          acc += personal->email.size();
        }
      }
      g_sink = g_sink + acc;
    });
    full.run([&] {
      uint64_t acc = 0;
      for (size_t l = 0; l < dl && !failed; ++l) {
        lead_state st;
        hash256 prev{};
        for (size_t k = lead_start[l]; k < lead_start[l + 1]; ++k) {
          auto d = decode_event(bytes_of(k));
          if (!d) {
            failed = true;
            break;
          }
          prev = storage::chain_hash(prev, bytes_of(k));
          if (!d->sealed.empty()) {
            auto plain = storage::unseal(keys[l], d->sealed);
            auto personal = plain ? decode_personal(*plain) : result<personal_fields>(plain.err());
            if (!personal) {
              failed = true;
              break;
            }
            restore_personal(d->ev, *personal);
          }
          if (k == lead_start[l]) st = initial(d->ev.meta.lead_id);
          evolve(st, d->ev);
        }
        acc += st.version + prev[0];
      }
      g_sink = g_sink + acc;
    });
  }
  if (!failed) {
    print_timing("decode_event alone", decode_only, dn);
    print_timing("decode_event + fold", decode_fold, dn);
    print_timing("SHA-256 chain hash alone (OpenSSL)", hash_only, dn);
    print_timing("decode + unseal + decode_personal", unseal_only, dn);
    print_timing("decode + chain hash + unseal + fold", full, dn);
  }

  std::printf("\n-- ratios (by CPU time) --\n");
  std::printf("  fold / touch-only reference (time)     = %s  (the fold's own cost over just reading each event)\n",
              bench::fmt_ratio(fold_t.cpu_s, touch.cpu_s).c_str());
  std::printf("  fold rate / 5M events/s target         = %s\n", bench::fmt_ratio(fold_t.per_sec(n), 5e6).c_str());
  if (!failed) {
    std::printf("  decode+fold / fold (time per event)    = %s  (what decoding the stored FlatBuffers adds)\n",
                bench::fmt_ratio(decode_fold.cpu_s / static_cast<double>(dn), fold_t.cpu_s / static_cast<double>(n)).c_str());
    std::printf("  full replay / fold (time per event)    = %s  (read_stream's per-event CPU work, RocksDB excluded)\n",
                bench::fmt_ratio(full.cpu_s / static_cast<double>(dn), fold_t.cpu_s / static_cast<double>(n)).c_str());
  }
  bench::print_footer(bench::seconds_since(t0));
  return failed ? 1 : 0;
}
