// events/json.hpp: request bodies in, events/histories out; and the views
// (projections/view_json.hpp), whose cases share these samples.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "events/json.hpp"
#include "events/lead_state.hpp"
#include "events/time.hpp"
#include "projections/view_json.hpp"

using namespace leadbase;

namespace {

const char* const full_signup = R"({
  "event_id": "sg-000123", "lead_id": "u-88121", "occurred_at": "2026-11-28T12:00:00.000Z",
  "email": "ana@exemplo.com.br", "name": "Ana Souza", "phone": "+5511912345678",
  "country": "BR", "locale": "pt-BR", "document": "52998224725",
  "social": { "instagram": "anasouza", "youtube": "@anasouza", "tiktok": "anasouza" },
  "source": { "utm_source": "ads", "utm_medium": "cpc", "utm_campaign": "bf26" } })";

rapidjson::Document doc_of(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string text_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

/// `full_signup` changed by `edit`.
std::string signup_with(const std::function<void(rapidjson::Document&)>& edit) {
  rapidjson::Document d = doc_of(full_signup);
  edit(d);
  return text_of(d);
}

void set_member(rapidjson::Document& d, rapidjson::Value& obj, const std::string& name, rapidjson::Value v) {
  auto& a = d.GetAllocator();
  if (obj.HasMember(name.c_str()))
    obj[name.c_str()] = v;
  else
    obj.AddMember(rapidjson::Value(name.c_str(), a), v, a);
}

/// Sets a field by dotted path ("social.instagram") to a JSON literal; "" removes it.
std::string signup_set(const std::string& path, const std::string& json_literal) {
  return signup_with([&](rapidjson::Document& d) {
    rapidjson::Value* obj = &d;
    std::string name = path;
    if (auto dot = path.find('.'); dot != std::string::npos) {
      obj = &d[path.substr(0, dot).c_str()];
      name = path.substr(dot + 1);
    }
    if (json_literal.empty()) {
      obj->RemoveMember(name.c_str());
      return;
    }
    rapidjson::Document lit;
    lit.Parse(json_literal.c_str());
    REQUIRE_FALSE(lit.HasParseError());
    set_member(d, *obj, name, rapidjson::Value(lit, d.GetAllocator()));
  });
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::vector<std::string> fields_of(const parse_failure& f) {
  std::vector<std::string> out;
  for (const auto& e : f.errors) out.push_back(e.field);
  return out;
}

bool names(const parse_failure& f, const std::string& field) {
  auto v = fields_of(f);
  return std::find(v.begin(), v.end(), field) != v.end();
}

std::set<std::string> keys_of(const rapidjson::Value& obj) {
  std::set<std::string> out;
  for (const auto& m : obj.GetObject()) out.insert(m.name.GetString());
  return out;
}

event make_event(payload p, lead_version v, millis recorded) {
  event e;
  e.meta.event_id = "ev-" + std::to_string(v);
  e.meta.lead_id = "u-88121";
  e.meta.version = v;
  e.meta.position = 100 + v;
  e.meta.occurred_at = recorded - 5;
  e.meta.recorded_at = recorded;
  e.data = std::move(p);
  return e;
}

signed_up sample_signup() {
  auto cmd = parse_signup(full_signup);
  REQUIRE(cmd.ok());
  return std::get<signed_up>(cmd->ev.data);
}

enriched sample_enriched() {
  enriched e;
  e.network = network::instagram;
  e.handle = "anasouza";
  e.followers = 48210;
  e.follows = 512;
  e.media_count = 1204;
  e.engagement_rate = 0.0312;
  e.posts_per_week = 3.5;
  e.mix = {0.25, 0.0, 0.25, 0.5};
  e.creator_tier = "micro";
  e.provider = "instagram_graph";
  e.fetched_at = 1'795'000'000'123;
  e.missing_fields = {"views"};
  return e;
}

/// Signed up with an Instagram handle only (a YouTube one would keep the
/// enrichment pending), qualified, enriched.
std::vector<event> enriched_stream() {
  signed_up su = sample_signup();
  su.social.youtube.clear();
  qualified q;
  q.rules_version = "2026-11-01";
  return {make_event(su, 1, 1'795'000'000'000), make_event(q, 2, 1'795'000'000'100),
          make_event(sample_enriched(), 3, 1'795'000'000'412)};
}

std::string item(const std::string& type, const std::string& data, const std::string& extra = "") {
  return R"({"event_id":"e-1","lead_id":"u-1","type":")" + type +
         R"(","occurred_at":"2026-11-28T12:00:00Z","data":)" + data + extra + "}";
}

} // namespace

// -- signups ------------------------------------------------------------------------

