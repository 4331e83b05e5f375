// End to end, an admin's assignment (docs/http-api.md "Working leads": POST
// /v1/leads/{id}/assign, scope admin): who may, the body, taking a lead over in
// one append (released + assigned), a worked-out lead handed over with its
// stage kept, the leads that cannot be assigned, and a manual assignment
// lapsing like a claim across a SIGKILL, and the owner filter finding the
// longest names an assignment takes.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/work_fixture.hpp"

using namespace leadbase::e2e;

namespace {

http_response assign(http_client& c, const std::string& lead, const std::string& body,
                     const char* token = admin_token) {
  return c.post_json("/v1/leads/" + lead + "/assign", body, token);
}

std::string owner_body(const std::string& owner) { return "{\"owner\":\"" + owner + "\"}"; }

} // namespace

TEST_CASE("POST /v1/leads/{id}/assign: an admin hands a lead over", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("as");
  signup(c, lead);

  // Scope admin; the body names the owner.
  check_problem(assign(c, lead, owner_body("bia"), ana_token), 403, "forbidden");
  check_problem(assign(c, lead, owner_body("bia"), read_token), 403, "forbidden");
  for (const std::string& body : {std::string("{}"), std::string(""), owner_body(""), std::string("{\"owner\":7}"),
                                 owner_body(std::string(201, 'x'))}) {
    INFO(body);
    auto bad = assign(c, lead, body);
    check_problem(bad, 422, "validation");
    CHECK(error_fields(bad) == std::vector<std::string>{"owner"});
  }
  check_problem(assign(c, lead, "{owner"), 400, "bad_request");
  check_problem(assign(c, uid("nobody"), owner_body("bia")), 404, "not_found");

  // Unassigned -> ana: one `assigned`, how manual, by the admin; the claim TTL runs.
  auto to_ana = assign(c, lead, owner_body("ana"));
  auto va = json_of(to_ana);
  REQUIRE(to_ana.status == 200);
  CHECK(str(obj(va, "work"), "owner") == "ana");
  CHECK(str(obj(va, "work"), "stage") == "assigned");
  CHECK_FALSE(is_null(obj(va, "work"), "claim_expires_at"));
  const long long v1 = num(va, "version");

  // The same owner again: 200, nothing appended.
  auto again = assign(c, lead, owner_body("ana"));
  REQUIRE(again.status == 200);
  CHECK(num(json_of(again), "version") == v1);

  // ana -> bia: released (by the admin) and assigned, one append, two versions.
  auto to_bia = assign(c, lead, owner_body("bia"));
  auto vb = json_of(to_bia);
  REQUIRE(to_bia.status == 200);
  CHECK(str(obj(vb, "work"), "owner") == "bia");
  CHECK(num(vb, "version") == v1 + 2);
  auto h = history(c, lead);
  CHECK(str(h, "integrity") == "verified");
  const auto& events = arr(h, "events");
  REQUIRE(events.Size() >= 3);
  const auto& rel = events[events.Size() - 2];
  const auto& asg = events[events.Size() - 1];
  CHECK(str(rel, "type") == "released");
  CHECK(str(obj(rel, "data"), "owner") == "ana");
  CHECK(str(obj(rel, "data"), "by") == "admin");
  CHECK(str(obj(rel, "data"), "reason") == "by_admin");
  CHECK(str(asg, "type") == "assigned");
  CHECK(str(obj(asg, "data"), "owner") == "bia");
  CHECK(str(obj(asg, "data"), "by") == "admin");
  CHECK(str(obj(asg, "data"), "how") == "manual");
  CHECK(num(asg, "position") == num(rel, "position") + 1);
  CHECK(count_of(h, "assigned") == 2);

  // The new owner works it; the old one may not.
  check_problem(c.post_json("/v1/leads/" + lead + "/contacts", R"({"channel":"phone","outcome":"connected"})",
                            ana_token),
                409, "conflict");
  auto booked = c.post_json("/v1/leads/" + lead + "/contacts", R"({"channel":"phone","outcome":"meeting_booked"})",
                            bia_token);
  REQUIRE(booked.status == 201);

  // A lead with a meeting booked is handed over with its stage kept, nothing to lapse.
  auto handed = assign(c, lead, owner_body("ana"));
  auto vh = json_of(handed);
  REQUIRE(handed.status == 200);
  CHECK(str(obj(vh, "work"), "owner") == "ana");
  CHECK(str(obj(vh, "work"), "stage") == "meeting_booked");
  CHECK(is_null(obj(vh, "work"), "claim_expires_at"));
  CHECK(num(obj(vh, "work"), "contacts") == 1);
  // The view projection agrees.
  auto view = json_of(get_view(c, lead, head_of(c, lead)));
  CHECK(str(obj(view, "work"), "owner") == "ana");
  CHECK(str(obj(view, "work"), "stage") == "meeting_booked");
}

TEST_CASE("assign refuses disqualified and erased leads", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string dq = uid("adq");
  signup(c, dq, dq + "@mailinator.com");  // a disposable domain: disqualified by the rules
  check_problem(assign(c, dq, owner_body("ana")), 409, "conflict");
  const std::string gone = uid("aer");
  signup(c, gone);
  REQUIRE(c.post_json("/v1/leads/" + gone + "/erase", "{\"reason\":\"lgpd\"}", admin_token).status == 200);
  check_problem(assign(c, gone, owner_body("ana")), 409, "conflict");
}

TEST_CASE("a manual assignment lapses after claim_ttl_hours, across a SIGKILL, once", "[e2e][work]") {
  server_options opts;
  opts.extra_toml = "\n[work]\nclaim_ttl_hours = 0.0005\n";  // 1.8 s
  server_process srv(opts);
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("al");
  signup(c, lead);
  REQUIRE(assign(c, lead, owner_body("bia")).status == 200);
  srv.kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the lapse while no server runs
  srv.restart();
  c.set_port(srv.port());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int releases = 0;
  std::string last_body;
  while (releases == 0 && std::chrono::steady_clock::now() < deadline) {
    auto r = c.get("/v1/leads/" + lead + "/history", audit_token);
    last_body = r.body;
    auto h = parse_json(r.body);
    for (const auto& e : arr(h, "events").GetArray()) {
      if (str(e, "type") != "released") continue;
      ++releases;
      CHECK(str(obj(e, "data"), "reason") == "expired");
      CHECK(str(obj(e, "data"), "owner") == "bia");
    }
    if (releases == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(last_body.substr(0, 3000));
  REQUIRE(releases == 1);
  srv.stop();
  srv.restart();
  c.set_port(srv.port());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(count_of(history(c, lead), "released") == 1);
}

TEST_CASE("the owner filter finds a lead assigned to a name of 200 characters, not only of 200 bytes",
          "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("along");
  signup(c, lead);
  std::string name, query;  // 150 × "é": 150 characters, 300 bytes
  for (int i = 0; i < 150; ++i) {
    name += "\xC3\xA9";
    query += "%C3%A9";
  }
  REQUIRE(assign(c, lead, owner_body(name)).status == 200);
  const long long head = head_of(c, lead);
  auto r = c.get("/v1/leads?owner=" + query + "&min_position=" + std::to_string(head) + "&wait_ms=10000", read_token);
  auto d = json_of(r);
  REQUIRE(r.status == 200);
  REQUIRE(arr(d, "items").Size() == 1);
  CHECK(str(arr(d, "items")[0], "lead_id") == lead);
  // 201 characters is over the limit of a name, as for the assignment itself.
  check_problem(c.get("/v1/leads?owner=" + query + std::string(51, 'x'), read_token), 422, "validation");
}
