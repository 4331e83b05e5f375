#include "storage/sealing.hpp"

#include <sodium.h>

#include <cstdlib>

namespace leadbase::storage {
namespace {

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; it fails only without entropy.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

} // namespace

data_key make_data_key() {
  ensure_sodium();
  data_key k;
  crypto_secretbox_keygen(k.data());
  return k;
}

std::string seal(const data_key& key, std::string_view plaintext) {
  ensure_sodium();
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), nonce,
                        key.data());
  return out;
}

result<std::string> unseal(const data_key& key, std::string_view sealed) {
  ensure_sodium();
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return error{errc::corrupt_data, "sealed data too short"};
  auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, nonce, key.data()) != 0)
    return error{errc::corrupt_data, "sealed data fails authentication"};
  return out;
}

content_digest keyed_digest(const data_key& key, std::string_view bytes) {
  ensure_sodium();
  content_digest out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                     key.data(), key.size());
  return out;
}

} // namespace leadbase::storage
