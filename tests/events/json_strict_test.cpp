// Request bodies that must be refused, not guessed at (issue 10, item 10):
// anything after the JSON value (a NUL byte included) and repeated object
// keys, in every body the API parses.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "events/json.hpp"

using namespace leadbase;
using namespace std::string_literals;

namespace {

const std::string signup =
    R"({"event_id":"sg-1","lead_id":"u-1","occurred_at":"2026-11-28T12:00:00.000Z",)"
    R"("email":"ana@exemplo.com.br","name":"Ana Souza","social":{"instagram":"ana"}})";

const std::string override_item =
    R"({"event_id":"q-1","lead_id":"u-1","type":"qualified","occurred_at":"2026-11-28T12:00:00.000Z",)"
    R"("data":{"outcome":"qualified","decided_by":"maria"}})";

/// `json` with `extra` inserted right after its first '{' (a key repeated, say).
std::string with_first(const std::string& json, const std::string& extra) {
  return "{" + extra + "," + json.substr(1);
}

void check_bad_request(const parse_failure& f) {
  CHECK(f.code == errc::bad_request);
  CHECK(f.errors.empty());
  CHECK_FALSE(f.detail.empty());
}

} // namespace

TEST_CASE("bytes after a NUL following the JSON value are a bad request", "[json][strict]") {
  REQUIRE(parse_signup(signup).ok());
  for (const std::string& tail : {"\0"s, "\0garbage"s, "\0{\"a\":1}"s, " \0 "s, "\n\0\n"s}) {
    INFO("tail of " << tail.size() << " bytes");
    auto r = parse_signup(signup + tail);
    REQUIRE_FALSE(r.ok());
    check_bad_request(r.err());

    auto e = parse_erase(R"({"reason":"LGPD"})" + tail);
    REQUIRE_FALSE(e.ok());
    check_bad_request(e.err());

    auto b = parse_batch("[" + override_item + "]" + tail, false);
    REQUIRE_FALSE(b.ok());
    check_bad_request(b.err());

    auto item = parse_event_item(override_item + tail);
    REQUIRE_FALSE(item.ok());
    check_bad_request(item.err());
  }
  // A NUL inside the value (outside a string) is no better.
  auto mid = parse_signup(R"({"event_id":"sg-1",)"s + "\0"s + signup.substr(1));
  REQUIRE_FALSE(mid.ok());
  CHECK(mid.err().code == errc::bad_request);
}

TEST_CASE("an NDJSON line with a NUL or trailing content fails alone", "[json][strict]") {
  std::string body = override_item + "\0trailing"s + "\n" + override_item + " x\n" + override_item + "\n";
  auto b = parse_batch(body, true);
  REQUIRE(b.ok());
  REQUIRE(b->size() == 3);
  REQUIRE_FALSE((*b)[0].command.ok());
  check_bad_request((*b)[0].command.err());
  REQUIRE_FALSE((*b)[1].command.ok());
  check_bad_request((*b)[1].command.err());
  CHECK((*b)[2].command.ok());
}

TEST_CASE("any trailing content after the JSON value is a bad request", "[json][strict]") {
  for (const std::string& tail : {" x"s, "{}"s, "]"s, ","s, " null"s, "\xC3\xA9"s, "\x01"s}) {
    INFO(tail);
    auto r = parse_signup(signup + tail);
    REQUIRE_FALSE(r.ok());
    check_bad_request(r.err());
  }
  // Whitespace after the value is fine.
  CHECK(parse_signup(signup + " \r\n\t").ok());
}

