// Sealing, keyed digests and the hash chain.
#include <catch2/catch.hpp>

#include "events/json.hpp"
#include "storage/hash_chain.hpp"
#include "storage/sealing.hpp"

using namespace leadbase;
using namespace leadbase::storage;

TEST_CASE("seal and unseal", "[sealing]") {
  auto key = make_data_key();
  std::string plain = "ana@exemplo.com.br";
  std::string sealed = seal(key, plain);
  CHECK(sealed.find(plain) == std::string::npos);
  auto back = unseal(key, sealed);
  REQUIRE(back);
  CHECK(*back == plain);
  CHECK(seal(key, plain) != sealed);  // a fresh nonce each time
}

TEST_CASE("a wrong key or altered bytes fail", "[sealing]") {
  auto key = make_data_key(), other = make_data_key();
  CHECK(key != other);
  std::string sealed = seal(key, "secret");
  CHECK_FALSE(unseal(other, sealed));
  std::string altered = sealed;
  altered.back() ^= 1;
  CHECK_FALSE(unseal(key, altered));
  CHECK_FALSE(unseal(key, "short"));
}

TEST_CASE("keyed digests depend on the key and the bytes", "[sealing]") {
  auto key = make_data_key(), other = make_data_key();
  CHECK(keyed_digest(key, "abc") == keyed_digest(key, "abc"));
  CHECK(keyed_digest(key, "abc") != keyed_digest(key, "abd"));
  CHECK(keyed_digest(key, "abc") != keyed_digest(other, "abc"));
}

TEST_CASE("chain hash is SHA-256 over prev hash and bytes", "[hash_chain]") {
  hash256 zero{};
  // SHA-256 of 32 zero bytes followed by "abc", computed independently (sha256sum).
  CHECK(to_hex(chain_hash(zero, "abc")) == "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370");
  CHECK(chain_hash(zero, "abc") == chain_hash(zero, "abc"));
  CHECK(chain_hash(zero, "abc") != chain_hash(zero, "abd"));
  hash256 one{};
  one[0] = 1;
  CHECK(chain_hash(zero, "abc") != chain_hash(one, "abc"));
  CHECK(to_hex(zero) == std::string(64, '0'));
}

namespace {
struct link {
  event ev;
  hash256 hash;
};
} // namespace

TEST_CASE("chain_intact detects a broken link, a gap and a wrong start", "[hash_chain]") {
  std::vector<link> chain;
  hash256 prev{};
  for (lead_version v = 1; v <= 4; ++v) {
    link l;
    l.ev.meta.version = v;
    l.ev.meta.prev_hash = prev;
    l.hash = chain_hash(prev, "event " + std::to_string(v));
    prev = l.hash;
    chain.push_back(l);
  }
  CHECK(chain_intact(chain));
  CHECK(chain_intact(std::vector<link>{}));
  auto broken = chain;
  broken[2].ev.meta.prev_hash[5] ^= 1;
  CHECK_FALSE(chain_intact(broken));
  auto gap = chain;
  gap.erase(gap.begin() + 1);
  CHECK_FALSE(chain_intact(gap));
  auto wrong_start = chain;
  wrong_start.erase(wrong_start.begin());
  CHECK_FALSE(chain_intact(wrong_start));
}
