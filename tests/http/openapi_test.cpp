// GET /openapi.json: a valid OpenAPI 3.1 document that documents every route
// the router has. Compared against make_api_router, not a fixed list, so a
// route added without documentation fails here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>

#include "http/api.hpp"

using namespace leadbase::http;

namespace {

rapidjson::Document parsed_document() {
  rapidjson::Document d;
  const std::string_view text = openapi_document();
  d.Parse(text.data(), text.size());
  INFO("offset " << d.GetErrorOffset());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

TEST_CASE("openapi: a 3.1 document with info, paths and the bearer scheme", "[ops]") {
  auto d = parsed_document();
  CHECK(std::string(d["openapi"].GetString()) == "3.1.0");
  CHECK(d["info"].HasMember("title"));
  CHECK(d["info"].HasMember("version"));
  REQUIRE(d["paths"].IsObject());
  CHECK(d["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
  // Every $ref points at something that exists.
  std::vector<std::string> refs;
  const std::string text{openapi_document()};
  for (size_t at = 0; (at = text.find("\"$ref\": \"#/", at)) != std::string::npos; ++at) {
    size_t start = at + 9, end = text.find('"', start);
    refs.push_back(text.substr(start, end - start));
  }
  REQUIRE_FALSE(refs.empty());
  for (const auto& ref : refs) {
    INFO(ref);
    const rapidjson::Value* v = &d;
    size_t pos = 2;  // after "#/"
    while (pos <= ref.size()) {
      size_t next = ref.find('/', pos);
      std::string part = ref.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
      REQUIRE(v->IsObject());
      REQUIRE(v->HasMember(part.c_str()));
      v = &(*v)[part.c_str()];
      if (next == std::string::npos) break;
      pos = next + 1;
    }
  }
}

TEST_CASE("openapi: every route of make_api_router is documented", "[ops]") {
  auto d = parsed_document();
  api_context ctx;
  router r = make_api_router(ctx);
  const auto& paths = d["paths"];
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& rt : r.routes()) routes.emplace_back(rt.method, rt.pattern);
  routes.emplace_back("GET", "/healthz");  // added by the server
  routes.emplace_back("GET", "/readyz");
  REQUIRE(routes.size() > 5);
  for (const auto& [method, pattern] : routes) {
    INFO(method << " " << pattern << " is missing from openapi.json");
    REQUIRE(paths.HasMember(pattern.c_str()));
    const auto& item = paths[pattern.c_str()];
    REQUIRE(item.HasMember(lower(method).c_str()));
    const auto& op = item[lower(method).c_str()];
    CHECK(op.HasMember("responses"));
    CHECK(op.HasMember("summary"));
  }
}