TEST_CASE("a full signup fills the event and the envelope", "[json]") {
  auto cmd = parse_signup(full_signup);
  REQUIRE(cmd.ok());
  CHECK(cmd->ev.meta.event_id == "sg-000123");
  CHECK(cmd->ev.meta.lead_id == "u-88121");
  CHECK(cmd->ev.meta.occurred_at == *parse_time("2026-11-28T12:00:00.000Z"));
  CHECK_FALSE(cmd->expected_version);
  REQUIRE(cmd->ev.type() == event_type::signed_up);
  const auto& s = std::get<signed_up>(cmd->ev.data);
  CHECK(s.email == "ana@exemplo.com.br");
  CHECK(s.name == "Ana Souza");
  CHECK(s.phone == "+5511912345678");
  CHECK(s.country == "BR");
  CHECK(s.locale == "pt-BR");
  CHECK(s.document == "52998224725");
  CHECK(s.social.instagram == "anasouza");
  CHECK(s.social.youtube == "@anasouza");
  CHECK(s.social.tiktok == "anasouza");
  CHECK(s.source.utm_source == "ads");
  CHECK(s.source.utm_medium == "cpc");
  CHECK(s.source.utm_campaign == "bf26");
  CHECK(s.source.utm_term.empty());
}

TEST_CASE("a minimal signup: optional fields absent, null or empty are absent", "[json]") {
  auto cmd = parse_signup(R"({"event_id":"a","lead_id":"b","occurred_at":"2026-11-28T12:00:00Z",
      "email":"x@y.z","name":"N","phone":null,"country":"","social":null,"source":{"utm_term":null},
      "unknown_field":{"deep":[1,2,3]},"another":42})");
  REQUIRE(cmd.ok());
  const auto& s = std::get<signed_up>(cmd->ev.data);
  CHECK(s.phone.empty());
  CHECK(s.country.empty());
  CHECK_FALSE(s.social.any());
}

TEST_CASE("a malformed but present email is a fact, not a schema error", "[json]") {
  for (const char* email : {"not-an-email", "a@b", "@@", "ana@[127.0.0.1]"}) {
    auto cmd = parse_signup(signup_set("email", quoted(email)));
    REQUIRE(cmd.ok());
    CHECK(std::get<signed_up>(cmd->ev.data).email == email);
  }
}

TEST_CASE("every required signup field, when missing, is named", "[json]") {
  for (const char* field : {"event_id", "lead_id", "occurred_at", "email", "name"}) {
    INFO(field);
    for (const char* how : {"", "null"}) {
      auto r = parse_signup(signup_set(field, how));
      REQUIRE_FALSE(r.ok());
      CHECK(r.err().code == errc::validation);
      REQUIRE(r.err().errors.size() == 1);
      CHECK(r.err().errors[0].field == field);
      CHECK(r.err().errors[0].message == "is required");
    }
  }
  for (const char* field : {"email", "name"}) {
    auto r = parse_signup(signup_set(field, "\"\""));
    REQUIRE_FALSE(r.ok());
    CHECK(fields_of(r.err()) == std::vector<std::string>{field});
  }
}

TEST_CASE("every signup field of the wrong JSON type is named", "[json]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"event_id", "5"},        {"lead_id", "true"},        {"occurred_at", "123"},
      {"email", "[]"},          {"name", "{}"},             {"phone", "5511912345678"},
      {"country", "1"},         {"locale", "false"},        {"document", "52998224725"},
      {"social", "\"x\""},      {"social.instagram", "1"},  {"social.youtube", "false"},
      {"social.tiktok", "[]"},  {"source", "[1]"},          {"source.utm_source", "1"},
      {"source.utm_medium", "{}"}, {"source.utm_campaign", "2.5"}, {"source.utm_term", "true"},
      {"source.utm_content", "[]"},
  };
  for (const auto& [field, literal] : cases) {
    INFO(field << " = " << literal);
    auto r = parse_signup(signup_set(field, literal));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    CHECK(fields_of(r.err()) == std::vector<std::string>{field});
  }
}

TEST_CASE("every signup field over its length is named; the limit itself is fine", "[json]") {
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"email", 254},          {"name", 200},           {"phone", 32},
      {"country", 8},          {"locale", 35},          {"document", 32},
      {"social.instagram", 64}, {"social.youtube", 64}, {"social.tiktok", 64},
      {"source.utm_source", 200}, {"source.utm_medium", 200}, {"source.utm_campaign", 200},
      {"source.utm_term", 200}, {"source.utm_content", 200}, {"event_id", 64},
      {"lead_id", 64},
  };
  for (const auto& [field, max] : cases) {
    INFO(field);
    CHECK(parse_signup(signup_set(field, quoted(std::string(max, 'a')))).ok());
    auto r = parse_signup(signup_set(field, quoted(std::string(max + 1, 'a'))));
    REQUIRE_FALSE(r.ok());
    CHECK(fields_of(r.err()) == std::vector<std::string>{field});
  }
}

TEST_CASE("lengths count characters, not bytes", "[json]") {
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xC3\xA9";  // é, two bytes
  CHECK(parse_signup(signup_set("name", quoted(name))).ok());
  CHECK_FALSE(parse_signup(signup_set("name", quoted(name + "\xC3\xA9"))).ok());
}

TEST_CASE("ids and times must be well formed", "[json]") {
  for (const char* id : {"\"\"", "\"has space\"", "\"a/b\"", "\"\\u00e9\""}) {
    auto r = parse_signup(signup_set("lead_id", id));
    REQUIRE_FALSE(r.ok());
    CHECK(fields_of(r.err()) == std::vector<std::string>{"lead_id"});
  }
  for (const char* t : {"\"yesterday\"", "\"2026-13-01T00:00:00Z\"", "\"2026-11-28\""}) {
    auto r = parse_signup(signup_set("occurred_at", t));
    REQUIRE_FALSE(r.ok());
    CHECK(fields_of(r.err()) == std::vector<std::string>{"occurred_at"});
  }
  auto ok = parse_signup(signup_set("occurred_at", "\"2026-11-28T09:00:00.5-03:00\""));
  REQUIRE(ok.ok());
  CHECK(format_time(ok->ev.meta.occurred_at) == "2026-11-28T12:00:00.500Z");
}

