// End to end, the SDR work loop (docs/http-api.md "Working leads"): whoami, claim,
// release, contacts, claim next (with many clients racing), the queue's owner
// and stage filters, a claim lapsing across a SIGKILL, and an erased note
// gone from the data dir.
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/time.hpp"
#include "tests/e2e/work_fixture.hpp"

using namespace leadbase::e2e;

namespace {

/// The lead ids of GET /v1/leads?QUERY once the queue has reached `min_position`.
std::vector<std::string> queue_ids(http_client& c, const std::string& query, long long min_position,
                                   const char* token = read_token) {
  auto r = c.get("/v1/leads?" + query + "&limit=500&min_position=" + std::to_string(min_position) + "&wait_ms=10000",
                 token);
  auto d = json_of(r);
  REQUIRE(r.status == 200);
  std::vector<std::string> ids;
  for (const auto& item : arr(d, "items").GetArray()) ids.push_back(str(item, "lead_id"));
  return ids;
}

bool has_id(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string contact_body(const std::string& channel, const std::string& outcome, const std::string& note = {}) {
  std::string b = "{\"channel\":\"" + channel + "\",\"outcome\":\"" + outcome + "\"";
  if (!note.empty()) b += ",\"note\":\"" + note + "\"";
  return b + "}";
}

} // namespace

TEST_CASE("GET /v1/whoami names the token's person and scopes", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  auto ana = json_of(c.get("/v1/whoami", ana_token));
  CHECK(str(ana, "name") == "ana");
  CHECK(to_json(arr(ana, "scopes")) == R"(["read","work"])");
  auto reader = json_of(c.get("/v1/whoami", read_token));
  CHECK(str(reader, "name") == "sdr-team");
  check_problem(c.get("/v1/whoami"), 401, "unauthorized");
  check_problem(c.get("/v1/whoami", "no-such-token"), 401, "unauthorized");
}

TEST_CASE("claim, contacts, release on a named lead: who may do what, and the view's work part", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("w");
  signup(c, lead);

  check_problem(c.post_json("/v1/leads/" + lead + "/claim", "{}", read_token), 403, "forbidden");
  check_problem(c.post_json("/v1/leads/" + uid("nobody") + "/claim", "{}", ana_token), 404, "not_found");
  check_problem(c.post_json("/v1/leads/" + lead + "/claim", "{\"expected_version\":99}", ana_token), 409, "conflict");

  auto claimed = c.post_json("/v1/leads/" + lead + "/claim", "", ana_token);
  auto v = json_of(claimed);
  REQUIRE(claimed.status == 200);
  CHECK(claimed.header("ETag") == "\"" + std::to_string(num(v, "version")) + "\"");
  const auto& work = obj(v, "work");
  CHECK(str(work, "owner") == "ana");
  CHECK(str(work, "stage") == "assigned");
  CHECK_FALSE(is_null(work, "claimed_at"));
  CHECK_FALSE(is_null(work, "claim_expires_at"));
  CHECK(num(work, "contacts") == 0);
  CHECK(is_null(work, "last_contact"));
  CHECK(is_null(work, "first_contact_ms"));
  // priority.components add up to the score.
  const auto& prio = obj(v, "priority");
  const auto& parts = obj(prio, "components");
  const double sum = parts["reach"].GetDouble() + parts["engagement"].GetDouble() + parts["activity"].GetDouble() +
                     parts["completeness"].GetDouble();
  CHECK(sum == Approx(prio["score"].GetDouble()).margin(1e-9));

  // Another SDR: refused; the owner again: the same view.
  check_problem(c.post_json("/v1/leads/" + lead + "/claim", "{}", bia_token), 409, "conflict");
  CHECK(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  check_problem(c.post_json("/v1/leads/" + lead + "/release", "", bia_token), 409, "conflict");
  check_problem(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "connected"), bia_token), 409,
                "conflict");

