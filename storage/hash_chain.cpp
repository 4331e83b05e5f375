#include "storage/hash_chain.hpp"

#include <sodium.h>

namespace leadbase::storage {

hash256 chain_hash(const hash256& prev, std::string_view stored_bytes) {
  // libsodium's SHA-256 (the one crypto library storage links); no init needed for hashing.
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, prev.data(), prev.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(stored_bytes.data()),
                            stored_bytes.size());
  hash256 out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

std::string to_hex(const hash256& h) {
  static const char digits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = digits[h[i] >> 4];
    out[2 * i + 1] = digits[h[i] & 0xf];
  }
  return out;
}

} // namespace leadbase::storage
