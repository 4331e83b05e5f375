// Ingest: POST /v1/signups and POST /v1/events. The body is parsed and
// validated here (nothing is stored on a schema error); the lead actor decides
// the rest; the answer goes out only after the journal's synced write.
#include <mutex>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "http/api.hpp"
#include "http/append_answer.hpp"
#include "http/problem.hpp"

namespace leadbase::http {
namespace {

void post_signup(api_context& ctx, request& req, responder respond) {
  auto parsed = parse_signup(req.body);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  append_command cmd = std::move(*parsed);
  cmd.ev.meta.correlation_id = req.correlation_id;
  std::string lead_id = cmd.ev.meta.lead_id, event_id = cmd.ev.meta.event_id;
  ctx.leads->append(std::move(cmd), [respond, lead_id, event_id](append_outcome o) {
    if (o.code != errc::success) return respond(append_problem(o));
    response res =
        json_response(o.duplicate ? 200 : 202, append_document(o, {{"lead_id", lead_id}, {"event_id", event_id}}));
    res.set_header("Location", "/v1/leads/" + lead_id);
    respond(std::move(res));
  });
}

/// One batch in flight: results fill in as the leads answer, in any order;
/// the last one to answer sends the response, in input order.
struct batch_state {
  std::mutex mutex;
  std::vector<std::string> event_ids;
  std::vector<append_outcome> outcomes;
  std::vector<const parse_failure*> failures;  // points into `items`
  std::vector<batch_item> items;
  size_t remaining = 0;
  responder respond;

  void finish() {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("results");
    w.StartArray();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      w.StartObject();
      w.Key("event_id");
      if (event_ids[i].empty()) w.Null();
      else w.String(event_ids[i].c_str(), static_cast<rapidjson::SizeType>(event_ids[i].size()));
      w.Key("status");
      if (failures[i]) {
        w.String("rejected");
        w.Key("error");
        w.String(failures[i]->code == errc::bad_request ? "bad_request" : "validation");
        w.Key("detail");
        w.String(failures[i]->detail.c_str());
        if (!failures[i]->errors.empty()) {
          w.Key("errors");
          w.StartArray();
          for (const auto& e : failures[i]->errors) {
            w.StartObject();
            w.Key("field");
            w.String(e.field.c_str());
            w.Key("message");
            w.String(e.message.c_str());
            w.EndObject();
          }
          w.EndArray();
        }
      } else if (outcomes[i].code != errc::success) {
        w.String("rejected");
        w.Key("error");
        w.String(to_string(outcomes[i].code));
        w.Key("detail");
        w.String(outcomes[i].message.c_str());
      } else {
        w.String(outcomes[i].duplicate ? "duplicate" : "accepted");
        w.Key("position");
        w.Uint64(outcomes[i].position);
        w.Key("version");
        w.Uint64(outcomes[i].version);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    respond(json_response(200, buf.GetString()));
  }
};

void post_events(api_context& ctx, request& req, responder respond) {
  const bool ndjson = media_type(req.content_type()) == "application/x-ndjson";
  auto parsed = parse_batch(req.body, ndjson);
  if (!parsed) return respond(to_response(problem_from(parsed.err())));
  auto batch = std::make_shared<batch_state>();
  batch->items = std::move(*parsed);
  const size_t n = batch->items.size();
  batch->event_ids.resize(n);
  batch->outcomes.resize(n);
  batch->failures.assign(n, nullptr);
  batch->respond = std::move(respond);
  if (n == 0) return batch->finish();
  std::vector<size_t> to_send;
  for (size_t i = 0; i < n; ++i) {
    batch->event_ids[i] = batch->items[i].event_id;
    if (!batch->items[i].command) batch->failures[i] = &batch->items[i].command.err();
    else to_send.push_back(i);
  }
  batch->remaining = to_send.size();
  if (to_send.empty()) return batch->finish();
  // Sent in input order from this one thread: items of the same lead reach its
  // actor, and so the log, in the order given.
  for (size_t i : to_send) {
    append_command cmd = std::move(*batch->items[i].command);
    cmd.ev.meta.correlation_id = req.correlation_id;
    ctx.leads->append(std::move(cmd), [batch, i](append_outcome o) {
      bool last;
      {
        std::lock_guard<std::mutex> guard(batch->mutex);
        batch->outcomes[i] = std::move(o);
        last = --batch->remaining == 0;
      }
      if (last) batch->finish();
    });
  }
}

} // namespace

void add_ingest_routes(router& r, api_context& ctx) {
  r.add("POST", "/v1/signups", scope::ingest, [&ctx](request& req, responder res) { post_signup(ctx, req, res); });
  route_options batch_types;
  batch_types.content_types = {"application/json", "application/x-ndjson"};
  r.add("POST", "/v1/events", scope::ingest, [&ctx](request& req, responder res) { post_events(ctx, req, res); },
        batch_types);
}

} // namespace leadbase::http