  // Contacts: validation, then one that counts.
  auto bad = c.post_json("/v1/leads/" + lead + "/contacts", contact_body("pigeon", "maybe"), ana_token);
  check_problem(bad, 422, "validation");
  CHECK(contains(error_fields(bad), "channel"));
  CHECK(contains(error_fields(bad), "outcome"));
  auto long_note = c.post_json("/v1/leads/" + lead + "/contacts",
                               contact_body("phone", "connected", std::string(2001, 'x')), ana_token);
  check_problem(long_note, 422, "validation");
  CHECK(contains(error_fields(long_note), "note"));
  check_problem(c.post_json("/v1/leads/" + lead + "/contacts", "nope", ana_token), 400, "bad_request");
  // A contact time ahead of the server's clock is a validation error like the others: it names the field.
  auto ahead = c.post_json("/v1/leads/" + lead + "/contacts",
                           R"({"channel":"phone","outcome":"connected","contacted_at":"2099-01-01T00:00:00.000Z"})",
                           ana_token);
  check_problem(ahead, 422, "validation");
  CHECK(error_fields(ahead) == std::vector<std::string>{"contacted_at"});
  // So is one before the creator signed up (the signup occurred 2026-11-28T12:00Z).
  auto before = c.post_json("/v1/leads/" + lead + "/contacts",
                            R"({"channel":"phone","outcome":"connected","contacted_at":"2020-01-01T00:00:00.000Z"})",
                            ana_token);
  check_problem(before, 422, "validation");
  CHECK(error_fields(before) == std::vector<std::string>{"contacted_at"});
  auto logged = c.post_json("/v1/leads/" + lead + "/contacts", contact_body("whatsapp", "connected", "call at 5"),
                            ana_token);
  auto ld = json_of(logged);
  REQUIRE(logged.status == 201);
  CHECK(str(ld, "lead_id") == lead);
  const long long contact_pos = num(ld, "position");
  CHECK(contact_pos > 0);

  auto view = json_of(get_view(c, lead, contact_pos));
  const auto& w2 = obj(view, "work");
  CHECK(str(w2, "stage") == "contacted");
  CHECK(num(w2, "contacts") == 1);
  CHECK(str(obj(w2, "last_contact"), "by") == "ana");
  CHECK(str(obj(w2, "last_contact"), "channel") == "whatsapp");
  CHECK(str(obj(w2, "last_contact"), "outcome") == "connected");
  CHECK(num(w2, "first_contact_ms") >= 0);

  // The queue's owner and stage filters.
  CHECK(has_id(queue_ids(c, "owner=me", contact_pos, ana_token), lead));
  CHECK(has_id(queue_ids(c, "owner=ana&stage=contacted", contact_pos), lead));
  CHECK_FALSE(has_id(queue_ids(c, "owner=none", contact_pos), lead));
  CHECK_FALSE(has_id(queue_ids(c, "stage=assigned", contact_pos), lead));
  check_problem(c.get("/v1/leads?stage=napping", read_token), 422, "validation");

  // History names the new events' data.
  auto h = json_of(c.get("/v1/leads/" + lead + "/history", audit_token));
  std::vector<std::string> types;
  for (const auto& e : arr(h, "events").GetArray()) types.push_back(str(e, "type"));
  CHECK(contains(types, "assigned"));
  CHECK(contains(types, "contact_logged"));
  CHECK(str(h, "integrity") == "verified");

  // A release takes no fields, but a body that is not a JSON object is refused, not ignored: nothing changes.
  check_problem(c.post_json("/v1/leads/" + lead + "/release", "nope", ana_token), 400, "bad_request");
  check_problem(c.post_json("/v1/leads/" + lead + "/release", "[]", ana_token), 400, "bad_request");
  CHECK(c.get("/v1/leads/" + lead + "/history", audit_token).body.find("\"type\":\"released\"") == std::string::npos);

  // The owner releases: unassigned again, back in the queue.
  auto rel = c.post_json("/v1/leads/" + lead + "/release", "", ana_token);
  auto rv = json_of(rel);
  REQUIRE(rel.status == 200);
  CHECK(is_null(obj(rv, "work"), "owner"));
  CHECK(str(obj(rv, "work"), "stage") == "unassigned");
  check_problem(c.post_json("/v1/leads/" + lead + "/release", "", ana_token), 409, "conflict");

