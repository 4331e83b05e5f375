// Operations: GET /metrics (Prometheus text format 0.0.4) and GET /openapi.json.
//
// Metric families (all prefixed leadbase_, base units, counters end _total,
// never a lead id, email or handle in a label):
//   domain      signups_total; enrichment_outcomes_total{result};
//               enrichment_failures_total{error_class,final}; enrichment_pending_leads;
//               enrichment_retrying_leads; leads{status}; coverage_complete_ratio;
//               coverage_mean_ratio; processing_seconds (histogram); queue_leads{team};
//               stats_leads; stats_memory_bytes; work_leads{stage};
//               contacts_total{outcome}; claims_expired_total;
//               first_contact_seconds (histogram)
//   HTTP (RED)  http_requests_total{method,route,status_class};
//               http_request_duration_seconds{method,route} (histogram)
//   write side  journal_batch_appends (histogram); journal_write_duration_seconds
//               (histogram); journal_queued_appends; appends_in_flight;
//               lead_actors_live; scheduled_work_leads
//   read side   log_head_position; projection_position{projection};
//               projection_lag_events{projection}; projection_lag_seconds{projection}
//   discovery   provider_calls_total{provider}; provider_successes_total{provider};
//               provider_failures_total{provider,error_class};
//               provider_fail_fast_total{provider}; provider_circuit_opened_total{provider};
//               provider_circuit_state{provider,state}; provider_in_flight_calls{provider};
//               provider_queued_calls{provider}
//   backups     backup_last_success_timestamp_seconds; backup_last_success_size_bytes;
//               backup_failures_total; backup_in_progress (routes_backups.cpp)
//   + whatever api_context::metrics_contributors add.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/logging.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "http/query_params.hpp"
#include "projections/runner.hpp"
#include "projections/stats_projection.hpp"

