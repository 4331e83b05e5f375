// End-to-end: the read side (docs/http-api.md "Queries", "Audit", erase in
// "Operations") against the real `leadbase serve` process.
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;

namespace {

std::string uid(const std::string& prefix) { return prefix + "-" + unique_suffix(); }

bool is_time(const rapidjson::Value& v, const char* key) {
  static const std::regex rfc3339_ms(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  const auto* m = member(v, key);
  return m && m->IsString() && std::regex_match(m->GetString(), rfc3339_ms);
}

bool is_time_or_null(const rapidjson::Value& v, const char* key) { return is_null(v, key) || is_time(v, key); }

bool is_hex64(const std::string& s) {
  static const std::regex hex(R"(^[0-9a-f]{64}$)");
  return std::regex_match(s, hex);
}

const std::string zeros(64, '0');

std::string full_signup(const std::string& ev, const std::string& lead, const std::string& email,
                        const std::string& name, const std::string& phone, const std::string& document,
                        const std::string& handle, const std::string& occurred_at = "2026-11-28T12:00:00.000Z") {
  return "{\"event_id\":\"" + ev + "\",\"lead_id\":\"" + lead + "\",\"occurred_at\":\"" + occurred_at +
         "\",\"email\":\"" + email + "\",\"name\":\"" + name + "\",\"phone\":\"" + phone +
         "\",\"country\":\"BR\",\"locale\":\"pt-BR\",\"document\":\"" + document +
         "\",\"social\":{\"instagram\":\"" + handle + "\",\"youtube\":\"@" + handle + "\",\"tiktok\":\"" + handle +
         "\"},\"source\":{\"utm_source\":\"ads\",\"utm_medium\":\"cpc\",\"utm_campaign\":\"bf26\"}}";
}

std::string qualified_item(const std::string& event_id, const std::string& lead, const std::string& outcome,
                           const std::string& at) {
  return "{\"event_id\":\"" + event_id + "\",\"lead_id\":\"" + lead + "\",\"type\":\"qualified\",\"occurred_at\":\"" +
         at + "\",\"data\":{\"outcome\":\"" + outcome + "\",\"reasons\":[],\"decided_by\":\"maria.sdr\"}}";
}

/// Checks the view document key by key (docs/http-api.md GET /v1/leads/{lead_id}).
void check_view_shape(const rapidjson::Value& v) {
  INFO("view: " << to_json(v));
  static const std::set<std::string> statuses{"signed_up", "qualified", "disqualified", "enriching",
                                              "enriched",  "enrichment_failed", "erased"};
  static const std::set<std::string> enrichment_states{"not_needed", "pending", "retry_scheduled", "succeeded",
                                                       "failed"};
  REQUIRE(v.IsObject());
  CHECK(member(v, "lead_id") != nullptr);
  CHECK(num(v, "version") >= 1);
  CHECK(statuses.count(str(v, "status")) == 1);
  CHECK(is_time(v, "signed_up_at"));
  CHECK(is_time(v, "updated_at"));
  const auto* contact = member(v, "contact");
  REQUIRE(contact);
  REQUIRE(contact->IsObject());
  for (const char* k : {"email", "name", "phone", "country"}) {
    INFO("contact." << k);
    const auto* m = member(*contact, k);
    REQUIRE(m);
    CHECK((m->IsString() || m->IsNull()));
  }
  const auto* q = member(v, "qualification");
  REQUIRE(q);
  if (!q->IsNull()) {
    REQUIRE(q->IsObject());
    CHECK((str(*q, "outcome") == "qualified" || str(*q, "outcome") == "disqualified"));
    CHECK(arr(*q, "reasons").IsArray());
    CHECK(member(*q, "reasons") != nullptr);
    CHECK(member(*q, "rules_version") != nullptr);
    CHECK(is_time(*q, "at"));
  }
  const auto* social = member(v, "social");
  REQUIRE(social);
  REQUIRE(social->IsObject());
  for (const auto& net : social->GetObject()) {
    INFO("social." << net.name.GetString());
    REQUIRE(net.value.IsObject());
    for (const char* k : {"handle", "followers", "follows", "media_count", "engagement_rate", "posts_per_week",
                          "content_mix", "creator_tier", "likes_hidden", "fetched_at"})
      CHECK(has(net.value, k));
  }
  const auto* enr = member(v, "enrichment");
  REQUIRE(enr);
  REQUIRE(enr->IsObject());
  CHECK(enrichment_states.count(str(*enr, "state")) == 1);
  CHECK(num(*enr, "attempts") >= 0);
  CHECK((is_null(*enr, "last_error") || (member(*enr, "last_error") && member(*enr, "last_error")->IsString())));
  CHECK(is_time_or_null(*enr, "next_attempt_at"));
  const auto* pr = member(v, "priority");
  REQUIRE(pr);
  if (!pr->IsNull()) {
    REQUIRE(pr->IsObject());
    CHECK(member(*pr, "score") != nullptr);
    CHECK(member(*pr, "score")->IsNumber());
    CHECK((str(*pr, "level") == "A" || str(*pr, "level") == "B" || str(*pr, "level") == "C"));
    CHECK((str(*pr, "team") == "sdr" || str(*pr, "team") == "ldr"));
    CHECK(member(*pr, "rules_version") != nullptr);
  }
  const auto* cov = member(v, "coverage");
  REQUIRE(cov);
  REQUIRE(cov->IsNumber());
  CHECK(cov->GetDouble() >= 0.0);
  CHECK(cov->GetDouble() <= 1.0);
  const auto* pms = member(v, "processing_ms");
  REQUIRE(pms);
  CHECK((pms->IsNull() || pms->IsNumber()));
}

/// Checks a history document: shape, versions 1..n, the hash chain, integrity.
void check_history(const rapidjson::Value& h, const std::string& lead) {
  INFO("history: " << to_json(h).substr(0, 4000));
  CHECK(str(h, "lead_id") == lead);
  CHECK(str(h, "integrity") == "verified");
  const auto& evs = arr(h, "events");
  REQUIRE(evs.Size() >= 1);
  std::string prev = zeros;
  long long prev_pos = 0;
  for (rapidjson::SizeType i = 0; i < evs.Size(); ++i) {
    const auto& e = evs[i];
    INFO("event " << i);
    for (const char* k : {"position", "version", "event_id", "type", "occurred_at", "recorded_at", "correlation_id",
                          "causation_id", "data", "prev_hash", "hash"})
      CHECK(has(e, k));
    CHECK(num(e, "version") == static_cast<long long>(i) + 1);
    CHECK(num(e, "position") > prev_pos);
    prev_pos = num(e, "position");
    CHECK(is_time(e, "occurred_at"));
    CHECK(is_time(e, "recorded_at"));
    CHECK(str(e, "prev_hash") == prev);
    CHECK(is_hex64(str(e, "hash")));
    CHECK(str(e, "hash") != prev);
    CHECK(member(e, "data")->IsObject());
    prev = str(e, "hash");
  }
}

rapidjson::Document get_json(http_client& c, const std::string& target, const char* token, int status = 200) {
  auto r = c.get(target, token);
  INFO(target << " -> " << r.status << " " << r.body.substr(0, 2000));
  REQUIRE(r.status == status);
  return parse_json(r.body);
}

}  // namespace

TEST_CASE("GET /v1/leads/{id}: the view, key by key, with ETag \"VERSION\"; 404 when unknown", "[e2e]") {
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("uv"), ev = uid("sg");
  const std::string email = "ana." + lead + "@exemplo.com.br";
  auto r = c.post_json("/v1/signups", full_signup(ev, lead, email, "Ana Souza", "+5511912345678", "52998224725",
                                                  "anasouza"),
                       ingest_token);
  INFO(r.body);
  REQUIRE(r.status == 202);

  const long long settled = settle(c, lead);
  auto got = get_view(c, lead, std::max(settled, num(parse_json(r.body), "position")));
  INFO(got.body);
  REQUIRE(got.status == 200);
  CHECK(media_type_of(got.header("Content-Type")) == "application/json");
  auto v = parse_json(got.body);
  check_view_shape(v);
  CHECK(str(v, "lead_id") == lead);
  CHECK(got.header("ETag") == "\"" + std::to_string(num(v, "version")) + "\"");
  CHECK(str(v, "signed_up_at") == "2026-11-28T12:00:00.000Z");
  const auto& contact = obj(v, "contact");
  CHECK(str(contact, "email") == email);
  CHECK(str(contact, "name") == "Ana Souza");
  CHECK(str(contact, "phone") == "+5511912345678");
  CHECK(str(contact, "country") == "BR");

  // A scope with read (auditor, admin) may read the view too.
  CHECK(get_view(c, lead, settled, audit_token).status == 200);
  CHECK(get_view(c, lead, settled, admin_token).status == 200);

  // After another event the version and the ETag move on.
  const long long v1 = num(v, "version");
  auto b = c.post_json("/v1/events", "[" + qualified_item(uid("q"), lead, "qualified", "2026-11-28T12:01:00.000Z") + "]",
                       ingest_token);
  REQUIRE(b.status == 200);
  const auto b_doc = parse_json(b.body);  // br refers into it
  const auto& br = arr(b_doc, "results");
  REQUIRE(br.Size() == 1);
  CHECK(num(br[0], "version") == v1 + 1);
  auto got2 = get_view(c, lead, num(br[0], "position"));
  REQUIRE(got2.status == 200);
  auto v2 = parse_json(got2.body);
  check_view_shape(v2);
  CHECK(num(v2, "version") == v1 + 1);
  CHECK(got2.header("ETag") == "\"" + std::to_string(v1 + 1) + "\"");
  // Qualified with a social handle: on to Creator Discovery (enriching) when a
  // provider is on; with none configured (this server) the enrichment ended
  // as provider_disabled and a person's override does not change that.
  CHECK((str(v2, "status") == "enrichment_failed" || str(v2, "status") == "enriching"));
  CHECK(str(obj(v2, "qualification"), "outcome") == "qualified");

  // Unknown leads.
  const std::string unknown = uid("nobody");
  check_problem(c.get("/v1/leads/" + unknown, read_token), 404, "not_found");
  check_problem(c.get("/v1/leads/" + unknown + "/history", audit_token), 404, "not_found");
  check_problem(c.get("/v1/leads/" + unknown + "/replay", audit_token), 404, "not_found");
  check_problem(c.get("/v1/leads/" + unknown + "/state?as_of=2030-01-01T00:00:00.000Z", audit_token), 404,
                "not_found");
  check_healthy(srv);
}

TEST_CASE("GET /v1/leads/{id}/history: oldest first, hash chain from 64 zeros, integrity verified", "[e2e]") {
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("uh"), ev = uid("sg"), q1 = uid("q"), q2 = uid("q");
  const std::string email = "h." + lead + "@exemplo.com.br";
  REQUIRE(c.post_json("/v1/signups",
                      full_signup(ev, lead, email, "Hana Lima", "+5511912345678", "52998224725", "hanalima"),
                      ingest_token, {{"X-Correlation-Id", "corr-" + lead}})
              .status == 202);
  auto b = c.post_json("/v1/events",
                       "[" + qualified_item(q1, lead, "disqualified", "2026-11-28T12:01:00.000Z") + "," +
                           qualified_item(q2, lead, "qualified", "2026-11-28T12:02:00.000Z") + "]",
                       ingest_token);
  INFO(b.body);
  REQUIRE(b.status == 200);

  auto h = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  check_history(h, lead);
  const auto& all = arr(h, "events");
  CHECK(str(all[0], "prev_hash") == zeros);
  // The events sent from outside, in order; the server's own (causation_id
  // set) name an earlier event of the lead as their cause and carry the
  // request's correlation id.
  std::vector<const rapidjson::Value*> outside;
  std::set<std::string> earlier;
  for (const auto& e : all.GetArray()) {
    if (is_null(e, "causation_id")) {
      outside.push_back(&e);
    } else {
      INFO("derived " << to_json(e));
      CHECK(earlier.count(str(e, "causation_id")) == 1);
      CHECK(str(e, "correlation_id") == "corr-" + lead);
    }
    earlier.insert(str(e, "event_id"));
  }
  REQUIRE(outside.size() == 3);
  auto evs = [&](size_t i) -> const rapidjson::Value& { return *outside[i]; };
  CHECK(str(evs(0), "event_id") == ev);
  CHECK(str(evs(0), "type") == "signed_up");
  CHECK(str(evs(0), "occurred_at") == "2026-11-28T12:00:00.000Z");
  CHECK(str(evs(0), "correlation_id") == "corr-" + lead);
  const auto& d0 = obj(evs(0), "data");
  CHECK(str(d0, "email") == email);
  CHECK(str(d0, "name") == "Hana Lima");
  CHECK(str(d0, "phone") == "+5511912345678");
  CHECK(str(d0, "document") == "52998224725");
  CHECK(str(obj(d0, "social"), "instagram") == "hanalima");
  CHECK(str(obj(d0, "source"), "utm_campaign") == "bf26");
  CHECK_FALSE(has(d0, "event_id"));
  CHECK_FALSE(has(d0, "lead_id"));
  CHECK_FALSE(has(d0, "occurred_at"));
  CHECK(str(evs(1), "type") == "qualified");
  CHECK(str(evs(1), "event_id") == q1);
  const auto& d1 = obj(evs(1), "data");
  CHECK(str(d1, "outcome") == "disqualified");
  CHECK(str(d1, "decided_by") == "maria.sdr");
  CHECK(has(d1, "reasons"));
  CHECK(has(d1, "rules_version"));
  CHECK(str(evs(2), "event_id") == q2);
  CHECK(num(evs(2), "position") > num(evs(1), "position"));

  // Reading twice gives the same hashes (recomputed, deterministic).
  auto h2 = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  CHECK(to_json(h2) == to_json(h));
}

TEST_CASE("GET /v1/leads/{id}/state?as_of= and /replay", "[e2e]") {
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("us"), ev = uid("sg");
  REQUIRE(c.post_json("/v1/signups", signup_body(ev, lead), ingest_token).status == 202);
  settle(c, lead);
  // Distinct recorded_at milliseconds between the signup and the next events
  // make the as_of cut points below unambiguous (not a timing assertion).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(c.post_json("/v1/events", "[" + qualified_item(uid("q"), lead, "qualified", "2026-11-28T13:00:00.000Z") + "]",
                      ingest_token)
              .status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(c.post_json("/v1/events",
                      "[" + qualified_item(uid("q"), lead, "disqualified", "2026-11-28T14:00:00.000Z") + "]",
                      ingest_token)
              .status == 200);