  // bia takes it and closes it; a closed lead leaves the queue and cannot be claimed.
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", bia_token).status == 200);
  auto closed = c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "do_not_contact"), bia_token);
  REQUIRE(closed.status == 201);
  const long long closed_pos = num(json_of(closed), "position");
  check_problem(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "connected"), bia_token), 409,
                "conflict");
  REQUIRE(c.post_json("/v1/leads/" + lead + "/release", "", bia_token).status == 200);
  check_problem(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token), 409, "conflict");
  CHECK_FALSE(has_id(queue_ids(c, "team=ldr", closed_pos), lead));
  CHECK_FALSE(has_id(queue_ids(c, "owner=none", closed_pos), lead));
  CHECK(has_id(queue_ids(c, "stage=closed", closed_pos), lead));
  // An admin may reopen it.
  auto reopened = c.post_json("/v1/leads/" + lead + "/contacts", contact_body("email", "connected"), admin_token);
  CHECK(reopened.status == 201);
}

TEST_CASE("disqualified and erased leads cannot be claimed; disqualified ones are listed by status", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string dq = uid("dq");
  signup(c, dq, dq + "@mailinator.com");  // a disposable domain: disqualified by the rules
  const long long dq_pos = head_of(c, dq);
  auto view = json_of(get_view(c, dq, dq_pos));
  REQUIRE(str(view, "status") == "disqualified");
  check_problem(c.post_json("/v1/leads/" + dq + "/claim", "{}", ana_token), 409, "conflict");
  CHECK(has_id(queue_ids(c, "status=disqualified", dq_pos), dq));
  CHECK_FALSE(has_id(queue_ids(c, "team=ldr", dq_pos), dq));
  CHECK_FALSE(has_id(queue_ids(c, "owner=none", dq_pos), dq));

  const std::string gone = uid("er");
  signup(c, gone);
  REQUIRE(c.post_json("/v1/leads/" + gone + "/erase", "{\"reason\":\"lgpd\"}", admin_token).status == 200);
  check_problem(c.post_json("/v1/leads/" + gone + "/claim", "{}", ana_token), 409, "conflict");
  check_problem(c.post_json("/v1/leads/" + gone + "/contacts", contact_body("phone", "connected"), admin_token), 409,
                "conflict");
}

TEST_CASE("POST /v1/queue/claim: the best lead first, 204 when none, never one lead to two clients", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  // A filter no lead matches yet: 204.
  CHECK(c.post_json("/v1/queue/claim", "{\"country\":\"ZZ\"}", ana_token).status == 204);
  check_problem(c.post_json("/v1/queue/claim", "{\"team\":\"xyz\"}", ana_token), 422, "validation");
  check_problem(c.post_json("/v1/queue/claim", "{}", read_token), 403, "forbidden");

  const int leads = 60;
  std::set<std::string> all;
  long long last = 0;
  for (int i = 0; i < leads; ++i) {
    const std::string lead = uid("q" + std::to_string(i));
    auto r = c.post_json("/v1/signups", workable_signup(lead, {}, "ZZ"), ingest_token);
    REQUIRE(r.status == 202);
    all.insert(lead);
    last = std::max(last, num(json_of(r), "position"));
  }
  for (const auto& lead : all) last = std::max(last, head_of(c, lead));
  // The queue has them all before the race starts.
  REQUIRE(queue_ids(c, "country=ZZ", last).size() == all.size());

  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> got;  // lead -> who got it
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      http_client cl(srv.port());
      const char* token = t % 2 == 0 ? ana_token : bia_token;
      for (;;) {
        auto r = cl.try_request("POST", "/v1/queue/claim", "{\"country\":\"ZZ\"}",
                                {bearer(token), {"Content-Type", "application/json"}});
        std::lock_guard<std::mutex> g(mutex);
        if (r.status == 204) return;
        if (r.status != 200) {
          unexpected.push_back(std::to_string(r.status) + " " + r.error + " " + r.body.substr(0, 300));
          return;
        }
        rapidjson::Document d;
        d.Parse(r.body.c_str(), r.body.size());
        got[str(d, "lead_id")].push_back(std::string(token == ana_token ? "ana" : "bia") + "/" + std::to_string(t));
        if (str(obj(d, "work"), "owner") != (token == ana_token ? "ana" : "bia"))
          unexpected.push_back("owner " + str(obj(d, "work"), "owner"));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& u : unexpected) FAIL_CHECK(u);
  CHECK(got.size() == all.size());
  for (const auto& [lead, who] : got) {
    INFO(lead);
    CHECK(all.count(lead) == 1);
    CHECK(who.size() == 1);  // no lead handed out twice
  }
  CHECK(c.post_json("/v1/queue/claim", "{\"country\":\"ZZ\"}", ana_token).status == 204);
}