TEST_CASE("a repeated key in a signup is a bad request, at any depth", "[json][strict]") {
  for (const std::string& body : std::vector<std::string>{
           with_first(signup, R"("email":"mallory@evil.example")"),
           with_first(signup, R"("lead_id":"u-2")"),
           with_first(signup, R"("unknown":1,"unknown":2)"),
           // "\u0065mail" is "email" once decoded.
           with_first(signup, R"("\u0065mail":"x@y.z")"),
           R"({"event_id":"sg-1","lead_id":"u-1","occurred_at":"2026-11-28T12:00:00.000Z",)"
           R"("email":"a@b.c","name":"A","social":{"instagram":"ana","instagram":"bob"}})"s,
           R"({"event_id":"sg-1","lead_id":"u-1","occurred_at":"2026-11-28T12:00:00.000Z",)"
           R"("email":"a@b.c","name":"A","extra":[{"deep":{"k":1,"k":2}}]})"s,
       }) {
    INFO(body);
    auto r = parse_signup(body);
    REQUIRE_FALSE(r.ok());
    check_bad_request(r.err());
    CHECK(r.err().detail.find("duplicate") != std::string::npos);
  }
  // Keys that only look alike are different keys.
  CHECK(parse_signup(with_first(signup, R"("Email":"x","email ":"y")")).ok());
  // The same key in sibling objects is no repetition.
  CHECK(parse_signup(with_first(signup, R"("a":{"k":1},"b":{"k":2})")).ok());
}

TEST_CASE("a repeated key in a batch, an override or an erase body is a bad request", "[json][strict]") {
  // Inside one item of a JSON array the whole body is refused, as for any body that is not JSON.
  std::string dup_override =
      R"({"event_id":"q-1","lead_id":"u-1","type":"qualified","occurred_at":"2026-11-28T12:00:00.000Z",)"
      R"("data":{"outcome":"qualified","decided_by":"maria","decided_by":"rules"}})";
  auto b = parse_batch("[" + override_item + "," + dup_override + "]", false);
  REQUIRE_FALSE(b.ok());
  check_bad_request(b.err());

  // In NDJSON that line fails alone.
  auto nd = parse_batch(override_item + "\n" + dup_override + "\n" + override_item, true);
  REQUIRE(nd.ok());
  REQUIRE(nd->size() == 3);
  CHECK((*nd)[0].command.ok());
  REQUIRE_FALSE((*nd)[1].command.ok());
  check_bad_request((*nd)[1].command.err());
  CHECK((*nd)[1].event_id == "q-1");
  CHECK((*nd)[2].command.ok());

  auto item = parse_event_item(with_first(override_item, R"("type":"signed_up")"));
  REQUIRE_FALSE(item.ok());
  check_bad_request(item.err());

  auto e = parse_erase(R"({"reason":"LGPD","reason":"other"})");
  REQUIRE_FALSE(e.ok());
  check_bad_request(e.err());
}

TEST_CASE("duplicate-key detection copes with a large object", "[json][strict]") {
  std::string body = "{";
  for (int i = 0; i < 50000; ++i) body += "\"k" + std::to_string(i) + "\":0,";
  std::string unique = body + signup.substr(1);
  CHECK(parse_signup(unique).ok());
  std::string dup = body + "\"k49999\":1," + signup.substr(1);
  auto r = parse_signup(dup);
  REQUIRE_FALSE(r.ok());
  check_bad_request(r.err());
}

TEST_CASE("lead and event ids made only of dots are refused at ingest", "[json][strict][lead_id]") {
  for (const std::string& id : {"."s, ".."s, "..."s, std::string(64, '.')}) {
    INFO(id);
    std::string lead = R"({"event_id":"sg-1","lead_id":")" + id + R"(",)" + signup.substr(signup.find("\"occurred_at\""));
    auto r = parse_signup(lead);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    REQUIRE(r.err().errors.size() == 1);
    CHECK(r.err().errors[0].field == "lead_id");

    std::string event = R"({"event_id":")" + id + R"(",)" + signup.substr(signup.find("\"lead_id\""));
    auto e = parse_signup(event);
    REQUIRE_FALSE(e.ok());
    REQUIRE(e.err().errors.size() == 1);
    CHECK(e.err().errors[0].field == "event_id");
  }
  // Dots with anything else are fine.
  for (const std::string& id : {".a"s, "a."s, "..a.."s, "a...b"s}) {
    std::string lead = R"({"event_id":"sg-1","lead_id":")" + id + R"(",)" + signup.substr(signup.find("\"occurred_at\""));
    CHECK(parse_signup(lead).ok());
  }
}
