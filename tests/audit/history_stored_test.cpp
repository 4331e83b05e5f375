// GET /v1/leads/{id}/history?include=stored at the audit layer, on a real log:
// each event's "stored" is exactly the record its hash covers (the chain
// recomputes from the document alone), the head closes the chain, and an
// erased lead's stored bytes are the same sealed bytes as before, with no
// personal value in plaintext anywhere in the document.
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "audit/documents.hpp"
#include "audit/lead_audit.hpp"
#include "events/json.hpp"
#include "storage/hash_chain.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;

namespace {

const std::string email = "history.stored.person@exemplo-auditoria.com.br";
const std::string name = "Historico Guardado Pessoa Unica";
const std::string handle = "history_stored_handle_unique";

std::string unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

rapidjson::Document history_of(const storage::event_log& log, const std::string& lead, bool stored) {
  auto record = audit::read_lead(log, lead, stored);
  REQUIRE(record);
  const std::string text = audit::history_document(*record, stored);
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

/// The stored bytes of every event, after checking that they alone rebuild the
/// chain and its head.
std::vector<std::string> check_chain_from_document(const rapidjson::Document& d) {
  std::vector<std::string> out;
  hash256 prev{};
  for (const auto& e : d["events"].GetArray()) {
    REQUIRE(e.HasMember("stored"));
    out.push_back(unbase64(e["stored"].GetString()));
    CHECK(std::string(e["prev_hash"].GetString()) == to_hex(prev));
    prev = storage::chain_hash(prev, out.back());
    CHECK(std::string(e["hash"].GetString()) == to_hex(prev));
  }
  REQUIRE(d["head"].IsObject());
  CHECK(d["head"]["version"].GetUint64() == out.size());
  CHECK(std::string(d["head"]["hash"].GetString()) == to_hex(prev));
  return out;
}

bool holds_personal(const std::string& bytes) {
  return bytes.find(email) != std::string::npos || bytes.find(name) != std::string::npos ||
         bytes.find(handle) != std::string::npos;
}

} // namespace

TEST_CASE("history include=stored: the stored bytes alone rebuild the chain and the head", "[audit]") {
  test::log_fixture f;
  auto s = test::spec("u-stored-1", name, email, "BR", handle);
  s.followers = 12000;  // an `enriched` with the handle
  f.append_lead(s);

  auto plain = history_of(*f.log, "u-stored-1", false);
  CHECK_FALSE(plain.HasMember("head"));
  CHECK_FALSE(plain["events"][0].HasMember("stored"));

  auto d = history_of(*f.log, "u-stored-1", true);
  REQUIRE(d["events"].Size() == 3);
  CHECK(std::string(d["integrity"].GetString()) == "verified");
  const auto stored = check_chain_from_document(d);
  // Sealed even while the lead lives: the plaintext is only in "data".
  for (const auto& bytes : stored) CHECK_FALSE(holds_personal(bytes));
  CHECK(std::string(d["events"][0]["data"]["email"].GetString()) == email);
}

TEST_CASE("history include=stored after an erasure: the same sealed bytes, no erased value anywhere", "[audit]") {
  test::log_fixture f;
  auto s = test::spec("u-stored-2", name, email, "BR", handle);
  s.followers = 12000;
  f.append_lead(s);
  const auto before = check_chain_from_document(history_of(*f.log, "u-stored-2", true));
  erased e;
  e.reason = "test";
  e.requested_by = "admin";
  f.append("u-stored-2", {e});
  REQUIRE(f.log->destroy_key("u-stored-2"));

  auto record = audit::read_lead(*f.log, "u-stored-2", true);
  REQUIRE(record);
  const std::string text = audit::history_document(*record, true);
  CHECK_FALSE(holds_personal(text));
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["integrity"].GetString()) == "verified");
  const auto after = check_chain_from_document(d);
  REQUIRE(after.size() == before.size() + 1);
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == before[i]);  // the erasure rewrote nothing
  for (const auto& bytes : after) CHECK_FALSE(holds_personal(bytes));
  CHECK(std::string(d["events"][0]["data"]["email"].GetString()) == "[erased]");
}

TEST_CASE("history include=stored: a lead whose newest event is gone still shows its head", "[audit]") {
  audit::lead_record r;
  r.lead_id = "u-stored-3";
  r.chain.last = storage::head{2, 7, hash256{}};
  r.verdict.intact = false;
  r.verdict.first_bad_version = 1;
  const std::string text = audit::history_document(r, true);
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["head"]["version"].GetUint64() == 2);
  CHECK(d["events"][0]["damaged"].GetBool());
  CHECK(audit::base64("") == "");
  CHECK(audit::base64("abcd") == "YWJjZA==");
}
