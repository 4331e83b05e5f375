// End to end, the work figures (docs/http-api.md "Operations"): claims, contacts and a
// meeting booked show in GET /v1/stats (work), GET /v1/stats/series (contacts,
// meetings_booked) and GET /metrics; a lapsed claim counts as expired.
#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/work_fixture.hpp"

using namespace leadbase::e2e;

namespace {


/// Logs a contact; returns its position.
long long contact(http_client& c, const std::string& lead, const std::string& outcome, const char* token) {
  auto r = c.post_json("/v1/leads/" + lead + "/contacts", "{\"channel\":\"phone\",\"outcome\":\"" + outcome + "\"}",
                       token);
  auto d = json_of(r);
  REQUIRE(r.status == 201);
  return num(d, "position");
}

/// GET /v1/stats once the stats have reached `position`.
rapidjson::Document stats_at(http_client& c, long long position, const std::string& window = "1h") {
  auto r = c.get("/v1/stats?window=" + window + "&min_position=" + std::to_string(position) + "&wait_ms=10000",
                 read_token);
  auto d = json_of(r);
  REQUIRE(r.status == 200);
  return d;
}

std::string metrics(http_client& c) {
  auto r = c.get("/metrics", admin_token);
  REQUIRE(r.status == 200);
  return r.body;
}

} // namespace

TEST_CASE("claims, contacts and a meeting booked show in /v1/stats, its series and /metrics", "[e2e][work][stats]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string booked = uid("ws"), closed = uid("ws"), waiting = uid("ws");
  for (const auto& lead : {booked, closed, waiting}) signup(c, lead);

  REQUIRE(c.post_json("/v1/leads/" + booked + "/claim", "{}", ana_token).status == 200);
  contact(c, booked, "no_answer", ana_token);
  contact(c, booked, "meeting_booked", ana_token);
  REQUIRE(c.post_json("/v1/leads/" + closed + "/claim", "{}", bia_token).status == 200);
  contact(c, closed, "not_interested", bia_token);
  REQUIRE(c.post_json("/v1/leads/" + waiting + "/claim", "{}", ana_token).status == 200);
  // The claim's position: from the lead's history (the view carries the version).
  auto h = json_of(c.get("/v1/leads/" + waiting + "/history", audit_token));
  long long head = 0;
  for (const auto& e : arr(h, "events").GetArray()) head = std::max<long long>(head, num(e, "position"));

  auto st = stats_at(c, head);
  const auto& work = obj(st, "work");
  INFO(to_json(work));
  CHECK(num(work, "claimed") == 1);
  CHECK(num(work, "contacted") == 0);
  CHECK(num(work, "meeting_booked") == 1);
  CHECK(num(work, "closed") == 1);
  CHECK(num(work, "expired_claims") == 0);
  const auto& outcomes = obj(work, "by_outcome");
  CHECK(num(outcomes, "no_answer") == 1);
  CHECK(num(outcomes, "meeting_booked") == 1);
  CHECK(num(outcomes, "not_interested") == 1);
  CHECK(num(outcomes, "connected") == 0);
  const auto& first = obj(work, "first_contact_ms");
  REQUIRE_FALSE(is_null(first, "mean"));
  CHECK(first["mean"].GetDouble() >= 0);
  CHECK(num(first, "p50") >= 0);
  CHECK(num(first, "p95") >= num(first, "p50"));

  // The series: three contacts, one meeting, in the last hour.
  auto s = c.get("/v1/stats/series?window=1h&step=5m", read_token);
  REQUIRE(s.status == 200);
  auto series = json_of(s);
  long long contacts = 0, meetings = 0;
  for (const auto& p : arr(series, "points").GetArray()) {
    contacts += p["contacts"].GetInt64();
    meetings += p["meetings_booked"].GetInt64();
  }
  CHECK(contacts == 3);
  CHECK(meetings == 1);

  const std::string text = metrics(c);
  for (const char* line : {"leadbase_work_leads{stage=\"assigned\"} 1\n", "leadbase_work_leads{stage=\"meeting_booked\"} 1\n",
                           "leadbase_work_leads{stage=\"closed\"} 1\n", "leadbase_contacts_total{outcome=\"no_answer\"} 1\n",
                           "leadbase_contacts_total{outcome=\"meeting_booked\"} 1\n",
                           "leadbase_contacts_total{outcome=\"not_interested\"} 1\n", "leadbase_claims_expired_total 0\n",
                           "leadbase_first_contact_seconds_count 2\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
  for (const auto& lead : {booked, closed, waiting}) CHECK(text.find(lead) == std::string::npos);
  CHECK(text.find("\"ana\"") == std::string::npos);
  CHECK(text.find("\"bia\"") == std::string::npos);
}

TEST_CASE("a claim that lapses counts in expired_claims and leadbase_claims_expired_total", "[e2e][work][stats]") {
  server_options opts;
  opts.extra_toml = "\n[work]\nclaim_ttl_hours = 0.0003\n";  // about a second
  server_process srv(opts);
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("wx");
  signup(c, lead);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  long long released_at = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (released_at == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto h = json_of(c.get("/v1/leads/" + lead + "/history", audit_token));
    for (const auto& e : arr(h, "events").GetArray())
      if (str(e, "type") == "released") released_at = num(e, "position");
  }
  REQUIRE(released_at > 0);
  auto st = stats_at(c, released_at);
  CHECK(num(obj(st, "work"), "expired_claims") == 1);
  CHECK(num(obj(st, "work"), "claimed") == 0);
  CHECK(metrics(c).find("leadbase_claims_expired_total 1\n") != std::string::npos);
}