TEST_CASE("all field errors are reported at once", "[json]") {
  auto r = parse_signup(R"({"event_id":"ok-1","lead_id":"bad id","occurred_at":"never",
      "name":")" + std::string(201, 'n') + R"(","social":{"instagram":7,"youtube":"ok"},
      "source":{"utm_source":false}})");
  REQUIRE_FALSE(r.ok());
  const auto& f = r.err();
  CHECK(f.code == errc::validation);
  CHECK(f.errors.size() == 6);
  for (const char* field : {"lead_id", "occurred_at", "email", "name", "social.instagram", "source.utm_source"})
    CHECK(names(f, field));
  CHECK_FALSE(f.detail.empty());
}

TEST_CASE("a body that is not JSON, or not an object, is a bad request", "[json]") {
  for (std::string body : {std::string(""), std::string("   "), std::string("{"), std::string("{\"a\":1} x"),
                           std::string("[1,2]"), std::string("\"str\""), std::string("null"),
                           std::string("{'a':1}"), std::string("{\"a\":NaN}"),
                           std::string("{\"name\":\"\xC3\x28\"}") /* invalid UTF-8 */}) {
    INFO(body);
    auto r = parse_signup(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_request);
    CHECK(r.err().errors.empty());
    CHECK_FALSE(r.err().detail.empty());
  }
}

TEST_CASE("deep nesting does not overflow the stack", "[json]") {
  std::string body(200000, '[');
  body += std::string(200000, ']');
  auto r = parse_signup(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::bad_request);
  auto b = parse_batch("[" + body + "]", false);
  REQUIRE(b.ok());
  REQUIRE(b->size() == 1);
  CHECK_FALSE((*b)[0].command.ok());
}

