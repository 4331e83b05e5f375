#include "projections/view_store.hpp"

#include "projections/lead_views.hpp"
#include "storage/keys.hpp"

namespace leadbase::projections {
namespace view_index {

using storage::keys::put_be64;

namespace {

constexpr uint64_t sign_bit = uint64_t{1} << 63;

// -- the search index: nested hashed prefix buckets --------------------------------------
//
// Each token has ONE key, q<bucket:8><lead_id>\0<token hash:8>, whose bucket
// nests the hashes of the token's first 1, 3 and 6 bytes:
//   bucket = h1:2 bytes | h3:2 bytes | h6:4 bytes   (big-endian in the key)
// so every token starting with the same 1 (3, 6) bytes shares the first 2 (4,
// 8) bytes of the bucket. A search for text of n bytes scans the key prefix of
// the longest level L <= n and keeps the entries whose token (in the value)
// starts with the text; a hash collision only adds candidates, which that
// check drops. One key per token instead of one per level: a third of the
// keys to write at ingest and at a rebuild. Keys hold no personal data in
// plaintext: RocksDB keeps the boundary keys of table files in the MANIFEST,
// which compaction does not rewrite, so plaintext keys would outlive an erasure there.

/// The prefix lengths a search distinguishes, and how many bytes of the bucket
/// a search at that level shares with every token it can match: each level
/// adds its own hash, of (bytes - previous level's bytes) bytes, to the bucket.
struct q_level {
  size_t length, bucket_bytes;
};
constexpr q_level q_levels[] = {{1, 2}, {3, 4}, {6, 8}};

uint64_t fnv1a(std::string_view s, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ (salt * 1099511628211ull);
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

/// The level a search of `n` bytes uses: the longest prefix length <= n.
const q_level& q_level_for(size_t n) {
  const q_level* level = &q_levels[0];
  for (const auto& l : q_levels)
    if (l.length <= n) level = &l;
  return *level;
}

} // namespace

/// Order-preserving 8 bytes for a signed value.
std::string ordered(int64_t v) {
  std::string out;
  out.reserve(8);
  put_be64(out, static_cast<uint64_t>(v) ^ sign_bit);
  return out;
}

std::string index_prefix(char dim, std::string_view scope) {
  std::string k;
  k.reserve(scope.size() + 3);
  k.push_back(sort_prefix);
  k.push_back(dim);
  k.append(scope);
  k.push_back('\0');
  return k;
}

std::string level_scope(char level) { return std::string{scope_level, level}; }

std::string team_scope(std::string_view team) {
  std::string s(1, scope_team);
  s.append(team);
  return s;
}

std::string sort_key(char dim, std::string_view scope, int64_t value, std::string_view lead_id) {
  std::string k;
  k.reserve(3 + scope.size() + 8 + lead_id.size());
  k.push_back(sort_prefix);
  k.push_back(dim);
  k.append(scope);
  k.push_back('\0');
  put_be64(k, static_cast<uint64_t>(value) ^ sign_bit);
  k.append(lead_id);
  return k;
}

/// The nested bucket of a token (or of a search text: only the levels its
/// length reaches are used by the search).
uint64_t q_bucket_of(std::string_view text) {
  uint64_t bucket = 0;
  size_t bytes = 0;
  for (const auto& l : q_levels) {
    const size_t width = 8 * (l.bucket_bytes - bytes);
    const uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
    bucket |= (fnv1a(text.substr(0, l.length), l.length) & mask) << (8 * (8 - l.bucket_bytes));
    bytes = l.bucket_bytes;
  }
  return bucket;
}

uint64_t q_token_hash(std::string_view token) { return fnv1a(token, 0); }

/// The key prefix a search for `text` scans: "q" + the bucket bytes its level shares.
std::string q_search_prefix(std::string_view text) {
  std::string k(1, search_prefix);
  put_be64(k, q_bucket_of(text));
  k.resize(1 + q_level_for(text.size()).bucket_bytes);
  return k;
}

/// The one layout of a q key: q<bucket:8><lead_id>\0<token hash:8>.
std::string q_key(uint64_t bucket, std::string_view lead_id, uint64_t token_hash) {
  std::string k;
  k.reserve(1 + 8 + lead_id.size() + 1 + 8);
  k.push_back(search_prefix);
  put_be64(k, bucket);
  k.append(lead_id);
  k.push_back('\0');
  put_be64(k, token_hash);
  return k;
}

/// The q key of one token of a lead.
std::string q_key_of(std::string_view token, std::string_view lead_id) {
  return q_key(q_bucket_of(token), lead_id, q_token_hash(token));
}

std::optional<std::string_view> q_key_lead(std::string_view key) {
  // The lead id follows the whole bucket (whose bytes may be 0x00).
  constexpr size_t id_at = 1 + 8;
  if (key.size() <= id_at) return std::nullopt;
  auto sep = key.find('\0', id_at);
  if (sep == std::string_view::npos) return std::nullopt;
  return key.substr(id_at, sep - id_at);
}

/// The key of a lead's filter attributes, for searches: a<lead_id>.
std::string attrs_key(std::string_view lead_id) {
  std::string k(1, attrs_prefix);
  k.append(lead_id);
  return k;
}

std::string_view row_lead(std::string_view key) { return key.substr(row_prefix.size()); }

/// The first string greater than every string starting with `prefix`; empty if none.
std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

} // namespace view_index

namespace view_keys {

std::string row_key(std::string_view lead_id) {
  std::string k(view_index::row_prefix);
  k.append(lead_id);
  return k;
}

} // namespace view_keys

} // namespace leadbase::projections
