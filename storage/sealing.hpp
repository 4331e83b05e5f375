#pragma once
// Sealing personal data with a lead's data key (libsodium secretbox:
// XSalsa20-Poly1305). Erasure destroys the key; what was sealed stays in the
// log, unreadable, so the hash chain over the stored bytes stays valid.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/errc.hpp"
#include "events/event.hpp"

namespace leadbase::storage {

using data_key = std::array<uint8_t, 32>;

/// A fresh random key.
data_key make_data_key();

/// nonce (24 bytes) + MAC + ciphertext.
std::string seal(const data_key& key, std::string_view plaintext);

/// The plaintext, or errc::corrupt_data when the bytes were altered or the key is wrong.
result<std::string> unseal(const data_key& key, std::string_view sealed);

/// BLAKE2b-256 of `bytes` keyed with the lead's data key: the content digest
/// that idempotency compares. Keyed, so that once the key is destroyed the
/// stored digests say nothing about the erased personal data.
content_digest keyed_digest(const data_key& key, std::string_view bytes);

} // namespace leadbase::storage
