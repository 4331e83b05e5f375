// GET / (public): the web console for SDRs and auditors (docs/http-api.md), one
// self-contained page, web/console.html compiled into the binary at build time
// (cmake/embed_text.cmake).
//
// The page calls the JSON API with the bearer token the person enters, so the
// route itself needs none. Its Content-Security-Policy allows only this origin,
// and inline code only by hash: the SHA-256 of each inline <script> and <style>
// block, computed once from the embedded page, so a change to the page can
// never leave a stale hash behind.
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "http/api.hpp"

namespace leadbase::http {
namespace {

std::string sha256_base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

/// " 'sha256-…'" for every block between `open` and `close` in `page`.
std::string inline_hashes(std::string_view page, std::string_view open, std::string_view close) {
  std::string out;
  for (size_t at = page.find(open); at != std::string_view::npos; at = page.find(open, at)) {
    const size_t start = at + open.size(), end = page.find(close, start);
    if (end == std::string_view::npos) break;
    out += " 'sha256-" + sha256_base64(page.substr(start, end - start)) + "'";
    at = end + close.size();
  }
  return out.empty() ? " 'none'" : out;
}

std::string make_policy() {
  const std::string_view page = console_page();
  return "default-src 'self'; script-src" + inline_hashes(page, "<script>", "</script>") +
         "; style-src" + inline_hashes(page, "<style>", "</style>") +
         "; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
         "frame-ancestors 'none'";
}

void get_console(request&, responder respond) {
  static const std::string policy = make_policy();
  response res = text_response(200, std::string(console_page()), "text/html; charset=utf-8");
  res.set_header("Content-Security-Policy", policy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
  respond(std::move(res));
}

}  // namespace

void add_console_routes(router& r, api_context&) {
  r.add("GET", "/", std::nullopt, [](request& q, responder s) { get_console(q, s); });
}

}  // namespace leadbase::http
