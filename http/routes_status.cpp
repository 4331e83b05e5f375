// GET /v1/admin/status (scope admin): what /readyz says, with the details it
// must not show to anonymous callers — the event log's write error (RocksDB's
// text, which may name files), since when and how many writes failed, the last
// recovery from a write failure, and why the write side stopped if it did.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/time.hpp"
#include "http/api.hpp"
#include "http/server.hpp"

namespace leadbase::http {
namespace {

void write_string(json_writer& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_time(json_writer& w, millis t) { write_string(w, format_time(t)); }

void write_event_log(json_writer& w, const storage::event_log& log) {
  const storage::write_health h = log.write_status();
  w.StartObject();
  w.Key("writable");
  w.Bool(!h.failure.has_value());
  w.Key("last_position");
  w.Uint64(log.last_position());
  if (h.failure) {
    w.Key("write_error");
    write_string(w, *h.failure);
    w.Key("failing_since");
    write_time(w, h.failing_since);
    w.Key("failed_writes");
    w.Uint64(h.failed_writes);
    w.Key("restart_needed");
    w.Bool(h.restart_needed);
  }
  w.Key("failed_writes_total");
  w.Uint64(h.failed_writes_total);
  w.Key("recoveries");
  w.Uint64(h.recoveries);
  if (h.recovered_at) {
    w.Key("last_recovery");
    w.StartObject();
    w.Key("at");
    write_time(w, *h.recovered_at);
    w.Key("after_failed_writes");
    w.Uint64(h.recovered_after_failed_writes);
    w.Key("write_error");
    write_string(w, h.recovered_from);
    w.EndObject();
  }
  w.EndObject();
}

void get_status(api_context& ctx, request&, responder respond) {
  const readiness r = projections_readiness(ctx);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("ready");
  w.Bool(r.ready);
  if (!r.ready) {
    w.Key("not_ready");
    write_string(w, r.detail);
  }
  if (ctx.log != nullptr) {
    w.Key("event_log");
    write_event_log(w, *ctx.log);
  }
  if (ctx.leads != nullptr) {
    const auto failure = ctx.leads->failure();
    w.Key("write_side");
    w.StartObject();
    w.Key("running");
    w.Bool(!failure.has_value());
    if (failure) {
      w.Key("failure");
      write_string(w, *failure);
    }
    w.EndObject();
  }
  w.EndObject();
  respond(json_response(200, buf.GetString()));
}

} // namespace

void add_status_routes(router& r, api_context& ctx) {
  r.add("GET", "/v1/admin/status", scope::admin, [&ctx](request& q, responder s) { get_status(ctx, q, std::move(s)); });
}

} // namespace leadbase::http
