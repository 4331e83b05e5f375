#include <catch2/catch.hpp>

#include "http/auth.hpp"

using namespace leadbase::http;

TEST_CASE("token table from config entries", "[http]") {
  auto t = token_table::from_entries({{"platform", "p-secret", {"ingest"}}, {"auditor", "a-secret", {"read", "audit"}}});
  REQUIRE(t.ok());
  CHECK(t->size() == 2);
  REQUIRE(t->find("a-secret"));
  CHECK(t->find("a-secret")->name == "auditor");
  CHECK(t->find("a-secret")->scopes.contains(scope::audit));
  CHECK_FALSE(t->find("a-secret")->scopes.contains(scope::admin));
  CHECK(t->find("a-secre") == nullptr);
  CHECK(t->find("") == nullptr);

  CHECK_FALSE(token_table::from_entries({{"x", "t", {"superuser"}}}).ok());
  CHECK_FALSE(token_table::from_entries({{"x", "", {"read"}}}).ok());
  CHECK_FALSE(token_table::from_entries({{"x", "t", {}}, {"x", "u", {}}}).ok());
  CHECK_FALSE(token_table::from_entries({{"x", "t", {}}, {"y", "t", {}}}).ok());
  auto bad = token_table::from_entries({{"x", "t", {"superuser"}}});
  CHECK(bad.err().message.find("superuser") != std::string::npos);
}

TEST_CASE("bearer header parsing", "[http]") {
  CHECK(bearer_token("Bearer abc") == std::optional<std::string_view>{"abc"});
  CHECK(bearer_token("bearer   abc  ") == std::optional<std::string_view>{"abc"});
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer "));
  CHECK_FALSE(bearer_token("Bearerabc"));
  CHECK_FALSE(bearer_token("Basic abc"));
  CHECK_FALSE(bearer_token("Bearer a b"));
  CHECK_FALSE(bearer_token(""));
}

TEST_CASE("authorize: public, unauthorized, forbidden, ok", "[http]") {
  token_table t;
  REQUIRE(t.add("sdr", "r-secret", {scope::read}).ok());
  CHECK(authorize(t, "", std::nullopt).outcome == auth_outcome::ok);
  CHECK(authorize(t, "", scope::read).outcome == auth_outcome::unauthorized);
  CHECK(authorize(t, "Bearer nope", scope::read).outcome == auth_outcome::unauthorized);
  CHECK(authorize(t, "Bearer r-secret", scope::admin).outcome == auth_outcome::forbidden);
  auto ok = authorize(t, "Bearer r-secret", scope::read);
  CHECK(ok.outcome == auth_outcome::ok);
  REQUIRE(ok.who);
  CHECK(ok.who->name == "sdr");
  CHECK(auth_problem({auth_outcome::unauthorized, nullptr}, scope::read).headers.get("WWW-Authenticate") == "Bearer");
  CHECK(auth_problem({auth_outcome::forbidden, nullptr}, scope::read).status == 403);
}