TEST_CASE("unicode names survive, and control characters are refused", "[json]") {
  auto cmd = parse_signup(signup_set("name", R"("Jos\u00e9 \"Z\u00e9\" \\ \u674e\u5c0f\u9f8d \ud83d\ude00 </script>")"));
  REQUIRE(cmd.ok());
  const std::string expected = "Jos\xC3\xA9 \"Z\xC3\xA9\" \\ \xE6\x9D\x8E\xE5\xB0\x8F\xE9\xBE\x8D \xF0\x9F\x98\x80 </script>";
  CHECK(std::get<signed_up>(cmd->ev.data).name == expected);

  // Rendered and read back unchanged.
  auto data = doc_of(event_data_json(cmd->ev));
  CHECK(std::string(data["name"].GetString()) == expected);

  for (const char* bad : {R"("a\nb")", R"("a\u0000b")", R"("tab\there")"}) {
    auto r = parse_signup(signup_set("name", bad));
    REQUIRE_FALSE(r.ok());
    CHECK(fields_of(r.err()) == std::vector<std::string>{"name"});
  }
}

// -- event items ------------------------------------------------------------------------

TEST_CASE("event items of every accepted type", "[json]") {
  SECTION("signed_up takes the signup fields from data") {
    auto r = parse_event_item(item("signed_up", R"({"email":"a@b.c","name":"A","social":{"instagram":"a"}})",
                                   R"(,"expected_version":0)"));
    REQUIRE(r.ok());
    CHECK(std::get<signed_up>(r->ev.data).social.instagram == "a");
    CHECK(r->expected_version == lead_version{0});
    CHECK(r->ev.meta.event_id == "e-1");
  }
  SECTION("qualified: a person's override") {
    auto r = parse_event_item(item(
        "qualified", R"({"outcome":"disqualified","reasons":["invalid_phone"],"decided_by":"maria@sdr"})",
        R"(,"expected_version":3)"));
    REQUIRE(r.ok());
    const auto& q = std::get<qualified>(r->ev.data);
    CHECK(q.result == outcome::disqualified);
    CHECK(q.reasons == std::vector<std::string>{"invalid_phone"});
    CHECK(q.decided_by == "maria@sdr");
    CHECK(q.rules_version.empty());
    CHECK(r->expected_version == lead_version{3});
  }
  SECTION("enriched") {
    auto r = parse_event_item(item("enriched", R"({"network":"instagram","handle":"ana","followers":48210,
        "follows":512,"media_count":1204,"engagement_rate":0.0312,"posts_per_week":null,
        "content_mix":{"image":0.25,"video":0,"carousel":0.25,"reels":0.5},"creator_tier":"micro",
        "likes_hidden":true,"provider":"instagram_graph","fetched_at":"2026-11-28T12:00:01.000Z",
        "missing_fields":["posts_per_week"]})"));
    REQUIRE(r.ok());
    const auto& e = std::get<enriched>(r->ev.data);
    CHECK(e.followers == 48210);
    CHECK(e.engagement_rate == Approx(0.0312));
    CHECK_FALSE(e.posts_per_week);
    CHECK(e.mix.reels == 0.5);
    CHECK(e.likes_hidden);
    CHECK(format_time(e.fetched_at) == "2026-11-28T12:00:01.000Z");
  }
  SECTION("enrichment_failed, retryable and final") {
    auto r = parse_event_item(item("enrichment_failed", R"({"network":"instagram","handle":"ana","attempt":2,
        "error_class":"rate_limited","provider_code":4,"retryable":true,
        "next_attempt_at":"2026-11-28T12:05:00.000Z"})"));
    REQUIRE(r.ok());
    const auto& f = std::get<enrichment_failed>(r->ev.data);
    CHECK(f.attempt == 2);
    CHECK(f.provider_code == "4");
    CHECK(f.next_attempt_at);
    auto fin = parse_event_item(item("enrichment_failed", R"({"network":"instagram","handle":"ana","attempt":6,
        "error_class":"not_found","provider_code":"110","retryable":false,"next_attempt_at":null})"));
    REQUIRE(fin.ok());
    CHECK_FALSE(std::get<enrichment_failed>(fin->ev.data).next_attempt_at);
  }
}

TEST_CASE("event items are refused field by field", "[json]") {
  auto check_fields = [](const std::string& body, std::vector<std::string> expected) {
    INFO(body);
    auto r = parse_event_item(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    auto got = fields_of(r.err());
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    CHECK(got == expected);
  };
  check_fields(item("erased", R"({"reason":"x"})"), {"type"});
  check_fields(item("promoted", "{}"), {"type"});
  check_fields(R"({"event_id":"e","lead_id":"l","occurred_at":"2026-11-28T12:00:00Z","data":{}})", {"type"});
  check_fields(R"({"event_id":"e","lead_id":"l","type":"qualified","occurred_at":"2026-11-28T12:00:00Z"})",
               {"data"});
  check_fields(item("qualified", "[]"), {"data"});
  check_fields(item("signed_up", R"({"name":"A","social":{"tiktok":5}})"), {"data.email", "data.social.tiktok"});
  check_fields(item("qualified", R"({"outcome":"maybe","reasons":["ok",3,""]})"),
               {"data.outcome", "data.reasons[1]", "data.reasons[2]", "data.decided_by"});
  check_fields(item("qualified", R"({"outcome":"qualified","decided_by":"rules"})"), {"data.decided_by"});
  check_fields(item("enriched", R"({"followers":-1,"engagement_rate":"high","content_mix":{"reels":1.5}})"),
               {"data.network", "data.handle", "data.followers", "data.engagement_rate", "data.content_mix.reels",
                "data.creator_tier", "data.fetched_at"});
  check_fields(item("enriched", R"({"network":"myspace","handle":"a","followers":1.5,"creator_tier":"huge",
                   "fetched_at":"2026-11-28T12:00:00Z","likes_hidden":"no","missing_fields":"all"})"),
               {"data.network", "data.followers", "data.creator_tier", "data.likes_hidden", "data.missing_fields"});
  check_fields(item("enrichment_failed", R"({"network":"youtube","handle":"a","attempt":-1,"error_class":"boom",
                   "provider_code":[1],"retryable":1,"next_attempt_at":"soon"})"),
               {"data.attempt", "data.error_class", "data.provider_code", "data.retryable", "data.next_attempt_at"});
  check_fields(item("qualified", R"({"outcome":"qualified","decided_by":"m"})", R"(,"expected_version":-1)"),
               {"expected_version"});
  check_fields(R"({"type":"qualified","data":{"outcome":"qualified","decided_by":"m"}})",
               {"event_id", "lead_id", "occurred_at"});

  auto not_obj = parse_event_item("[]");
  REQUIRE_FALSE(not_obj.ok());
  CHECK(not_obj.err().code == errc::bad_request);
  auto not_json = parse_event_item("{");
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.err().code == errc::bad_request);
}

// -- batches ------------------------------------------------------------------------------

TEST_CASE("a batch with a bad item in the middle keeps the others", "[json]") {
  const std::string good1 = item("signed_up", R"({"email":"a@b.c","name":"A"})");
  const std::string bad = R"({"event_id":"e-bad","lead_id":"u 1","type":"signed_up","occurred_at":"2026-11-28T12:00:00Z","data":{}})";
  std::string good2 = item("qualified", R"({"outcome":"qualified","decided_by":"m"})");
  good2.replace(good2.find("e-1"), 3, "e-2");

  SECTION("as a JSON array") {
    auto b = parse_batch("[" + good1 + "," + bad + ",42," + good2 + "]", false);
    REQUIRE(b.ok());
    REQUIRE(b->size() == 4);
    CHECK((*b)[0].command.ok());
    CHECK((*b)[0].event_id == "e-1");
    REQUIRE_FALSE((*b)[1].command.ok());
    CHECK((*b)[1].event_id == "e-bad");
    CHECK((*b)[1].command.err().code == errc::validation);
    CHECK(names((*b)[1].command.err(), "lead_id"));
    CHECK(names((*b)[1].command.err(), "data.email"));
    REQUIRE_FALSE((*b)[2].command.ok());
    CHECK((*b)[2].event_id.empty());
    CHECK((*b)[3].command.ok());
    CHECK((*b)[3].event_id == "e-2");
  }
  SECTION("as NDJSON, blank lines skipped, CRLF accepted, a broken line fails alone") {
    auto b = parse_batch("\n" + good1 + "\r\n\r\n" + bad + "\n{not json\n   \n" + good2, true);
    REQUIRE(b.ok());
    REQUIRE(b->size() == 4);
    CHECK((*b)[0].command.ok());
    REQUIRE_FALSE((*b)[1].command.ok());
    CHECK((*b)[1].command.err().code == errc::validation);
    REQUIRE_FALSE((*b)[2].command.ok());
    CHECK((*b)[2].command.err().code == errc::bad_request);
    CHECK((*b)[3].command.ok());
    CHECK((*b)[3].event_id == "e-2");
  }
}