  auto h = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  const auto& evs = arr(h, "events");
  REQUIRE(evs.Size() >= 3);
  auto current = parse_json(get_view(c, lead, num(evs[evs.Size() - 1], "position")).body);

  const std::string base = "/v1/leads/" + lead + "/state?as_of=";
  // Before the signup was recorded: nothing yet.
  check_problem(c.get(base + "2000-01-01T00:00:00.000Z", audit_token), 404, "not_found");
  // At each event's recorded_at: the view after the last event recorded by then.
  for (rapidjson::SizeType i = 0; i < evs.Size(); ++i) {
    const std::string at = str(evs[i], "recorded_at");
    long long expected_version = 0;
    for (const auto& e : evs.GetArray())
      if (str(e, "recorded_at") <= at) expected_version = num(e, "version");
    INFO("as_of " << at);
    auto s = get_json(c, base + at, audit_token);
    check_view_shape(s);
    CHECK(str(s, "lead_id") == lead);
    CHECK(num(s, "version") == expected_version);
  }
  // Far in the future: the current view.
  auto future = get_json(c, base + "2999-01-01T00:00:00.000Z", audit_token);
  CHECK(future == current);
  // A missing or malformed as_of.
  check_problem(c.get("/v1/leads/" + lead + "/state", audit_token), 422, "validation");
  check_problem(c.get(base + "yesterday", audit_token), 422, "validation");
  // Scopes: read alone is not enough.
  check_problem(c.get(base + "2999-01-01T00:00:00.000Z", read_token), 403, "forbidden");
  check_problem(c.get("/v1/leads/" + lead + "/replay", read_token), 403, "forbidden");

