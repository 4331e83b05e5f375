#pragma once
// A data dir with N leads written straight into the event log (no HTTP, no
// actors), for rebuild_bench and read_bench. Not a benchmark itself.
//
// Every lead "b-<i>" gets a `signed_up` (name from a small list, email
// "lead<i>@example.com", Instagram handle "ig<i>", country BR/US/PT) and a
// `qualified` (every 10th disqualified); every `enriched_every`-th lead also an
// `enriched` for Instagram with followers from 100 to 10M, engagement and
// cadence spread so that the queue has A, B and C leads in both teams.
// Written with event_log::append_batch, `batch_leads` leads a call, sync off.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "benchmarks/bench_util.hpp"
#include "events/event.hpp"
#include "storage/event_log.hpp"
#include "storage/sealing.hpp"

namespace bench {

struct lead_load {
  bool ok = false;
  std::string error;
  uint64_t leads = 0, events = 0;
  double seconds = 0;
};

/// Takes `--NAME=TEXT` out of argv (bench::args reads numbers only); "" when absent.
inline std::string take_text_option(int& argc, char** argv, const std::string& name) {
  const std::string prefix = "--" + name + "=";
  std::string value;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s.rfind(prefix, 0) == 0) value = s.substr(prefix.size());
    else argv[out++] = argv[i];
  }
  argc = out;
  return value;
}

inline std::string bench_lead_id(uint64_t i) { return "b-" + std::to_string(i); }

/// Appends leads [0, n) to `log` (see above); progress(i) after every call.
inline lead_load load_leads(leadbase::storage::event_log& log, uint64_t n, uint64_t enriched_every,
                            size_t batch_leads, const std::function<void(uint64_t)>& progress = {}) {
  using namespace leadbase;
  static const char* const first[] = {"Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabriela", "Hugo",
                                      "Isabela", "João", "Karina", "Lucas", "Mariana", "Nuno", "Olívia", "Pedro"};
  static const char* const last[] = {"Souza", "Silva", "Santos", "Oliveira", "Pereira", "Lima", "Costa", "Ferreira",
                                     "Almeida", "Ribeiro", "Carvalho", "Gomes", "Martins", "Rocha", "Dias", "Moura"};
  static const char* const countries[] = {"BR", "BR", "US", "PT"};
  lead_load out;
  const auto t0 = clock_type::now();
  const millis base = 1764331200000;  // 2025-11-28T12:00:00Z
  if (batch_leads == 0) batch_leads = 1;
  std::vector<storage::append_request> reqs;
  for (uint64_t from = 0; from < n; from += batch_leads) {
    const uint64_t to = std::min<uint64_t>(n, from + batch_leads);
    reqs.clear();
    reqs.reserve(to - from);
    for (uint64_t i = from; i < to; ++i) {
      const uint64_t h = i * 2654435761u;  // spreads the attributes
      storage::append_request r;
      r.lead_id = bench_lead_id(i);
      r.expected_version = 0;
      r.key = storage::make_data_key();
      r.new_key = true;
      const millis at = base + static_cast<millis>(i) * 10;

      event su;
      su.meta.event_id = "s-" + std::to_string(i);
      su.meta.occurred_at = at;
      su.meta.correlation_id = "c-" + std::to_string(i);
      signed_up s;
      s.name = std::string(first[i % 16]) + " " + last[(i / 16) % 16];
      s.email = "lead" + std::to_string(i) + "@example.com";
      s.phone = "+55119" + std::to_string(10000000 + i % 89999999);
      s.country = countries[h % 4];
      s.locale = "pt-BR";
      s.social.instagram = "ig" + std::to_string(i);
      s.had_phone = s.had_instagram = true;
      s.source.utm_source = "ads";
      s.source.utm_campaign = "bench";
      su.data = std::move(s);
      r.events.push_back(std::move(su));

      event q;
      q.meta.event_id = "q-" + std::to_string(i);
      q.meta.occurred_at = at;
      q.meta.correlation_id = "c-" + std::to_string(i);
      qualified qd;
      qd.result = i % 10 == 9 ? outcome::disqualified : outcome::qualified;
      if (qd.result == outcome::disqualified) qd.reasons = {"disposable_email"};
      qd.rules_version = "2026-11-01";
      qd.decided_by = "rules";
      q.data = std::move(qd);
      r.events.push_back(std::move(q));

      if (enriched_every > 0 && i % enriched_every == 0 && i % 10 != 9) {
        event e;
        e.meta.event_id = "e-" + std::to_string(i);
        e.meta.occurred_at = at + 1000;
        e.meta.correlation_id = "c-" + std::to_string(i);
        enriched x;
        x.network = network::instagram;
        x.handle = "ig" + std::to_string(i);
        const int tenth = static_cast<int>((h >> 8) % 51);  // log10(followers) in [2, 7]
        int64_t followers = 1;
        for (int k = 0; k < 2 + tenth / 10; ++k) followers *= 10;
        followers += followers * (tenth % 10) / 10;
        x.followers = followers;
        x.follows = 300;
        x.media_count = 100 + static_cast<int64_t>(h % 900);
        x.engagement_rate = static_cast<double>((h >> 16) % 80) / 1000.0;  // 0 - 8 %
        x.posts_per_week = static_cast<double>((h >> 24) % 70) / 10.0;     // 0 - 7
        x.mix = {0.25, 0.0, 0.25, 0.5};
        x.creator_tier = followers >= 1000000 ? "mega"
                         : followers >= 500000 ? "macro"
                         : followers >= 100000 ? "mid"
                         : followers >= 10000  ? "micro"
                         : followers >= 1000   ? "nano"
                                               : "none";
        x.provider = "instagram_graph";
        x.fetched_at = at + 1000;
        e.data = std::move(x);
        r.events.push_back(std::move(e));
      }
      reqs.push_back(std::move(r));
    }
    auto results = log.append_batch(reqs, base + static_cast<millis>(from));
    for (size_t k = 0; k < results.size(); ++k) {
      if (results[k].code != errc::success) {
        out.error = "append of " + reqs[k].lead_id + " failed: " + results[k].message;
        out.seconds = seconds_since(t0);
        return out;
      }
      out.events += results[k].events.size();
    }
    out.leads = to;
    if (progress) progress(to);
  }
  out.seconds = seconds_since(t0);
  out.ok = true;
  return out;
}

} // namespace bench
