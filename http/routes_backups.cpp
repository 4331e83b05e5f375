// Online backups (scope admin): POST /v1/admin/backups takes one while the
// service serves (202 once the copy exists; it is verified afterwards),
// GET /v1/admin/backups lists them. storage/backup_service.hpp does the work.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "http/api.hpp"
#include "http/problem.hpp"
#include "storage/backup_service.hpp"

namespace leadbase::http {
namespace {

void post_backup(api_context& ctx, responder respond) {
  if (!ctx.backups) return respond(problem_response(problem_kind::overloaded, "backups are not available"));
  auto st = ctx.backups->start([respond](const result<storage::backup_info>& b) {
    if (!b) return respond(problem_response(b.err()));
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("backup_id");
    w.Uint64(b->id);
    w.Key("position");
    w.Uint64(b->position);
    w.Key("verified");
    w.Bool(false);  // verification runs now; GET /v1/admin/backups shows its outcome
    w.EndObject();
    auto res = json_response(202, buf.GetString());
    res.headers.set("Location", "/v1/admin/backups");
    respond(std::move(res));
  });
  if (!st) respond(problem_response(st.err()));
}

void get_backups(api_context& ctx, responder respond) {
  if (!ctx.backups) return respond(problem_response(problem_kind::overloaded, "backups are not available"));
  auto all = storage::list_backups(ctx.backups->root());
  if (!all) return respond(problem_response(all.err()));
  const auto f = ctx.backups->current();
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("in_progress");
  w.Bool(f.running);
  w.Key("backups");
  w.StartArray();
  for (auto it = all->rbegin(); it != all->rend(); ++it) {  // newest first
    const std::string item = storage::backup_json(*it);
    w.RawValue(item.c_str(), item.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.EndObject();
  respond(json_response(200, buf.GetString()));
}

} // namespace

void add_backup_routes(router& r, api_context& ctx) {
  r.add("POST", "/v1/admin/backups", scope::admin, [&ctx](request&, responder s) { post_backup(ctx, s); });
  r.add("GET", "/v1/admin/backups", scope::admin, [&ctx](request&, responder s) { get_backups(ctx, s); });
}

void render_backup_metrics(const api_context& ctx, metrics_writer& m) {
  const auto f = ctx.backups ? ctx.backups->current() : storage::backup_service::figures{};
  m.gauge("leadbase_backup_last_success_timestamp_seconds",
          "Unix time the newest verified backup was taken (0: none yet).",
          f.last_success ? static_cast<double>(*f.last_success) / 1000.0 : 0.0);
  m.gauge("leadbase_backup_last_success_size_bytes", "Bytes of the newest verified backup.",
          static_cast<double>(f.last_success_bytes));
  m.counter("leadbase_backup_failures_total", "Backups that failed to be taken or verified since start.",
            static_cast<double>(f.failures));
  m.gauge("leadbase_backup_in_progress", "1 while a backup is being taken or verified.", f.running ? 1 : 0);
}

} // namespace leadbase::http