  // Replay: one step per event, in order, each with the state after it; the
  // last state is the current view.
  auto rp = get_json(c, "/v1/leads/" + lead + "/replay", audit_token);
  const auto& steps = arr(rp, "steps");
  REQUIRE(steps.Size() == evs.Size());
  for (rapidjson::SizeType i = 0; i < steps.Size(); ++i) {
    INFO("step " << i);
    const auto& ev_i = obj(steps[i], "event");
    CHECK(str(ev_i, "event_id") == str(evs[i], "event_id"));
    CHECK(str(ev_i, "type") == str(evs[i], "type"));
    CHECK(str(ev_i, "hash") == str(evs[i], "hash"));
    const auto& st = obj(steps[i], "state");
    check_view_shape(st);
    CHECK(num(st, "version") == static_cast<long long>(i) + 1);
  }
  CHECK(str(obj(steps[0], "state"), "status") == "signed_up");
  const auto last = steps.Size() - 1;
  CHECK(str(obj(steps[last], "state"), "status") == "disqualified");  // the last override
  CHECK(obj(steps[last], "state") == current);
  check_healthy(srv);
}

TEST_CASE("GET /v1/feed: global order, pages by after/limit/next_after, positions without gaps", "[e2e]") {
  auto& srv = shared_server();
  auto c = srv.client();
  // Some events of our own, so the feed is never empty.
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    const std::string lead = uid("uf");
    mine.push_back(lead);
    REQUIRE(c.post_json("/v1/signups", signup_body(uid("sg"), lead), ingest_token).status == 202);
  }
  std::set<std::string> seen_leads;
  std::set<std::string> seen_event_ids;
  long long after = 0, pages = 0, expected = 1;
  for (;;) {
    auto page = get_json(c, "/v1/feed?after=" + std::to_string(after) + "&limit=7", audit_token);
    const auto& evs = arr(page, "events");
    REQUIRE(member(page, "next_after") != nullptr);
    if (evs.Size() == 0) {
      CHECK(num(page, "next_after") == after);
      break;
    }
    ++pages;
    CHECK(evs.Size() <= 7);
    for (const auto& e : evs.GetArray()) {
      INFO("feed event " << to_json(e).substr(0, 300));
      CHECK(num(e, "position") == expected);
      ++expected;
      CHECK(has(e, "lead_id"));
      CHECK(has(e, "type"));
      CHECK(has(e, "hash"));
      seen_leads.insert(str(e, "lead_id"));
      CHECK(seen_event_ids.insert(str(e, "lead_id") + "/" + str(e, "event_id")).second);
    }
    CHECK(num(page, "next_after") == num(evs[evs.Size() - 1], "position"));
    after = num(page, "next_after");
    REQUIRE(after > 0);
  }
  CHECK(pages >= 1);
  for (const auto& lead : mine) CHECK(seen_leads.count(lead) == 1);

  // limit=1 gives exactly the next one.
  auto one = get_json(c, "/v1/feed?after=0&limit=1", audit_token);
  REQUIRE(arr(one, "events").Size() == 1);
  CHECK(num(arr(one, "events")[0], "position") == 1);
  CHECK(num(one, "next_after") == 1);
  // Bad parameters.
  for (const char* q : {"?limit=0", "?limit=1001", "?limit=x", "?after=-1", "?after=abc"}) {
    INFO(q);
    check_problem(c.get(std::string("/v1/feed") + q, audit_token), 422, "validation");
  }
  check_problem(c.get("/v1/feed", read_token), 403, "forbidden");
  check_healthy(srv);
}