TEST_CASE("a claim lapses after claim_ttl_hours, across a SIGKILL, exactly once", "[e2e][work]") {
  server_options opts;
  opts.extra_toml = "\n[work]\nclaim_ttl_hours = 0.0005\n";  // 1.8 s
  server_process srv(opts);
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("x");
  signup(c, lead);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  srv.kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the lapse while no server runs
  srv.restart();
  c.set_port(srv.port());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int releases = 0;
  std::string last_body;
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = c.get("/v1/leads/" + lead + "/history", audit_token);
    last_body = h.body;
    auto d = parse_json(h.body);
    releases = 0;
    for (const auto& e : arr(d, "events").GetArray())
      if (str(e, "type") == "released") {
        ++releases;
        CHECK(str(obj(e, "data"), "reason") == "expired");
        CHECK(str(obj(e, "data"), "owner") == "ana");
      }
    if (releases > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(last_body.substr(0, 3000));
  REQUIRE(releases == 1);
  // Another restart does not release it again.
  srv.stop();
  srv.restart();
  c.set_port(srv.port());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto d = parse_json(c.get("/v1/leads/" + lead + "/history", audit_token).body);
  int again = 0;
  for (const auto& e : arr(d, "events").GetArray()) again += str(e, "type") == "released" ? 1 : 0;
  CHECK(again == 1);
  // And the lead can be claimed again: the claim lapses on a live server too.
  auto r = c.post_json("/v1/leads/" + lead + "/claim", "{}", bia_token);
  REQUIRE(r.status == 200);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool lapsed = false;
  while (!lapsed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto h = parse_json(c.get("/v1/leads/" + lead + "/history", audit_token).body);
    int n = 0;
    for (const auto& e : arr(h, "events").GetArray()) n += str(e, "type") == "released" ? 1 : 0;
    lapsed = n == 2;
  }
  CHECK(lapsed);
}

TEST_CASE("an erased lead's contact note is in no file of the data dir", "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("n");
  signup(c, lead);
  const std::string note = "needle-note-" + unique_suffix();
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  auto logged = c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "no_answer", note), ana_token);
  REQUIRE(logged.status == 201);
  auto h = c.get("/v1/leads/" + lead + "/history", audit_token);
  CHECK(h.body.find(note) != std::string::npos);  // readable before the erasure
  REQUIRE(c.post_json("/v1/leads/" + lead + "/erase", "{\"reason\":\"lgpd\"}", admin_token).status == 200);
  for (const auto& p : files_containing(srv.data_dir(), note)) FAIL_CHECK("note found in " << p);
  auto after = c.get("/v1/leads/" + lead + "/history", audit_token);
  CHECK(after.body.find(note) == std::string::npos);
  CHECK(after.body.find("\"note\":\"[erased]\"") != std::string::npos);
}

