// End-to-end: input that must be refused, not guessed (issue 10, items
// 10-12), against the real `leadbase serve`.
#include <string>
#include <vector>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;
using namespace std::string_literals;

namespace {

std::string uid(const std::string& prefix) { return prefix + "-" + unique_suffix(); }

struct route_call {
  std::string method, suffix, body;
};

rapidjson::Document get_json(http_client& c, const std::string& target, const char* token) {
  auto r = c.get(target, token);
  INFO(target << ": " << r.body.substr(0, 500));
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

} // namespace

TEST_CASE("a lead id with a NUL, a separator byte or only dots is 422 on every {lead_id} route and reads nothing",
          "[e2e][input]") {
  auto& srv = shared_server();
  auto c = srv.client();
  // A lead whose events a NUL-padded id used to read (and show as erased).
  const std::string lead = uid("abc");
  const std::string email = "victim." + lead + "@exemplo.com.br";
  REQUIRE(c.post_json("/v1/signups", signup_body(uid("sg"), lead, email, "Victim Name"), ingest_token).status == 202);
  settle(c, lead);
  auto before = get_json(c, "/v1/leads/" + lead + "/history", audit_token);

  const std::vector<route_call> routes = {
      {"GET", "", ""},
      {"GET", "/history", ""},
      {"GET", "/state?as_of=2100-01-01T00:00:00.000Z", ""},
      {"GET", "/replay", ""},
      {"POST", "/erase", R"({"reason":"test"})"},
      {"POST", "/enrichment/retry", ""},
  };
  const std::vector<std::string> bad_ids = {
      lead + "%00",
      lead + "%00%00%00%00%00%00%00%00",
      lead + "%00%00%00%00%00%00%00%00%01",
      lead + "%01",
      "%00",
      "...",
      "%2E%2E",
      "%2E",
      lead + "%2F..",
  };
  for (const auto& rc : routes)
    for (const auto& id : bad_ids) {
      const std::string target = "/v1/leads/" + id + rc.suffix;
      INFO(rc.method << " " << target);
      header_pairs h{bearer(admin_token)};
      if (!rc.body.empty()) h.push_back({"Content-Type", "application/json"});
      auto r = c.request(rc.method, target, rc.body, h);
      INFO(r.body);
      check_problem(r, 422, "validation");
      CHECK(error_fields(r) == std::vector<std::string>{"lead_id"});
      CHECK(r.body.find(email) == std::string::npos);
    }

  // The lead is untouched: same history, nothing erased.
  auto after = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  CHECK(to_json(arr(after, "events")) == to_json(arr(before, "events")));
  CHECK(to_json(after).find("[erased]") == std::string::npos);
  auto view = get_json(c, "/v1/leads/" + lead, read_token);
  CHECK(str(obj(view, "contact"), "email") == email);
}

TEST_CASE("lead ids made only of dots are refused at ingest with 422", "[e2e][input]") {
  auto& srv = shared_server();
  auto c = srv.client();
  for (const std::string& id : {"."s, ".."s, "..."s}) {
    INFO(id);
    auto r = c.post_json("/v1/signups", signup_body(uid("sg"), id), ingest_token);
    INFO(r.body);
    check_problem(r, 422, "validation");
    CHECK(error_fields(r) == std::vector<std::string>{"lead_id"});
  }
}

TEST_CASE("a body with bytes after a NUL or a repeated key is 400 and stores nothing", "[e2e][input]") {
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("u");
  const std::string body = signup_body(uid("sg"), lead);
  check_problem(c.post_json("/v1/signups", body + "\0{\"lead_id\":\"other\"}"s, ingest_token), 400, "bad_request");
  check_problem(c.post_json("/v1/signups", "{\"lead_id\":\"x-" + lead + "\"," + body.substr(1), ingest_token), 400,
                "bad_request");
  check_not_stored(c, lead);
  check_not_stored(c, "x-" + lead);

  // A batch: a repeated key in one item of a JSON array refuses the body.
  const std::string dup_item = R"({"event_id":")" + uid("q") + R"(","lead_id":")" + lead +
                               R"(","type":"qualified","occurred_at":"2026-11-28T12:00:00.000Z",)"
                               R"("data":{"outcome":"qualified","decided_by":"maria","decided_by":"rules"}})";
  check_problem(c.post_json("/v1/events", "[" + dup_item + "]", ingest_token), 400, "bad_request");
  check_problem(c.post_json("/v1/events", "[]\0x"s, ingest_token), 400, "bad_request");
  // The erase body too.
  check_problem(c.post_json("/v1/leads/" + lead + "/erase", R"({"reason":"a","reason":"b"})", admin_token), 400,
                "bad_request");
}

TEST_CASE("an override whose decided_by imitates the rules, or text with bidi or zero-width tricks, is refused",
          "[e2e][input]") {
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("u");
  REQUIRE(c.post_json("/v1/signups", signup_body(uid("sg"), lead), ingest_token).status == 202);
  for (const char* fake : {R"("Rules")", R"(" rules")", R"("ru\u200bles")", R"("rul\u0435s")", R"("\u202eselur")"}) {
    INFO(fake);
    const std::string item = R"({"event_id":")" + uid("q") + R"(","lead_id":")" + lead +
                             R"(","type":"qualified","occurred_at":"2026-11-28T12:00:00.000Z",)"
                             R"("data":{"outcome":"qualified","decided_by":)" +
                             fake + "}}";
    auto r = c.post_json("/v1/events", "[" + item + "]", ingest_token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    const auto& res = arr(d, "results")[0];
    CHECK(str(res, "status") == "rejected");
    CHECK(str(res, "error") == "validation");
    CHECK(str(arr(res, "errors")[0], "field") == "data.decided_by");
  }
  const std::string other = uid("u");
  auto r = c.post_json("/v1/signups", signup_body(uid("sg"), other, other + "@exemplo.com.br", "Ana \u202Eazuos"),
                       ingest_token);
  INFO(r.body);
  check_problem(r, 422, "validation");
  CHECK(error_fields(r) == std::vector<std::string>{"name"});
  check_not_stored(c, other);
}