TEST_CASE("POST /v1/leads/{id}/erase: personal data unreadable everywhere, chain still verified, not on disk",
          "[e2e]") {
  server_process srv;  // its own server: it is stopped and restarted below
  srv.start();
  auto c = srv.client();
  const std::string lead = uid("ue"), keep_lead = uid("uk");
  const std::string tag = unique_suffix();
  // Needles unique to this run, so a hit can only be this lead's data.
  const std::string email = "needle.mail." + tag + "@exemplo.com.br";
  const std::string name = "Needle Name " + tag;
  const std::string handle = "needlehandle" + tag.substr(tag.size() > 20 ? tag.size() - 20 : 0);
  const std::string phone = "+5511987654321";
  const std::string document = "52998224725";
  std::string safe_handle;
  for (char ch : handle)
    if (std::isalnum(static_cast<unsigned char>(ch))) safe_handle += ch;
  REQUIRE(c.post_json("/v1/signups", full_signup(uid("sg"), lead, email, name, phone, document, safe_handle),
                      ingest_token)
              .status == 202);
  REQUIRE(c.post_json("/v1/events", "[" + qualified_item(uid("q"), lead, "qualified", "2026-11-28T12:01:00.000Z") + "]",
                      ingest_token)
              .status == 200);
  // Another lead that must keep its data.
  const std::string other_email = "keep." + tag + "@exemplo.com.br";
  REQUIRE(c.post_json("/v1/signups", signup_body(uid("sg"), keep_lead, other_email, "Keep Me"), ingest_token).status ==
          202);
  settle(c, lead);
  settle(c, keep_lead);
  auto before = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  REQUIRE(arr(before, "events").Size() >= 2);

  // Refusals first.
  check_problem(c.post_json("/v1/leads/" + lead + "/erase", "{\"reason\":\"x\"}", read_token), 403, "forbidden");
  check_problem(c.post_json("/v1/leads/" + lead + "/erase", "{}", admin_token), 422, "validation");
  check_problem(c.post_json("/v1/leads/" + lead + "/erase", "nope", admin_token), 400, "bad_request");
  check_problem(c.post_json("/v1/leads/" + uid("nobody") + "/erase", "{\"reason\":\"x\"}", admin_token), 404,
                "not_found");
  auto er = c.post_json("/v1/leads/" + lead + "/erase", "{\"reason\":\"LGPD art. 18 request\"}", admin_token,
                        {{"X-Correlation-Id", "erase-" + lead}});
  INFO(er.body);
  REQUIRE(er.status == 200);
  auto erd = parse_json(er.body);
  CHECK(str(erd, "lead_id") == lead);
  const auto erased_version = static_cast<long long>(arr(before, "events").Size()) + 1;
  CHECK(num(erd, "version") == erased_version);

  // No file in the data dir holds the values any more, as soon as the call answered.
  for (const auto& needle : {email, name, safe_handle}) {
    auto hits = files_containing(srv.data_dir(), needle);
    INFO("needle " << needle);
    for (const auto& p : hits) FAIL_CHECK("plaintext found in " << p);
  }

  auto no_needles = [&](const std::string& what, const std::string& body) {
    INFO(what << ": " << body.substr(0, 3000));
    CHECK(body.find(email) == std::string::npos);
    CHECK(body.find(name) == std::string::npos);
    CHECK(body.find(safe_handle) == std::string::npos);
    CHECK(body.find(document) == std::string::npos);
    CHECK(body.find(phone) == std::string::npos);
  };
  const long long erase_pos = num(erd, "position");
  auto check_erased = [&](http_client& cl) {
    auto vr = get_view(cl, lead, erase_pos);
    REQUIRE(vr.status == 200);
    no_needles("view", vr.body);
    auto v = parse_json(vr.body);
    check_view_shape(v);
    CHECK(str(v, "status") == "erased");
    CHECK(str(obj(v, "contact"), "email") == "[erased]");
    CHECK(str(obj(v, "contact"), "name") == "[erased]");
    CHECK((str(obj(v, "contact"), "phone") == "[erased]" || is_null(obj(v, "contact"), "phone")));
    CHECK(vr.header("ETag") == "\"" + std::to_string(erased_version) + "\"");

    auto hr = cl.get("/v1/leads/" + lead + "/history", audit_token);
    REQUIRE(hr.status == 200);
    no_needles("history", hr.body);
    auto h = parse_json(hr.body);
    check_history(h, lead);
    const auto& evs = arr(h, "events");
    REQUIRE(evs.Size() == arr(before, "events").Size() + 1);
    const auto last = evs.Size() - 1;
    // The events, types, times and hashes are kept.
    for (rapidjson::SizeType i = 0; i < last; ++i) {
      INFO("event " << i);
      const auto& old_e = arr(before, "events")[i];
      for (const char* k : {"event_id", "type", "occurred_at", "recorded_at", "prev_hash", "hash", "position"})
        CHECK(to_json(*member(evs[i], k)) == to_json(*member(old_e, k)));
    }
    const auto& d0 = obj(evs[0], "data");
    CHECK(str(d0, "email") == "[erased]");
    CHECK(str(d0, "name") == "[erased]");
    // Unreadable is the requirement here; that they read "[erased]" rather
    // than null is checked by the strict test below.
    CHECK((str(d0, "phone") == "[erased]" || is_null(d0, "phone")));
    CHECK((str(d0, "document") == "[erased]" || is_null(d0, "document")));
    CHECK((str(obj(d0, "social"), "instagram") == "[erased]" || is_null(obj(d0, "social"), "instagram")));
    CHECK(str(evs[last], "type") == "erased");
    CHECK(str(obj(evs[last], "data"), "reason") == "LGPD art. 18 request");
    CHECK(str(obj(evs[last], "data"), "requested_by") == "admin");
    CHECK(str(evs[last], "correlation_id") == "erase-" + lead);

    auto rp = cl.get("/v1/leads/" + lead + "/replay", audit_token);
    REQUIRE(rp.status == 200);
    no_needles("replay", rp.body);
    auto st = cl.get("/v1/leads/" + lead + "/state?as_of=2999-01-01T00:00:00.000Z", audit_token);
    REQUIRE(st.status == 200);
    no_needles("state", st.body);
    auto feed = cl.get("/v1/feed?after=0&limit=1000", audit_token);
    REQUIRE(feed.status == 200);
    no_needles("feed", feed.body);
    // The other lead is untouched.
    auto kv = parse_json(get_view(cl, keep_lead, erase_pos).body);
    CHECK(str(obj(kv, "contact"), "email") == other_email);
  };
  check_erased(c);

  // Stopped: still nothing on disk, and the offline verifier is happy.
  c.close();
  REQUIRE(srv.stop() == 0);
  for (const auto& needle : {email, name, safe_handle}) {
    INFO("needle " << needle);
    for (const auto& p : files_containing(srv.data_dir(), needle)) FAIL_CHECK("plaintext found in " << p);
  }
  auto vr = run_leadbase({"verify", "--data", srv.data_dir().string()});
  INFO("verify: " << vr.out << vr.err);
  CHECK(vr.exit_code == 0);

  // Restarted: the same answers.
  srv.restart();
  auto c2 = srv.client();
  check_erased(c2);
  c2.close();
  CHECK(srv.stop() == 0);
}

