#pragma once
// Catch2 helpers shared by the e2e tests: safe JSON member access (rapidjson's
// operator[] on a missing key is undefined behaviour in a release build),
// problem-document checks, and a per-file shared server.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tests/e2e/harness.hpp"

namespace leadbase::e2e {

/// The member `key` of object `v`, or nullptr.
inline const rapidjson::Value* member(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

inline bool has(const rapidjson::Value& v, const char* key) { return member(v, key) != nullptr; }

/// The string member `key`, or "<missing key>" / "<not a string>".
inline std::string str(const rapidjson::Value& v, const char* key) {
  const auto* m = member(v, key);
  if (!m) return std::string("<missing ") + key + ">";
  if (!m->IsString()) return std::string("<") + key + " not a string>";
  return std::string(m->GetString(), m->GetStringLength());
}

/// The unsigned integer member `key`, or -1.
inline long long num(const rapidjson::Value& v, const char* key) {
  const auto* m = member(v, key);
  if (!m || !m->IsUint64()) return -1;
  return static_cast<long long>(m->GetUint64());
}

inline bool is_null(const rapidjson::Value& v, const char* key) {
  const auto* m = member(v, key);
  return m && m->IsNull();
}

/// The array member `key`, or an empty static array.
inline const rapidjson::Value& arr(const rapidjson::Value& v, const char* key) {
  static const rapidjson::Value empty(rapidjson::kArrayType);
  const auto* m = member(v, key);
  return (m && m->IsArray()) ? *m : empty;
}

/// The object member `key`, or an empty static object.
inline const rapidjson::Value& obj(const rapidjson::Value& v, const char* key) {
  static const rapidjson::Value empty(rapidjson::kObjectType);
  const auto* m = member(v, key);
  return (m && m->IsObject()) ? *m : empty;
}

inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

/// The media type of a Content-Type value, without parameters, lower case.
inline std::string media_type_of(const std::string& ct) {
  std::string mt = ct.substr(0, ct.find(';'));
  while (!mt.empty() && mt.back() == ' ') mt.pop_back();
  for (auto& c : mt) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return mt;
}

/// A problem document of that status and kind (docs/http-api.md "Conventions").
inline void check_problem(const http_response& r, int status, const std::string& kind) {
  INFO("response " << r.status << ": " << r.body);
  CHECK(r.status == status);
  CHECK(media_type_of(r.header("Content-Type")) == "application/problem+json");
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  CHECK(str(d, "type") == "urn:leadbase:problem:" + kind);
  CHECK(num(d, "status") == status);
  CHECK(member(d, "title") != nullptr);
  CHECK(member(d, "detail") != nullptr);
}

/// The `field` names of a validation problem's errors[].
inline std::vector<std::string> error_fields(const http_response& r) {
  std::vector<std::string> out;
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError()) return out;
  for (const auto& e : arr(d, "errors").GetArray()) out.push_back(str(e, "field"));
  return out;
}

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// GET /healthz on a fresh connection answers 200.
inline void check_healthy(const server_process& srv) {
  http_client c(srv.port(), std::chrono::seconds(10));
  auto r = c.try_request("GET", "/healthz");
  INFO("healthz: " << r.status << " " << r.error << "\nserver stderr:\n" << srv.stderr_text());
  REQUIRE(r.status == 200);
}

/// GET /v1/leads/{lead} once the projections have reached `min_position`
/// (docs/http-api.md read-your-writes).
inline http_response get_view(http_client& c, const std::string& lead, long long min_position,
                              const char* token = read_token) {
  std::string target = "/v1/leads/" + lead;
  if (min_position > 0) target += "?min_position=" + std::to_string(min_position) + "&wait_ms=10000";
  return c.get(target, token);
}

/// Nothing of the lead is in the log: its history (read from the log, not a
/// projection) is 404.
inline void check_not_stored(http_client& c, const std::string& lead) {
  auto r = c.get("/v1/leads/" + lead + "/history", audit_token);
  INFO("history of " << lead << ": " << r.body.substr(0, 500));
  check_problem(r, 404, "not_found");
}

/// Waits (5 s at most, a safety net) until the lead's history holds an event
/// the server derived on its own (causation_id set, e.g. the rules'
/// qualification after a signup), so that versions are stable afterwards.
/// Returns the history's last position (0 if none). Not an assertion: a
/// server that derives nothing is fine too.
inline long long settle(http_client& c, const std::string& lead) {
  // The lead's own follow-ups (qualification, then one enrichment answer per
  // network) come one after the other: wait until the history has a derived
  // event and has stopped growing for a while (5 s at most).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  long long last = 0, seen_last = -1;
  int stable = 0;
  for (;;) {
    auto r = c.get("/v1/leads/" + lead + "/history", audit_token);
    bool derived = false;
    if (r.status == 200) {
      rapidjson::Document d;
      d.Parse(r.body.c_str(), r.body.size());
      for (const auto& e : arr(d, "events").GetArray()) {
        if (!is_null(e, "causation_id")) derived = true;
        last = num(e, "position");
      }
    }
    stable = (last == seen_last) ? stable + 1 : 0;
    seen_last = last;
    if ((derived && stable >= 8) || std::chrono::steady_clock::now() >= deadline) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

/// One server for the [e2e] tests that do not need their own (started on
/// first use, killed and removed at exit). Every test uses unique ids.
inline server_process& shared_server() {
  static std::unique_ptr<server_process> srv;
  if (srv && srv->running()) {
    http_client c(srv->port(), std::chrono::seconds(10));
    if (c.try_request("GET", "/healthz").status != 200) {
      FAIL_CHECK("the shared server stopped answering; stderr:\n" << srv->stderr_text());
      srv.reset();
    }
  }
  if (!srv) {
    auto s = std::make_unique<server_process>();
    s->start();
    srv = std::move(s);
  }
  return *srv;
}

} // namespace leadbase::e2e
