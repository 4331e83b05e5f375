// GET /: the web console. The page compiled into the binary is web/console.html
// byte for byte (embedded at build time by cmake/embed_text.cmake),
// the route is public and answers HTML with a strict, hash-based CSP that
// matches the page's inline <script> and <style>.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <openssl/evp.h>

#include "events/event.hpp"
#include "http/api.hpp"
#include "tests/support/captured_responder.hpp"

using namespace leadbase::http;

namespace {

std::string read_source(const std::string& relative) {
  const std::string path = std::string{LEADBASE_SOURCE_DIR} + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string sha256_base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) == 1);
  unsigned char b64[128];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

/// The text between the only `open` and `close` of `page`.
std::string_view only_block(std::string_view page, std::string_view open, std::string_view close) {
  const size_t at = page.find(open);
  REQUIRE(at != std::string_view::npos);
  REQUIRE(page.find(open, at + 1) == std::string_view::npos);
  const size_t end = page.find(close, at);
  REQUIRE(end != std::string_view::npos);
  return page.substr(at + open.size(), end - at - open.size());
}

} // namespace

TEST_CASE("console: the embedded page is web/console.html byte for byte", "[console]") {
  const std::string html = read_source("web/console.html");
  REQUIRE(html.size() > 1000);
  CHECK(console_page().size() == html.size());
  CHECK(console_page() == html);
  CHECK(console_page().data()[console_page().size()] == '\0');
}

TEST_CASE("console: self-contained, no HTML built from strings", "[console]") {
  const std::string_view page = console_page();
  for (const char* banned : {"src=\"http", "href=\"http", "src='http", "href='http", "@import", "url(http",
                             ".innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
    INFO(banned);
    CHECK(page.find(banned) == std::string_view::npos);
  }
}

TEST_CASE("console: GET / is public and answers the page with a hash-based CSP", "[console]") {
  api_context ctx;
  router r = make_api_router(ctx);
  request req;
  req.method = "GET";
  req.target = req.path = "/";
  auto m = r.match("GET", "/", req.path_params);
  REQUIRE(m.kind == router::match_kind::found);
  CHECK_FALSE(m.matched->required_scope.has_value());

  response out;
  bool answered = false;
  m.matched->fn(req, leadbase::test::capture_responder([&](response res) {
                  out = std::move(res);
                  answered = true;
                }));
  REQUIRE(answered);
  CHECK(out.status == 200);
  CHECK(out.content_type == "text/html; charset=utf-8");
  CHECK(out.body == console_page());
  CHECK(out.headers.get("X-Content-Type-Options") == "nosniff");

  const std::string csp{out.headers.get("Content-Security-Policy")};
  INFO(csp);
  CHECK(csp.rfind("default-src 'self';", 0) == 0);
  CHECK(csp.find("'unsafe-inline'") == std::string::npos);
  CHECK(csp.find("'unsafe-eval'") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  const std::string page{console_page()};
  const std::string script = "script-src 'sha256-" + sha256_base64(only_block(page, "<script>", "</script>")) + "';";
  const std::string style = "style-src 'sha256-" + sha256_base64(only_block(page, "<style>", "</style>")) + "';";
  CHECK(csp.find(script) != std::string::npos);
  CHECK(csp.find(style) != std::string::npos);

  CHECK(r.match("POST", "/", req.path_params).kind == router::match_kind::method_not_allowed);
}

// Issue 11: the timeline showed a fail-fast provider_unavailable as "attempt 1"
// although it made no call and is not counted. The page's NO_CALL list must be
// exactly the classes for which counts_as_call is false.
TEST_CASE("console: the timeline's no-call classes are those counts_as_call refuses", "[console]") {
  const std::string html = read_source("web/console.html");
  const std::string_view list = only_block(html, "const NO_CALL = [", "];");
  std::set<std::string> in_page;
  for (size_t at = list.find('\''); at != std::string_view::npos; at = list.find('\'', at + 1)) {
    const size_t end = list.find('\'', at + 1);
    REQUIRE(end != std::string_view::npos);
    in_page.emplace(list.substr(at + 1, end - at - 1));
    at = end;
  }
  std::set<std::string> no_call;
  for (auto c : leadbase::all_failure_classes)
    if (!leadbase::counts_as_call(c)) no_call.emplace(leadbase::to_string(c));
  CHECK(in_page == no_call);
  // And the enrichment_failed line uses it rather than numbering every failure.
  CHECK(html.find("NO_CALL.includes(d.error_class) ? 'no call' : 'attempt ' + str(d.attempt)") != std::string::npos);
}