TEST_CASE("an erased lead's notes, logged by its owner, an admin and the person it was assigned to, are gone",
          "[e2e][work]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("na");
  signup(c, lead);
  const std::string suffix = unique_suffix();
  const std::vector<std::string> notes = {"owner-note-" + suffix, "admin-note-" + suffix, "assignee-note-" + suffix};
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "no_answer", notes[0]), ana_token)
              .status == 201);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("email", "connected", notes[1]), admin_token)
              .status == 201);
  // Taken over by an admin (released + assigned in one append), then worked by bia.
  REQUIRE(c.post_json("/v1/leads/" + lead + "/assign", "{\"owner\":\"bia\"}", admin_token).status == 200);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("whatsapp", "meeting_booked", notes[2]),
                      bia_token)
              .status == 201);
  const std::string before = c.get("/v1/leads/" + lead + "/history", audit_token).body;
  for (const auto& n : notes) CHECK(before.find(n) != std::string::npos);
  REQUIRE(c.post_json("/v1/leads/" + lead + "/erase", "{\"reason\":\"lgpd\"}", admin_token).status == 200);
  for (const auto& n : notes)
    for (const auto& p : files_containing(srv.data_dir(), n)) FAIL_CHECK(n << " found in " << p);
  for (const std::string path : {"/history", "/replay", "/history?include=stored"}) {
    const std::string body = c.get("/v1/leads/" + lead + path, audit_token).body;
    for (const auto& n : notes) CHECK(body.find(n) == std::string::npos);
  }
  const std::string feed = c.get("/v1/feed?after=0&limit=1000", audit_token).body;
  for (const auto& n : notes) CHECK(feed.find(n) == std::string::npos);
  const std::string after = c.get("/v1/leads/" + lead + "/history", audit_token).body;
  size_t erased = 0;
  for (size_t at = after.find("\"note\":\"[erased]\""); at != std::string::npos;
       at = after.find("\"note\":\"[erased]\"", at + 1))
    ++erased;
  CHECK(erased == notes.size());
}

TEST_CASE("a contact restarts the claim's lapse durably: after a SIGKILL the old lapse does not fire, the new one once",
          "[e2e][work]") {
  server_options opts;
  opts.extra_toml = "\n[work]\nclaim_ttl_hours = 0.002\n";  // 7.2 s
  server_process srv(opts);
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("rs");
  signup(c, lead);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(c.post_json("/v1/leads/" + lead + "/claim", "{}", ana_token).status == 200);
  std::this_thread::sleep_until(t0 + std::chrono::seconds(3));
  REQUIRE(c.post_json("/v1/leads/" + lead + "/contacts", contact_body("phone", "no_answer"), ana_token).status ==
          201);  // lapses now at t0 + 10.2 s
  srv.kill();
  std::this_thread::sleep_until(t0 + std::chrono::milliseconds(7800));  // past the claim's first lapse
  srv.restart();
  c.set_port(srv.port());
  auto releases = [&] {
    auto d = parse_json(c.get("/v1/leads/" + lead + "/history", audit_token).body);
    int n = 0;
    for (const auto& e : arr(d, "events").GetArray()) n += str(e, "type") == "released" ? 1 : 0;
    return n;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (std::chrono::steady_clock::now() < t0 + std::chrono::milliseconds(9700)) CHECK(releases() == 0);
  auto v = json_of(c.get("/v1/leads/" + lead, read_token));
  if (std::chrono::steady_clock::now() < t0 + std::chrono::milliseconds(9700)) CHECK(str(obj(v, "work"), "owner") == "ana");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int n = 0;
  while ((n = releases()) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(std::chrono::steady_clock::now() >= t0 + std::chrono::milliseconds(10000));
  REQUIRE(n == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(releases() == 1);
  // On any machine speed: the release came a whole TTL after the contact (the
  // restarted lapse), not a TTL after the claim (the old one), by the log's own clock.
  auto d = parse_json(c.get("/v1/leads/" + lead + "/history", audit_token).body);
  std::optional<leadbase::millis> claimed_at, contacted_at, released_at;
  for (const auto& e : arr(d, "events").GetArray()) {
    const auto at = leadbase::parse_time(str(e, "recorded_at"));
    if (str(e, "type") == "assigned") claimed_at = at;
    if (str(e, "type") == "contact_logged") contacted_at = at;
    if (str(e, "type") == "released") released_at = at;
  }
  REQUIRE(claimed_at);
  REQUIRE(contacted_at);
  REQUIRE(released_at);
  CHECK(*contacted_at - *claimed_at >= 2500);
  CHECK(*released_at >= *contacted_at + 7200);
}