TEST_CASE("erase: every personal field that had a value reads \"[erased]\" (phone, document, handles)",
          "[e2e]") {
  // docs/http-api.md: after an erasure the personal data (email, name, phone, document,
  // handles) is unreadable everywhere; events/json.hpp: erased_marker is what
  // an erased personal field is shown as, everywhere. Email and name follow
  // that; phone, document and the handles come back as null, which hides
  // that there was a value at all.
  auto& srv = shared_server();
  auto c = srv.client();
  const std::string lead = uid("ux");
  REQUIRE(c.post_json("/v1/signups",
                      full_signup(uid("sg"), lead, "x." + lead + "@exemplo.com.br", "Xavier Lima", "+5511987654321",
                                  "52998224725", "xavierlima"),
                      ingest_token)
              .status == 202);
  {  // before: the view has the signup's handles (TikTok's only there: it has no provider)
    auto before = parse_json(get_view(c, lead, settle(c, lead)).body);
    INFO(to_json(before));
    const auto& hs = obj(obj(before, "contact"), "handles");
    CHECK(str(hs, "instagram") == "xavierlima");
    CHECK(str(hs, "youtube") == "@xavierlima");
    CHECK(str(hs, "tiktok") == "xavierlima");
  }
  auto er = c.post_json("/v1/leads/" + lead + "/erase", "{\"reason\":\"LGPD\"}", admin_token);
  REQUIRE(er.status == 200);
  auto h = get_json(c, "/v1/leads/" + lead + "/history", audit_token);
  const auto& d0 = obj(arr(h, "events")[0], "data");
  INFO(to_json(d0));
  CHECK(str(d0, "phone") == "[erased]");
  CHECK(str(d0, "document") == "[erased]");
  CHECK(str(obj(d0, "social"), "instagram") == "[erased]");
  CHECK(str(obj(d0, "social"), "youtube") == "[erased]");
  CHECK(str(obj(d0, "social"), "tiktok") == "[erased]");
  auto v = parse_json(get_view(c, lead, num(parse_json(er.body), "position")).body);
  INFO(to_json(v));
  CHECK(str(obj(v, "contact"), "phone") == "[erased]");
  for (const char* n : {"instagram", "youtube", "tiktok"}) {
    INFO(n);
    CHECK(str(obj(obj(v, "contact"), "handles"), n) == "[erased]");
  }
}
