#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "http/problem.hpp"

using namespace leadbase::http;
using leadbase::errc;

TEST_CASE("problem documents have the docs/http-api.md shape", "[http]") {
  auto p = validation_problem("email", "too \"long\"\n\x01");
  auto r = to_response(p);
  CHECK(r.status == 422);
  CHECK(r.content_type == "application/problem+json");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string{d["type"].GetString()} == "urn:leadbase:problem:validation");
  CHECK(std::string{d["title"].GetString()} == "Validation failed");
  CHECK(d["status"].GetInt() == 422);
  CHECK(d["detail"].IsString());
  REQUIRE(d["errors"].Size() == 1);
  CHECK(std::string{d["errors"][0]["field"].GetString()} == "email");
  CHECK(std::string{d["errors"][0]["message"].GetString()} == "too \"long\"\n\x01");
}

TEST_CASE("problem JSON stays valid with invalid UTF-8 and has no errors member by default", "[http]") {
  auto body = to_json(make_problem(problem_kind::bad_request, "bad \xff\xfe bytes"));
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK_FALSE(d.HasMember("errors"));
  CHECK(std::string{d["detail"].GetString()} == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST_CASE("every problem kind has its status and required headers", "[http]") {
  CHECK(problem_response(problem_kind::unauthorized).headers.get("WWW-Authenticate") == "Bearer");
  CHECK(problem_response(problem_kind::overloaded).headers.get("Retry-After") == "1");
  CHECK(problem_response(problem_kind::payload_too_large).status == 413);
  CHECK(problem_response(problem_kind::unsupported_media_type).status == 415);
  CHECK(problem_response(problem_kind::method_not_allowed).status == 405);
  CHECK(problem_response(problem_kind::forbidden).status == 403);
  CHECK(problem_response(problem_kind::not_found).status == 404);
  CHECK(problem_response(problem_kind::conflict).status == 409);
  CHECK(problem_response(problem_kind::internal).status == 500);
}

TEST_CASE("errc maps to HTTP status and kind", "[http]") {
  CHECK(map_errc(errc::validation).status == 422);
  CHECK(map_errc(errc::bad_request).status == 400);
  CHECK(map_errc(errc::not_found).status == 404);
  CHECK(map_errc(errc::conflict).status == 409);
  CHECK(map_errc(errc::lead_erased).status == 409);
  CHECK(map_errc(errc::lead_erased).kind == problem_kind::conflict);
  CHECK(map_errc(errc::overloaded).status == 503);
  CHECK(map_errc(errc::timeout).status == 503);
  CHECK(map_errc(errc::storage_failure).status == 500);
  CHECK(map_errc(errc::corrupt_data).status == 500);
  CHECK(map_errc(errc::internal).status == 500);
  auto p = problem_from(leadbase::error{errc::storage_failure, "rocksdb: IO error /data/x"});
  CHECK(p.detail.find("rocksdb") == std::string::npos);  // internals stay in the logs
  auto t = problem_from(errc::timeout);
  CHECK(t.status == 503);
  CHECK(t.headers.get("Retry-After") == "1");
  CHECK(problem_from(errc::conflict, "event id reused").detail == "event id reused");
}