namespace leadbase::http {
namespace {

// -- /metrics -----------------------------------------------------------------------

const char* status_class_label(size_t i) {
  static const char* names[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  return names[i];
}

template <size_t N>
std::vector<double> bounds_of(const std::array<double, N>& a, size_t take) {
  return std::vector<double>(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(take));
}

/// The work loop (docs/domain.md "Working the leads"): stages, contacts, expired
/// claims, first contact time. Labels are closed sets of names, never a person.
void work_metrics(metrics_writer& m, const stats_counters& c) {
  for (size_t i = 0; i < work_stages; ++i)
    m.gauge("leadbase_work_leads", i == 0 ? "Leads (signed up, not erased) by work stage now." : "",
            static_cast<double>(c.work_stage_leads[i]), {{"stage", to_string(static_cast<work_stage>(i))}});
  for (size_t i = 0; i < contact_outcomes; ++i)
    m.counter("leadbase_contacts_total", i == 0 ? "Contacts logged, by outcome." : "",
              static_cast<double>(c.contacts_total[i]), {{"outcome", to_string(static_cast<contact_outcome>(i))}});
  m.counter("leadbase_claims_expired_total", "Claims that lapsed without a contact (released, reason expired).",
            static_cast<double>(c.claims_expired_total));
  m.histogram("leadbase_first_contact_seconds", "Signup recorded -> the lead's first contact logged.",
              bounds_of(first_contact_buckets_s, first_contact_buckets_s.size()),
              std::vector<uint64_t>(c.first_contact_buckets.begin(), c.first_contact_buckets.end()),
              c.first_contact_sum_s());
}

void domain_metrics(metrics_writer& m, const stats_counters& c) {
  m.counter("leadbase_signups_total", "Signups processed (leads whose signed_up was applied).",
            static_cast<double>(c.signups_total));
  m.counter("leadbase_enrichment_outcomes_total",
            "Enrichments that ended, by result: succeeded, or failed for good (retries are not outcomes).",
            static_cast<double>(c.enrichment_succeeded_total), {{"result", "succeeded"}});
  m.counter("leadbase_enrichment_outcomes_total", "", static_cast<double>(c.enrichment_failed_total),
            {{"result", "failed"}});
  for (const auto& [key, n] : c.failed_attempts_total)
    m.counter("leadbase_enrichment_failures_total",
              "enrichment_failed events by error class; final=\"false\" ones are retried.", static_cast<double>(n),
              {{"error_class", key.first}, {"final", key.second ? "true" : "false"}});
  m.gauge("leadbase_enrichment_pending_leads", "Leads with an enrichment attempt pending now.",
          static_cast<double>(c.enrichment_pending));
  m.gauge("leadbase_enrichment_retrying_leads", "Leads waiting for an enrichment retry now (the retry backlog).",
          static_cast<double>(c.enrichment_retrying));
  for (size_t i = 1; i < c.leads_by_status.size(); ++i)
    m.gauge("leadbase_leads", "Leads by current status.", static_cast<double>(c.leads_by_status[i]),
            {{"status", to_string(static_cast<lead_status>(i))}});
  const double n = static_cast<double>(c.coverage_leads);
  m.gauge("leadbase_coverage_complete_ratio", "Share of (not erased) leads whose data coverage is 1.0.",
          c.coverage_leads ? static_cast<double>(c.coverage_complete) / n : 0.0);
  m.gauge("leadbase_coverage_mean_ratio", "Mean data coverage of (not erased) leads.",
          c.coverage_leads ? c.coverage_sum() / n : 0.0);
  m.histogram("leadbase_processing_seconds",
              "Signup recorded -> first final state (enriched, final failure, disqualified, nothing to enrich).",
              bounds_of(processing_buckets_s, processing_buckets_s.size()),
              std::vector<uint64_t>(c.processing_buckets.begin(), c.processing_buckets.end()), c.processing_sum_s());
  m.gauge("leadbase_queue_leads", "Leads in the SDR / LDR work queues.", static_cast<double>(c.queue_sdr),
          {{"team", "sdr"}});
  m.gauge("leadbase_queue_leads", "", static_cast<double>(c.queue_ldr), {{"team", "ldr"}});
  work_metrics(m, c);
  m.gauge("leadbase_stats_leads", "Leads tracked by the stats projection.", static_cast<double>(c.leads));
  m.gauge("leadbase_stats_memory_bytes", "Estimated memory of the stats projection.",
          static_cast<double>(c.memory_bytes));
}

void http_metrics(metrics_writer& m, const std::vector<route_stats_snapshot>& rows) {
  const auto bounds = bounds_of(latency_buckets_s, latency_buckets_s.size());
  for (const auto& r : rows) {
    const std::string method = r.method.empty() ? "other" : r.method;
    for (size_t i = 0; i < r.by_class.size(); ++i) {
      if (r.by_class[i] == 0) continue;
      m.counter("leadbase_http_requests_total", "HTTP requests by route pattern, method and status class.",
                static_cast<double>(r.by_class[i]),
                {{"method", method}, {"route", r.pattern}, {"status_class", status_class_label(i)}});
    }
    if (r.count == 0) continue;
    m.histogram("leadbase_http_request_duration_seconds", "HTTP request latency by route pattern and method.",
                bounds, std::vector<uint64_t>(r.cumulative_buckets.begin(), r.cumulative_buckets.end()),
                r.latency_sum_s, {{"method", method}, {"route", r.pattern}});
  }
}

void write_side_metrics(metrics_writer& m, const lead_service& leads) {
  const journal_stats& j = leads.journal();
  {
    std::vector<double> bounds;
    for (size_t i = 0; i + 1 < journal_stats::batch_buckets.size(); ++i)
      bounds.push_back(static_cast<double>(journal_stats::batch_buckets[i]));
    std::vector<uint64_t> cum;
    uint64_t run = 0;
    for (const auto& b : j.batch_hist) cum.push_back(run += b.load(std::memory_order_relaxed));
    m.histogram("leadbase_journal_batch_appends", "Appends per journal write (group commit batch size).", bounds, cum,
                static_cast<double>(j.events.load(std::memory_order_relaxed)));
  }
  {
    std::vector<double> bounds = bounds_of(journal_stats::latency_buckets_s, journal_stats::latency_buckets_s.size() - 1);
    std::vector<uint64_t> cum;
    uint64_t run = 0;
    for (const auto& b : j.latency_hist) cum.push_back(run += b.load(std::memory_order_relaxed));
    m.histogram("leadbase_journal_write_duration_seconds", "Duration of one journal write (with fsync when sync = true).",
                bounds, cum, static_cast<double>(j.write_ns.load(std::memory_order_relaxed)) / 1e9);
  }
  m.gauge("leadbase_journal_queued_appends", "Appends waiting for the next journal write.",
          static_cast<double>(j.queued.load(std::memory_order_relaxed)));
  m.gauge("leadbase_appends_in_flight", "Appends accepted and not yet answered (503 beyond the limit).",
          static_cast<double>(leads.in_flight()));
  m.gauge("leadbase_lead_actors_live", "Lead actors alive now.", static_cast<double>(leads.live_leads()));
  m.gauge("leadbase_write_actors_up",
          "1 while the journal, registry, scheduler and enrichment actors run; 0 after one stopped (restart needed).",
          leads.failure() ? 0.0 : 1.0);
  m.gauge("leadbase_scheduled_work_leads", "Leads with a retry or refresh scheduled.",
          static_cast<double>(leads.scheduled_work()));
}

void projection_metrics(metrics_writer& m, api_context& ctx, std::vector<projection_progress> rows) {
  const global_position head = ctx.log ? ctx.log->last_position() : global_position{0};
  if (ctx.log) m.gauge("leadbase_log_head_position", "Position of the newest event in the log.", static_cast<double>(head));
  if (ctx.log)
    m.gauge("leadbase_log_writable",
            "1 while the event log accepts writes; 0 after a write failed, until it resumes.",
            ctx.log->write_failure() ? 0.0 : 1.0);
  if (ctx.log) {
    const storage::write_health h = ctx.log->write_status();
    m.counter("leadbase_log_failed_writes_total", "Event log writes that failed (nothing of them was acknowledged).",
              static_cast<double>(h.failed_writes_total));
    m.counter("leadbase_log_write_recoveries_total", "Write failures of the event log that ended without a restart.",
              static_cast<double>(h.recoveries));
  }
  const millis now = now_millis();
  for (auto& row : rows) {
    const global_position row_head = std::max(row.head, row.position);
    const double lag_s = projection_lag_seconds(ctx, row, now);
    const metric_labels l{{"projection", row.name}};
    m.gauge("leadbase_projection_position", "Last log position applied by the projection.",
            static_cast<double>(row.position), l);
    m.gauge("leadbase_projection_lag_events", "Events in the log not yet applied by the projection.",
            static_cast<double>(row_head - row.position), l);
    m.gauge("leadbase_projection_lag_seconds", "Age of the oldest event the projection has not applied (0 when caught up).",
            lag_s, l);
    // A gauge, not a counter: it is the damage recorded now, which a rebuild
    // after the records were restored from a backup lowers again.
    m.gauge("leadbase_damaged_events",
              "Events in the log the projection cannot read (corrupt or missing records), skipped and recorded now; "
              "GET /v1/admin/projections lists them.",
              static_cast<double>(row.damaged_events), l);
  }
}

void provider_metrics(metrics_writer& m, const std::vector<provider_status>& rows) {
  for (const auto& p : rows) {
    const metric_labels l{{"provider", to_string(p.network)}};
    m.counter("leadbase_provider_calls_total", "Real calls made to a Creator Discovery provider.",
              static_cast<double>(p.calls), l);
    m.counter("leadbase_provider_successes_total", "Provider calls that succeeded.", static_cast<double>(p.successes), l);
    for (const auto& [cls, n] : p.failures)
      m.counter("leadbase_provider_failures_total", "Provider calls that failed, by error class.",
                static_cast<double>(n), {{"provider", to_string(p.network)}, {"error_class", cls}});
    m.counter("leadbase_provider_fail_fast_total", "Attempts refused at once while the circuit was open.",
              static_cast<double>(p.fail_fast), l);
    m.counter("leadbase_provider_circuit_opened_total", "Times the provider's circuit breaker opened.",
              static_cast<double>(p.breaker_opened), l);
    for (const char* state : {"closed", "open", "half_open"})
      m.gauge("leadbase_provider_circuit_state", "1 for the circuit breaker's current state, 0 for the others.",
              p.breaker == state ? 1.0 : 0.0, {{"provider", to_string(p.network)}, {"state", state}});
    m.gauge("leadbase_provider_in_flight_calls", "Provider calls in flight.", static_cast<double>(p.in_flight), l);
    m.gauge("leadbase_provider_queued_calls", "Attempts waiting for a provider slot.", static_cast<double>(p.queued), l);
  }
}

void get_metrics(api_context& ctx, request&, responder respond) {
  response res = text_response(200, render_metrics(ctx), metrics_content_type);
  res.set_header("Cache-Control", "no-store");
  respond(std::move(res));
}

void get_openapi(request&, responder respond) {
  response res = json_response(200, std::string(openapi_document()));
  res.set_header("Cache-Control", "public, max-age=300");
  respond(std::move(res));
}

} // namespace

double projection_lag_seconds(const api_context& ctx, const projection_progress& row, millis now) {
  if (row.lag_seconds) return *row.lag_seconds;
  if (row.position >= std::max(row.head, row.position) || !ctx.log) return 0;
  auto next = ctx.log->read_global(row.position, 1, storage::event_log::hashes::skip);
  if (!next || next->empty()) return 0;
  return std::max<double>(0, static_cast<double>(now - next->front().ev.meta.recorded_at) / 1000.0);
}

std::vector<projection_progress> projection_rows(api_context& ctx) {
  if (ctx.projections_progress) return ctx.projections_progress();
  if (!ctx.stats_runner) return {};
  const projections::runner_info i = ctx.stats_runner->info();
  return {{i.name, i.position, i.head, i.lag_seconds, i.damaged_events}};
}

std::string render_metrics(api_context& ctx) {
  metrics_writer m;
  m.gauge("leadbase_build_info", "Always 1; the version is a label.", 1, {{"version", "0.1.0"}});
  if (ctx.stats) {
    if (auto c = ctx.stats->counters()) domain_metrics(m, *c);
    else module_logger("http")->warn("/metrics: cannot read the stats: {}", c.err().message);
  }
  if (ctx.http_stats) http_metrics(m, ctx.http_stats());
  if (ctx.leads) write_side_metrics(m, *ctx.leads);
  projection_metrics(m, ctx, projection_rows(ctx));
  if (ctx.providers) provider_metrics(m, ctx.providers());
  else if (ctx.leads) provider_metrics(m, ctx.leads->providers());
  render_backup_metrics(ctx, m);
  for (const auto& contribute : ctx.metrics_contributors)
    if (contribute) contribute(m);
  if (m.dropped() > 0) module_logger("http")->debug("/metrics: {} samples dropped (bad name or type clash)", m.dropped());
  return m.str();
}

void add_ops_routes(router& r, api_context& ctx) {
  r.add("GET", "/metrics", scope::metrics, [&ctx](request& q, responder s) { get_metrics(ctx, q, s); });
  r.add("GET", "/openapi.json", std::nullopt, [](request& q, responder s) { get_openapi(q, s); });
}

} // namespace leadbase::http