TEST_CASE("a batch holds at most 1000 items", "[json]") {
  const std::string one = item("signed_up", R"({"email":"a@b.c","name":"A"})");
  auto array_of = [&](size_t n) {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + one;
    return s + "]";
  };
  auto ndjson_of = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += one + "\n\n";
    return s;
  };
  auto full = parse_batch(array_of(1000), false);
  REQUIRE(full.ok());
  CHECK(full->size() == 1000);
  auto nd_full = parse_batch(ndjson_of(1000), true);
  REQUIRE(nd_full.ok());
  CHECK(nd_full->size() == 1000);

  for (auto over : {parse_batch(array_of(1001), false), parse_batch(ndjson_of(1001), true)}) {
    REQUIRE_FALSE(over.ok());
    CHECK(over.err().code == errc::validation);
    REQUIRE(over.err().errors.size() == 1);
    CHECK(over.err().errors[0].message.find("1001") != std::string::npos);
  }
}

TEST_CASE("a batch body that is not JSON or not an array is a bad request", "[json]") {
  for (const char* body : {"", "[", "{\"event_id\":\"a\"}", "nope"}) {
    INFO(body);
    auto b = parse_batch(body, false);
    REQUIRE_FALSE(b.ok());
    CHECK(b.err().code == errc::bad_request);
  }
  auto empty = parse_batch("", true);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("the erase body", "[json]") {
  auto ok = parse_erase(R"({"reason":"LGPD art. 18 request #42"})");
  REQUIRE(ok.ok());
  CHECK(ok->reason == "LGPD art. 18 request #42");
  auto missing = parse_erase("{}");
  REQUIRE_FALSE(missing.ok());
  CHECK(fields_of(missing.err()) == std::vector<std::string>{"reason"});
  CHECK(parse_erase("x").err().code == errc::bad_request);
}

// -- round trips -------------------------------------------------------------------------------

TEST_CASE("signup -> event -> rendered data -> parsed again is the same signup", "[json]") {
  for (const std::string& body :
       {std::string(full_signup),
        signup_set("name", R"("Zo\u00eb \"Q\" \\ \ud83d\ude00")"),
        std::string(R"({"event_id":"a","lead_id":"b","occurred_at":"2026-11-28T12:00:00Z","email":"x","name":"y"})")}) {
    auto first = parse_signup(body);
    REQUIRE(first.ok());
    auto again = parse_event_item(item("signed_up", event_data_json(first->ev)));
    REQUIRE(again.ok());
    const auto& a = std::get<signed_up>(first->ev.data);
    const auto& b = std::get<signed_up>(again->ev.data);
    CHECK(a.email == b.email);
    CHECK(a.name == b.name);
    CHECK(a.phone == b.phone);
    CHECK(a.document == b.document);
    CHECK(a.country == b.country);
    CHECK(a.locale == b.locale);
    CHECK(a.social.instagram == b.social.instagram);
    CHECK(a.social.youtube == b.social.youtube);
    CHECK(a.social.tiktok == b.social.tiktok);
    CHECK(a.source.utm_source == b.source.utm_source);
    CHECK(a.source.utm_medium == b.source.utm_medium);
    CHECK(a.source.utm_campaign == b.source.utm_campaign);
    CHECK(a.source.utm_term == b.source.utm_term);
    CHECK(a.source.utm_content == b.source.utm_content);
  }
}

TEST_CASE("enriched, enrichment_failed and qualified data round-trip", "[json]") {
  SECTION("enriched") {
    event ev = make_event(sample_enriched(), 3, 1);
    auto r = parse_event_item(item("enriched", event_data_json(ev)));
    REQUIRE(r.ok());
    const auto& a = std::get<enriched>(ev.data);
    const auto& b = std::get<enriched>(r->ev.data);
    CHECK(a.network == b.network);
    CHECK(a.handle == b.handle);
    CHECK(a.followers == b.followers);
    CHECK(a.follows == b.follows);
    CHECK(a.media_count == b.media_count);
    CHECK(a.engagement_rate == b.engagement_rate);  // exact: full-precision parsing
    CHECK(a.posts_per_week == b.posts_per_week);
    CHECK(a.mix.image == b.mix.image);
    CHECK(a.mix.reels == b.mix.reels);
    CHECK(a.creator_tier == b.creator_tier);
    CHECK(a.likes_hidden == b.likes_hidden);
    CHECK(a.provider == b.provider);
    CHECK(a.fetched_at == b.fetched_at);
    CHECK(a.missing_fields == b.missing_fields);
  }
  SECTION("enrichment_failed") {
    enrichment_failed f{network::instagram, "ana", 3, failure_class::timeout, "", true, 1'795'000'300'000};
    event ev = make_event(f, 4, 1);
    auto r = parse_event_item(item("enrichment_failed", event_data_json(ev)));
    REQUIRE(r.ok());
    const auto& b = std::get<enrichment_failed>(r->ev.data);
    CHECK(b.network == f.network);
    CHECK(b.handle == f.handle);
    CHECK(b.attempt == f.attempt);
    CHECK(b.error_class == f.error_class);
    CHECK(b.provider_code.empty());
    CHECK(b.retryable);
    CHECK(b.next_attempt_at == f.next_attempt_at);
  }
  SECTION("qualified") {
    qualified q{outcome::disqualified, {"invalid_email", "no_contact_channel"}, "2026-11-01", "joao"};
    auto r = parse_event_item(item("qualified", event_data_json(make_event(q, 2, 1))));
    REQUIRE(r.ok());
    const auto& b = std::get<qualified>(r->ev.data);
    CHECK(b.result == q.result);
    CHECK(b.reasons == q.reasons);
    CHECK(b.rules_version == q.rules_version);
    CHECK(b.decided_by == q.decided_by);
  }
}

// -- rendering ------------------------------------------------------------------------------------

TEST_CASE("event data has the keys of docs/http-api.md's history section", "[json]") {
  using keys = std::set<std::string>;
  auto data_keys = [](payload p) { return keys_of(doc_of(event_data_json(make_event(std::move(p), 1, 1)))); };
  CHECK(data_keys(sample_signup()) ==
        keys{"email", "name", "phone", "country", "locale", "document", "social", "source"});
  CHECK(data_keys(qualified{}) == keys{"outcome", "reasons", "rules_version", "decided_by"});
  CHECK(data_keys(sample_enriched()) ==
        keys{"network", "handle", "followers", "follows", "media_count", "engagement_rate", "posts_per_week",
             "content_mix", "creator_tier", "likes_hidden", "provider", "fetched_at", "missing_fields"});
  CHECK(data_keys(enrichment_failed{}) ==
        keys{"network", "handle", "attempt", "error_class", "provider_code", "retryable", "next_attempt_at"});
  CHECK(data_keys(erased{"lgpd", "admin"}) == keys{"reason", "requested_by"});

  auto failed = doc_of(event_data_json(make_event(enrichment_failed{network::instagram, "a", 6, failure_class::not_found, "110",
                                                                    false, std::nullopt}, 1, 1)));
  CHECK(failed["next_attempt_at"].IsNull());
  CHECK(failed["attempt"].IsUint());
  CHECK(failed["retryable"].IsFalse());
}

TEST_CASE("the current view has docs/http-api.md's shape, key by key", "[json]") {
  lead_state s = fold(std::string("u-88121"), enriched_stream());
  REQUIRE(s.status == lead_status::enriched);
  priority_view pv;
  pv.score = 71.4;
  pv.level = 'A';
  pv.team = "sdr";
  pv.rules_version = "2026-11-01";
  auto v = doc_of(projections::view_json(s, projections::view_scores{pv, 0.89}));
  using keys = std::set<std::string>;
  CHECK(keys_of(v) == keys{"lead_id", "version", "status", "signed_up_at", "updated_at", "contact", "qualification",
                           "social", "enrichment", "priority", "work", "coverage", "processing_ms"});
  CHECK(std::string(v["lead_id"].GetString()) == "u-88121");
  CHECK(v["version"].IsUint64());
  CHECK(v["version"].GetUint64() == 3);
  CHECK(std::string(v["status"].GetString()) == "enriched");
  CHECK(parse_time(v["signed_up_at"].GetString()) == s.signed_up_at);
  CHECK(std::string(v["updated_at"].GetString()) == format_time(1'795'000'000'412));

  const auto& contact = v["contact"];
  CHECK(keys_of(contact) == keys{"email", "name", "phone", "country", "handles"});
  CHECK(std::string(contact["email"].GetString()) == "ana@exemplo.com.br");
  CHECK(keys_of(contact["handles"]) == keys{"instagram", "youtube", "tiktok"});
  CHECK(std::string(contact["handles"]["instagram"].GetString()) == s.contact.social.instagram);
  CHECK(std::string(contact["country"].GetString()) == "BR");

  const auto& q = v["qualification"];
  CHECK(keys_of(q) == keys{"outcome", "reasons", "rules_version", "at"});
  CHECK(std::string(q["outcome"].GetString()) == "qualified");
  CHECK(q["reasons"].IsArray());
  CHECK(q["reasons"].Empty());
  CHECK(q["at"].IsString());

  const auto& social = v["social"];
  CHECK(keys_of(social) == keys{"instagram"});
  const auto& ig = social["instagram"];
  CHECK(keys_of(ig) == keys{"handle", "followers", "follows", "media_count", "engagement_rate", "posts_per_week",
                            "content_mix", "creator_tier", "likes_hidden", "fetched_at"});
  CHECK(std::string(ig["handle"].GetString()) == "anasouza");
  CHECK(ig["followers"].IsInt64());
  CHECK(ig["followers"].GetInt64() == 48210);
  CHECK(ig["follows"].IsInt64());
  CHECK(ig["media_count"].IsInt64());
  CHECK(ig["engagement_rate"].IsDouble());
  CHECK(ig["engagement_rate"].GetDouble() == 0.0312);
  CHECK(ig["posts_per_week"].IsDouble());
  CHECK(keys_of(ig["content_mix"]) == keys{"image", "video", "carousel", "reels"});
  CHECK(ig["content_mix"]["video"].IsDouble());  // 0.0, not 0: a ratio
  CHECK(std::string(ig["creator_tier"].GetString()) == "micro");
  CHECK(ig["likes_hidden"].IsBool());
  CHECK(ig["fetched_at"].IsString());

  const auto& en = v["enrichment"];
  CHECK(keys_of(en) == keys{"state", "attempts", "last_error", "next_attempt_at"});
  CHECK(std::string(en["state"].GetString()) == "succeeded");
  CHECK(en["attempts"].GetUint64() == 1);
  CHECK(en["last_error"].IsNull());
  CHECK(en["next_attempt_at"].IsNull());

  const auto& p = v["priority"];
  CHECK(keys_of(p) == keys{"score", "level", "team", "rules_version", "components"});
  CHECK(keys_of(p["components"]) == keys{"reach", "engagement", "activity", "completeness"});
  const auto& w = v["work"];
  CHECK(keys_of(w) == keys{"owner", "stage", "claimed_at", "claim_expires_at", "contacts", "last_contact",
                           "first_contact_ms"});
  CHECK(w["owner"].IsNull());
  CHECK(std::string(w["stage"].GetString()) == "unassigned");
  CHECK(w["last_contact"].IsNull());
  CHECK(p["score"].GetDouble() == 71.4);
  CHECK(std::string(p["level"].GetString()) == "A");
  CHECK(std::string(p["team"].GetString()) == "sdr");

  CHECK(v["coverage"].IsDouble());
  CHECK(v["coverage"].GetDouble() == 0.89);
  CHECK(v["processing_ms"].IsInt64());
  CHECK(v["processing_ms"].GetInt64() == 412);
}

TEST_CASE("a fresh lead's view: nulls where nothing is known yet", "[json]") {
  signed_up su = sample_signup();
  su.phone.clear();
  su.country.clear();
  lead_state s = fold(std::string("u-88121"), std::vector<event>{make_event(su, 1, 1'795'000'000'000)});
  auto v = doc_of(projections::view_json(s, projections::view_scores{std::nullopt, 0.5}));
  CHECK(std::string(v["status"].GetString()) == "signed_up");
  CHECK(v["contact"]["phone"].IsNull());
  CHECK(v["contact"]["country"].IsNull());
  CHECK(v["qualification"].IsNull());
  CHECK(v["social"].IsObject());
  CHECK(v["social"].ObjectEmpty());
  CHECK(std::string(v["enrichment"]["state"].GetString()) == "not_needed");
  CHECK(v["enrichment"]["attempts"].GetUint64() == 0);
  CHECK(v["priority"].IsNull());
  CHECK(v["processing_ms"].IsNull());
}

TEST_CASE("a scheduled retry shows its error and time in the view", "[json]") {
  auto events = enriched_stream();
  events.pop_back();
  events.push_back(make_event(enrichment_failed{network::instagram, "anasouza", 1, failure_class::rate_limited, "4", true,
                                                1'795'000'060'000},
                              3, 1'795'000'000'300));
  lead_state s = fold(std::string("u-88121"), events);
  auto v = doc_of(projections::view_json(s, projections::view_scores{std::nullopt, 0.4}));
  CHECK(std::string(v["status"].GetString()) == "enriching");
  CHECK(std::string(v["enrichment"]["state"].GetString()) == "retry_scheduled");
  CHECK(std::string(v["enrichment"]["last_error"].GetString()) == "rate_limited");
  CHECK(std::string(v["enrichment"]["next_attempt_at"].GetString()) == format_time(1'795'000'060'000));
  CHECK(v["enrichment"]["attempts"].GetUint64() == 1);
}

TEST_CASE("erased personal data renders as [erased], never as a value", "[json]") {
  SECTION("an erased signup event") {
    event ev = make_event(signed_up{}, 1, 1);
    auto& s = std::get<signed_up>(ev.data);
    s.country = "BR";
    s.source.utm_source = "ads";
    ev.personal_erased = true;
    auto d = doc_of(event_data_json(ev));
    CHECK(std::string(d["email"].GetString()) == erased_marker);
    CHECK(std::string(d["name"].GetString()) == erased_marker);
    CHECK(d["phone"].IsNull());  // presence unknown after decode (see json_render.cpp)
    CHECK(std::string(d["country"].GetString()) == "BR");
    CHECK(std::string(d["source"]["utm_source"].GetString()) == "ads");
  }
  SECTION("a leftover value is never shown") {
    event ev = make_event(sample_signup(), 1, 1);
    ev.personal_erased = true;
    const std::string text = event_data_json(ev);
    for (const char* secret : {"ana@exemplo", "Ana Souza", "+5511912345678", "52998224725", "anasouza"})
      CHECK(text.find(secret) == std::string::npos);
    CHECK(std::string(doc_of(text)["social"]["instagram"].GetString()) == erased_marker);
  }
  SECTION("enrichment events of an erased lead") {
    event en = make_event(enriched{}, 3, 1);
    en.personal_erased = true;
    CHECK(std::string(doc_of(event_data_json(en))["handle"].GetString()) == erased_marker);
    event fail = make_event(enrichment_failed{}, 4, 1);
    fail.personal_erased = true;
    CHECK(std::string(doc_of(event_data_json(fail))["handle"].GetString()) == erased_marker);
  }
  SECTION("the view of an erased lead") {
    auto events = enriched_stream();
    events.push_back(make_event(erased{"LGPD art. 18", "admin"}, 4, 1'795'000'001'000));
    lead_state s = fold(std::string("u-88121"), events);
    REQUIRE(s.status == lead_status::erased);
    const std::string text = projections::view_json(s, projections::view_scores{std::nullopt, 0.3});
    auto v = doc_of(text);
    CHECK(std::string(v["status"].GetString()) == "erased");
    CHECK(std::string(v["contact"]["email"].GetString()) == erased_marker);
    CHECK(std::string(v["contact"]["name"].GetString()) == erased_marker);
    CHECK(std::string(v["social"]["instagram"]["handle"].GetString()) == erased_marker);
    CHECK(v["social"]["instagram"]["followers"].GetInt64() == 48210);  // not personal
    for (const char* n : {"instagram", "youtube", "tiktok"})  // the signup's handles: gone, never a leftover
      CHECK((v["contact"]["handles"][n].IsNull() || std::string(v["contact"]["handles"][n].GetString()) == erased_marker));
    for (const char* secret : {"ana@exemplo", "Ana Souza", "+5511912345678", "anasouza"})
      CHECK(text.find(secret) == std::string::npos);
  }
}

TEST_CASE("history and feed documents", "[json]") {
  auto events = enriched_stream();
  events[0].meta.correlation_id = "req-1";
  events[1].meta.causation_id = "ev-1";
  std::vector<hash256> hashes(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    hashes[i].fill(static_cast<uint8_t>(0xA0 + i));
    if (i > 0) events[i].meta.prev_hash = hashes[i - 1];
  }
  std::vector<hashed_event_ref> refs;
  for (size_t i = 0; i < events.size(); ++i) refs.push_back({&events[i], &hashes[i]});

  auto h = doc_of(history_json("u-88121", refs, true));
  CHECK(keys_of(h) == std::set<std::string>{"lead_id", "events", "integrity"});
  CHECK(std::string(h["integrity"].GetString()) == "verified");
  REQUIRE(h["events"].Size() == 3);
  const auto& first = h["events"][0];
  CHECK(keys_of(first) == std::set<std::string>{"position", "version", "event_id", "type", "occurred_at",
                                                "recorded_at", "correlation_id", "causation_id", "data",
                                                "prev_hash", "hash"});
  CHECK(first["position"].GetUint64() == 101);
  CHECK(first["version"].GetUint64() == 1);
  CHECK(std::string(first["type"].GetString()) == "signed_up");
  CHECK(std::string(first["correlation_id"].GetString()) == "req-1");
  CHECK(first["causation_id"].IsNull());
  CHECK(std::string(first["prev_hash"].GetString()) == std::string(64, '0'));
  CHECK(std::string(first["hash"].GetString()) == to_hex(hashes[0]));
  CHECK(std::string(h["events"][1]["prev_hash"].GetString()) == to_hex(hashes[0]));
  CHECK(std::string(h["events"][1]["causation_id"].GetString()) == "ev-1");
  CHECK(std::string(h["events"][2]["type"].GetString()) == "enriched");

  CHECK(std::string(doc_of(history_json("u-88121", refs, false))["integrity"].GetString()) == "broken");

  auto f = doc_of(feed_json(refs, 103));
  CHECK(f["next_after"].GetUint64() == 103);
  REQUIRE(f["events"].Size() == 3);
  CHECK(std::string(f["events"][0]["lead_id"].GetString()) == "u-88121");

  struct stored {
    event ev;
    hash256 hash;
  };
  std::vector<stored> st{{events[0], hashes[0]}};
  CHECK(doc_of(history_json("u-88121", st, true))["events"].Size() == 1);
}

TEST_CASE("hashes as hex, both ways", "[json]") {
  hash256 h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i * 7 + 3);
  const std::string hex = to_hex(h);
  CHECK(hex.size() == 64);
  CHECK(hex.substr(0, 6) == "030a11");
  CHECK(hash_from_hex(hex) == h);
  std::string upper = hex;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(hash_from_hex(upper) == h);
  CHECK_FALSE(hash_from_hex(hex.substr(1)));
  CHECK_FALSE(hash_from_hex(std::string(63, '0') + "g"));
}

TEST_CASE("non-finite numbers render as null, not as a broken document", "[json]") {
  enriched e = sample_enriched();
  e.engagement_rate = std::numeric_limits<double>::quiet_NaN();
  e.mix.reels = std::numeric_limits<double>::infinity();
  auto d = doc_of(event_data_json(make_event(e, 1, 1)));
  CHECK(d["engagement_rate"].IsNull());
  CHECK(d["content_mix"]["reels"].IsNull());
}
