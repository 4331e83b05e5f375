#include "storage/hash_chain.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace leadbase::storage {

hash256 chain_hash(const hash256& prev, std::string_view stored_bytes) {
  // OpenSSL's SHA-256 uses the CPU's SHA extensions where there are any:
  // several times faster than a portable implementation, and every read of
  // history, replay and verify recomputes the chain. One context per thread.
  struct ctx_deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ctx_deleter> ctx(EVP_MD_CTX_new());
  hash256 out{};
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prev.data(), prev.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), stored_bytes.data(), stored_bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size())
    std::abort();  // only on allocation failure inside OpenSSL: nothing sane to return
  return out;
}

} // namespace leadbase::storage
