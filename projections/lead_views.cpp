#include "projections/lead_views.hpp"
#include "projections/views_raw_access.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "events/logging.hpp"
#include "events/snapshot.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

using storage::keys::put_be64;
using storage::keys::read_be64;

std::shared_ptr<spdlog::logger> log() {
  static auto logger = module_logger("projections");
  return logger;
}

using storage::storage_error;

constexpr char dim_score = 'S';
constexpr char dim_signup = 'T';
constexpr char dim_followers = 'F';
/// The score scope of the leads "claim next" may hand out (claimable()).
constexpr char claimable_scope = 'u';
constexpr uint64_t sign_bit = uint64_t{1} << 63;

/// Order-preserving 8 bytes for a signed value.
std::string ordered(int64_t v) {
  std::string out;
  out.reserve(8);
  put_be64(out, static_cast<uint64_t>(v) ^ sign_bit);
  return out;
}

/// ordered(v) appended to `out`, without a temporary string.
void append_ordered(std::string& out, int64_t v) { put_be64(out, static_cast<uint64_t>(v) ^ sign_bit); }

/// What the filters and sorts need, stored as every index key's value.
struct index_attrs {
  int64_t score10 = 0;  // score × 10 (scores have one decimal)
  millis signed_up_at = 0;
  int64_t followers = 0;
  lead_status status = lead_status::none;
  char level = 'C';
  std::string team, tier, country;
  std::string owner;  // empty = unassigned
  work_stage stage = work_stage::unassigned;
};

void put_short(std::string& out, const std::string& s) {
  const size_t n = std::min<size_t>(s.size(), 255);
  out.push_back(static_cast<char>(n));
  out.append(s, 0, n);
}

bool get_short(std::string_view in, size_t& at, std::string& out) {
  if (at >= in.size()) return false;
  const size_t n = static_cast<uint8_t>(in[at++]);
  if (at + n > in.size()) return false;
  out.assign(in.substr(at, n));
  at += n;
  return true;
}

/// A string of up to 65535 bytes behind a 2-byte length: an owner's name is
/// up to 200 characters, so up to 800 bytes (put_short would cut it).
void put_long(std::string& out, const std::string& s) {
  const size_t n = std::min<size_t>(s.size(), 0xffff);
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(s, 0, n);
}

bool get_long(std::string_view in, size_t& at, std::string& out) {
  if (at + 2 > in.size()) return false;
  const size_t n = (size_t{static_cast<uint8_t>(in[at])} << 8) | static_cast<uint8_t>(in[at + 1]);
  at += 2;
  if (at + n > in.size()) return false;
  out.assign(in.substr(at, n));
  at += n;
  return true;
}

constexpr char attrs_version = 3;  // 2: owner and stage; 3: the owner behind a 2-byte length

std::string encode_attrs(const index_attrs& a) {
  std::string out;
  out.reserve(40);
  out.push_back(attrs_version);
  put_be64(out, static_cast<uint64_t>(a.score10));
  put_be64(out, static_cast<uint64_t>(a.signed_up_at));
  put_be64(out, static_cast<uint64_t>(a.followers));
  out.push_back(static_cast<char>(a.status));
  out.push_back(a.level);
  put_short(out, a.team);
  put_short(out, a.tier);
  put_short(out, a.country);
  put_long(out, a.owner);
  out.push_back(static_cast<char>(a.stage));
  return out;
}

bool decode_attrs(std::string_view in, index_attrs& a) {
  if (in.size() < 27 || in[0] != attrs_version) return false;
  a.score10 = static_cast<int64_t>(read_be64(in, 1));
  a.signed_up_at = static_cast<int64_t>(read_be64(in, 9));
  a.followers = static_cast<int64_t>(read_be64(in, 17));
  a.status = static_cast<lead_status>(static_cast<uint8_t>(in[25]));
  a.level = in[26];
  size_t at = 27;
  if (!(get_short(in, at, a.team) && get_short(in, at, a.tier) && get_short(in, at, a.country) &&
        get_long(in, at, a.owner) && at < in.size()))
    return false;
  a.stage = static_cast<work_stage>(static_cast<uint8_t>(in[at]));
  return true;
}

std::string upper_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

/// The profile whose followers and tier count: Instagram, else YouTube.
const network_profile* reach_profile(const lead_state& s) {
  for (network net : {network::instagram, network::youtube}) {
    auto it = s.social.find(net);
    if (it != s.social.end()) return &it->second;
  }
  return nullptr;
}

/// Queued leads, and disqualified ones (listed with status=disqualified, never
/// claimable: score 0, level '-', no team).
std::optional<index_attrs> attrs_of(const lead_state& s, const lead_views_options& o) {
  auto p = prioritise(s, o.priority, o.rules_version);
  const bool disqualified = s.status == lead_status::disqualified && !s.personal_erased;
  if (!p && !disqualified) return std::nullopt;
  index_attrs a;
  a.score10 = p && std::isfinite(p->score) ? std::llround(p->score * 10.0) : 0;
  a.signed_up_at = s.signed_up_at;
  a.status = s.status;
  a.level = p ? p->level : '-';
  if (p) a.team = p->team;
  a.owner = s.work.owner;
  a.stage = s.work.stage();
  a.country = upper_ascii(s.contact.country);
  if (const auto* prof = reach_profile(s)) {
    a.followers = prof->followers;
    a.tier = prof->creator_tier;
  }
  return a;
}

/// Unassigned, not disqualified, work not over: what "claim next" hands out
/// (the Decider's decide_claim has the last word). Such a lead has one more
/// key, in the score scope 'u', so a claim's walk never steps over the leads
/// already taken (claim_bench: after 20,000 claims a walk of the '*' scope
/// read 20,000 entries to find one).
bool claimable(const index_attrs& a) {
  return a.status != lead_status::disqualified && a.owner.empty() && a.stage != work_stage::meeting_booked &&
         a.stage != work_stage::closed;
}

std::string dim_value(char dim, const index_attrs& a) {
  switch (dim) {
    case dim_score: return ordered(a.score10);
    case dim_signup: return ordered(a.signed_up_at);
    default: return ordered(a.followers);
  }
}

std::string index_prefix(char dim, std::string_view scope) {
  std::string k;
  k.reserve(scope.size() + 3);
  k.push_back('i');
  k.push_back(dim);
  k.append(scope);
  k.push_back('\0');
  return k;
}

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

/// The level a search of `n` bytes uses: the longest prefix length <= n.
const q_level& q_level_for(size_t n) {
  const q_level* level = &q_levels[0];
  for (const auto& l : q_levels)
    if (l.length <= n) level = &l;
  return *level;
}

/// The key prefix a search for `text` scans: "q" + the bucket bytes its level shares.
std::string q_search_prefix(std::string_view text) {
  std::string k = "q";
  put_be64(k, q_bucket_of(text));
  k.resize(1 + q_level_for(text.size()).bucket_bytes);
  return k;
}

/// The one layout of a q key: q<bucket:8><lead_id>\0<token hash:8>.
std::string q_key(uint64_t bucket, std::string_view lead_id, uint64_t token_hash) {
  std::string k;
  k.reserve(1 + 8 + lead_id.size() + 1 + 8);
  k.push_back('q');
  put_be64(k, bucket);
  k.append(lead_id);
  k.push_back('\0');
  put_be64(k, token_hash);
  return k;
}

/// The q key of one token of a lead.
std::string q_key_of(std::string_view token, std::string_view lead_id) {
  return q_key(q_bucket_of(token), lead_id, fnv1a(token, 0));
}

/// The key of a lead's filter attributes, for searches: a<lead_id>.
std::string attrs_key(std::string_view lead_id) {
  std::string k = "a";
  k.append(lead_id);
  return k;
}

using entry = std::pair<std::string, std::string>;
using entries = std::vector<entry>;

/// Appends the sort, filter and attrs keys of a queued lead (the part of
/// index_entries that depends on its attributes), sorted by key:
///   a<id> < iF*\0… < iS*\0… < iSl<level>\0… < iSt<team>\0… < iSu\0… < iT*\0…
/// ('a' < 'i'; 'F' < 'S' < 'T'; '*' < 'l' < 't' < 'u'), so no sort is needed.
void append_attr_entries(const index_attrs& a, std::string_view lead_id, entries& out) {
  const std::string value = encode_attrs(a);
  out.emplace_back(attrs_key(lead_id), value);
  auto sort_key = [&](char dim, std::string_view scope, int64_t v) {
    std::string k;
    k.reserve(3 + scope.size() + 8 + lead_id.size());
    k.push_back('i');
    k.push_back(dim);
    k.append(scope);
    k.push_back('\0');
    append_ordered(k, v);
    k.append(lead_id);
    out.emplace_back(std::move(k), value);
  };
  // The default sort (score) is the one SDR and LDR teams page through with a
  // team or level filter, so only it has per-team and per-level scopes; the
  // other sorts walk every queued lead and filter (a page's scan is bounded).
  const char level_scope[2] = {'l', a.level};
  std::string team_scope = "t" + a.team;
  sort_key(dim_followers, "*", a.followers);
  sort_key(dim_score, "*", a.score10);
  sort_key(dim_score, std::string_view(level_scope, 2), a.score10);
  sort_key(dim_score, team_scope, a.score10);
  if (claimable(a)) sort_key(dim_score, std::string_view(&claimable_scope, 1), a.score10);
  sort_key(dim_signup, "*", a.signed_up_at);
}

/// Appends the q keys of `tokens` (values: the token), sorted by key: the
/// key q_key_of() gives each token, in the order (and with the first-wins
/// deduplication) a std::map would give them.
void append_q_entries(const std::vector<std::string>& tokens, std::string_view lead_id, entries& out) {
  // Every q key of one lead is q<bucket:8><lead_id>\0<token hash:8>: the same
  // lead id at the same offset, so key order is the order of (bucket, token
  // hash) as integers (big-endian bytes). Sorting those pairs first builds
  // each key string once, in its final place.
  struct q_ref {
    uint64_t bucket, token_hash;
    uint32_t token;  // index into tokens
  };
  q_ref refs[16];
  std::vector<q_ref> more;  // only for a lead with more tokens than refs holds
  q_ref* begin = refs;
  if (tokens.size() > sizeof(refs) / sizeof(refs[0])) {
    more.resize(tokens.size());
    begin = more.data();
  }
  const size_t n = tokens.size();
  for (uint32_t t = 0; t < n; ++t) begin[t] = {q_bucket_of(tokens[t]), fnv1a(tokens[t], 0), t};
  // A stable insertion sort: a handful of entries, and equal keys (a hash
  // collision) must keep their insertion order for the first to win.
  auto less = [](const q_ref& x, const q_ref& y) {
    return x.bucket != y.bucket ? x.bucket < y.bucket : x.token_hash < y.token_hash;
  };
  for (size_t i = 1; i < n; ++i) {
    const q_ref x = begin[i];
    size_t j = i;
    for (; j > 0 && less(x, begin[j - 1]); --j) begin[j] = begin[j - 1];
    begin[j] = x;
  }
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && !less(begin[i - 1], begin[i])) continue;  // the same key again
    out.emplace_back(q_key(begin[i].bucket, lead_id, begin[i].token_hash), tokens[begin[i].token]);
  }
}

/// Every index key of a state, with its value, sorted by key; empty for leads
/// in no queue. The q keys' values are the token alone, so a change of score or
/// status (an enrichment) rewrites the lead's sort keys and attrs key, not its
/// q keys. Every key of the attrs part sorts before every q key ('a', 'i' < 'q').
entries index_entries(const lead_state& s, const lead_views_options& o) {
  entries out;
  auto a = attrs_of(s, o);
  if (!a) return out;
  auto tokens = view_keys::search_tokens(s);
  out.reserve(6 + tokens.size());
  append_attr_entries(*a, s.lead_id, out);
  append_q_entries(tokens, s.lead_id, out);
  return out;
}

/// Appends to `ops` what turns `old_keys` into `new_keys` (both sorted by
/// key, unique): a delete (nullptr) for each old key the new ones lack, a put
/// for each new key that is absent or has another value.
void diff_entries(const entries& old_keys, const entries& new_keys,
                  std::vector<std::pair<std::string, const std::string*>>& ops) {
  auto o = old_keys.begin(), n = new_keys.begin();
  while (o != old_keys.end() || n != new_keys.end()) {
    if (n == new_keys.end() || (o != old_keys.end() && o->first < n->first)) {
      ops.emplace_back(o->first, nullptr);
      ++o;
    } else if (o == old_keys.end() || n->first < o->first) {
      ops.emplace_back(n->first, &n->second);
      ++n;
    } else {
      if (o->second != n->second) ops.emplace_back(n->first, &n->second);
      ++o;
      ++n;
    }
  }
}

/// The first string greater than every string starting with `prefix`; empty if none.
std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

char dim_of(queue_sort s) {
  switch (s) {
    case queue_sort::score_desc:
    case queue_sort::score_asc: return dim_score;
    case queue_sort::signed_up_desc:
    case queue_sort::signed_up_asc: return dim_signup;
    case queue_sort::followers_desc: return dim_followers;
  }
  return dim_score;
}

bool descending(queue_sort s) {
  return s == queue_sort::score_desc || s == queue_sort::signed_up_desc || s == queue_sort::followers_desc;
}

bool matches(const queue_query& q, const index_attrs& a) {
  // Disqualified leads are listed only when asked for by status.
  if (!q.status && a.status == lead_status::disqualified) return false;
  if (q.owner && a.owner != *q.owner) return false;
  if (q.stages.empty() ? (a.stage == work_stage::meeting_booked || a.stage == work_stage::closed)
                       : std::find(q.stages.begin(), q.stages.end(), a.stage) == q.stages.end())
    return false;
  if (q.team && a.team != *q.team) return false;
  if (!q.levels.empty() && std::find(q.levels.begin(), q.levels.end(), a.level) == q.levels.end()) return false;
  if (q.status && a.status != *q.status) return false;
  if (q.creator_tier && a.tier != *q.creator_tier) return false;
  if (q.country && a.country != upper_ascii(*q.country)) return false;
  if (q.min_followers && a.followers < *q.min_followers) return false;
  if (q.max_followers && a.followers > *q.max_followers) return false;
  if (q.signed_up_after && a.signed_up_at < *q.signed_up_after) return false;
  if (q.signed_up_before && a.signed_up_at >= *q.signed_up_before) return false;
  return true;
}

/// One bounded scan of one index scope, in either direction.
struct scope_scan {
  std::string prefix, lower, upper;
  rocksdb::Slice lower_s, upper_s;
  std::unique_ptr<rocksdb::Iterator> it;

  std::string_view suffix() const {
    auto k = it->key();
    return std::string_view(k.data() + prefix.size(), k.size() - prefix.size());
  }
};

/// A view row as a Get or MultiGet answered it: nullopt when there is none.
result<std::optional<lead_state>> decode_row(const rocksdb::Status& s, std::string_view bytes) {
  if (s.IsNotFound()) return std::optional<lead_state>{};
  if (!s.ok()) return storage_error(s, "read view");
  auto st = decode_snapshot(bytes);
  if (!st) return error{errc::corrupt_data, "corrupt view row: " + st.err().message};
  return std::optional<lead_state>{std::move(*st)};
}

result<std::optional<lead_state>> read_row(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* views,
                                           const rocksdb::ReadOptions& ro, const std::string& lead_id) {
  std::string bytes;
  auto s = db->Get(ro, views, view_keys::row_key(lead_id), &bytes);
  return decode_row(s, bytes);
}

/// One scope's iterator, bounded by lo/hi (value:8 bounds, hi exclusive) and
/// positioned at its first entry after `after` (or at it, `inclusive`) in the
/// walk's direction.
result<std::unique_ptr<scope_scan>> open_scope(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index,
                                               const rocksdb::ReadOptions& ro, std::string prefix,
                                               const std::optional<std::string>& lo,
                                               const std::optional<std::string>& hi,
                                               const std::optional<std::string>& after, bool inclusive, bool desc) {
  auto sc = std::make_unique<scope_scan>();
  sc->prefix = std::move(prefix);
  sc->lower = sc->prefix + (lo ? *lo : std::string());
  sc->upper = hi ? sc->prefix + *hi : prefix_successor(sc->prefix);
  sc->lower_s = rocksdb::Slice(sc->lower);
  sc->upper_s = rocksdb::Slice(sc->upper);
  rocksdb::ReadOptions sro = ro;
  sro.iterate_lower_bound = &sc->lower_s;
  sro.iterate_upper_bound = &sc->upper_s;
  sc->it.reset(db->NewIterator(sro, index));
  auto& it = *sc->it;
  if (!desc) {
    std::string target = after ? std::max(sc->prefix + *after, sc->lower) : sc->lower;
    it.Seek(target);
    if (after && !inclusive && it.Valid() && it.key().ToStringView() == sc->prefix + *after) it.Next();
  } else {
    std::string target = after ? std::min(sc->prefix + *after, sc->upper) : sc->upper;
    it.SeekForPrev(target);
    while (it.Valid() && (it.key().ToStringView() >= std::string_view(sc->upper) ||
                          (after && !inclusive && it.key().ToStringView() == sc->prefix + *after)))
      it.Prev();
  }
  if (!it.status().ok()) return storage_error(it.status(), "queue index seek");
  return sc;
}

/// What one walk of the queue index found: the ids of up to `limit` matching
/// leads in sort order, the sort key (value:8 + lead id) of the last entry
/// examined, and whether entries are left after it.
struct index_walk {
  std::vector<std::string> ids;
  std::string first_suffix;  // of the first entry examined (a live one: iterators skip tombstones)
  std::string last_suffix;
  bool more = false;
  size_t examined = 0;
};

/// The index scopes a walk of dimension `dim` merges for q's filters.
std::vector<std::string> scopes_of(const queue_query& q, char dim, bool claimable_only) {
  std::vector<std::string> scopes;
  if (claimable_only) {
    scopes.push_back(std::string(1, claimable_scope));  // only the score sort has it
  } else if (dim != dim_score) {
    scopes.push_back("*");  // only the score index has team and level scopes
  } else if (!q.levels.empty()) {
    for (char l : q.levels) {
      std::string s = std::string("l") + l;
      if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.push_back(std::move(s));
    }
  } else if (q.team) {
    scopes.push_back("t" + *q.team);
  } else {
    scopes.push_back("*");
  }
  return scopes;
}

/// Walks the index scope(s) of q's sort in order, strictly after `after` (or
/// from it, `inclusive`), under `ro` (a walk's snapshot, or none), examining
/// at most `cap` entries.
/// `claimable_only` walks the scope of unassigned, claimable leads instead of
/// the sort's own (score sort only).
result<index_walk> walk_index(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index, const rocksdb::ReadOptions& ro,
                              const queue_query& q, const std::optional<std::string>& after, size_t limit,
                              size_t cap, bool claimable_only, bool inclusive = false) {
  const bool desc = descending(q.sort);
  const char dim = claimable_only ? dim_score : dim_of(q.sort);
  index_walk w;
  const std::vector<std::string> scopes = scopes_of(q, dim, claimable_only);
  // Range filters on the sorted value become seek bounds.
  std::optional<std::string> lo, hi;  // value:8 bounds, hi exclusive
  if (dim == dim_signup) {
    if (q.signed_up_after) lo = ordered(*q.signed_up_after);
    if (q.signed_up_before) hi = ordered(*q.signed_up_before);
  } else if (dim == dim_followers) {
    if (q.min_followers) lo = ordered(*q.min_followers);
    if (q.max_followers && *q.max_followers < INT64_MAX) hi = ordered(*q.max_followers + 1);
  }
  std::vector<std::unique_ptr<scope_scan>> scans;
  for (const auto& scope : scopes) {
    auto sc = open_scope(db, index, ro, index_prefix(dim, scope), lo, hi, after, inclusive, desc);
    if (!sc) return sc.err();
    scans.push_back(std::move(*sc));
  }
  bool capped = false;
  for (;;) {
    scope_scan* best = nullptr;
    for (auto& sc : scans) {
      if (!sc->it->Valid()) continue;
      if (!best || (desc ? sc->suffix() > best->suffix() : sc->suffix() < best->suffix())) best = sc.get();
    }
    if (!best || w.ids.size() >= limit) break;
    if (w.examined >= cap) {
      capped = true;
      break;
    }
    if (w.examined++ == 0) w.first_suffix.assign(best->suffix());
    w.last_suffix.assign(best->suffix());
    index_attrs a;
    if (!decode_attrs(best->it->value().ToStringView(), a)) return error{errc::corrupt_data, "corrupt index value"};
    if (matches(q, a)) w.ids.push_back(w.last_suffix.substr(8));
    if (desc)
      best->it->Prev();
    else
      best->it->Next();
  }
  w.more = capped;
  for (auto& sc : scans) {
    if (!sc->it->status().ok()) return storage_error(sc->it->status(), "queue index scan");
    w.more |= sc->it->Valid();
  }
  return w;
}

} // namespace

// -- names ------------------------------------------------------------------------------

const char* to_string(queue_sort s) noexcept {
  switch (s) {
    case queue_sort::score_desc: return "-score";
    case queue_sort::score_asc: return "score";
    case queue_sort::signed_up_desc: return "-signed_up_at";
    case queue_sort::signed_up_asc: return "signed_up_at";
    case queue_sort::followers_desc: return "-followers";
  }
  return "-score";
}

std::optional<queue_sort> queue_sort_from_string(std::string_view s) noexcept {
  for (auto v : {queue_sort::score_desc, queue_sort::score_asc, queue_sort::signed_up_desc,
                 queue_sort::signed_up_asc, queue_sort::followers_desc})
    if (s == to_string(v)) return v;
  return std::nullopt;
}

// -- keys -------------------------------------------------------------------------------

namespace view_keys {

std::string row_key(std::string_view lead_id) {
  std::string k = "v/";
  k.append(lead_id);
  return k;
}

std::string normalise_search(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  if (!text.empty() && text[0] == '@') i = 1;
  for (; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c == 0) continue;
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c == 0xC3 && i + 1 < text.size()) {
      // UTF-8 U+00C0..U+00DE (À..Þ, not ×) → U+00E0..U+00FE
      auto c2 = static_cast<uint8_t>(text[i + 1]);
      if (c2 >= 0x80 && c2 <= 0x9E && c2 != 0x97) c2 = static_cast<uint8_t>(c2 + 0x20);
      out.push_back(static_cast<char>(c));
      out.push_back(static_cast<char>(c2));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::vector<std::string> search_tokens(const lead_state& s) {
  // A sorted, deduplicated vector (what a std::set would give, without a
  // node per token): a lead has a handful of tokens.
  std::vector<std::string> tokens;
  tokens.reserve(8);
  auto add = [&](std::string_view text) {
    std::string t = normalise_search(text);
    if (!t.empty()) tokens.push_back(std::move(t));
  };
  const std::string& name = s.contact.name;
  add(name);
  // Each further word of the name, so "souza" finds "Ana Souza".
  size_t at = 0;
  while (at < name.size()) {
    size_t start = name.find_first_not_of(" \t", at);
    if (start == std::string::npos) break;
    size_t end = name.find_first_of(" \t", start);
    if (end == std::string::npos) end = name.size();
    if (start > 0) add(std::string_view(name).substr(start, end - start));
    at = end;
  }
  add(s.contact.email);
  add(s.contact.social.instagram);
  add(s.contact.social.youtube);
  add(s.contact.social.tiktok);
  for (const auto& [network, prof] : s.social) add(prof.handle);
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

} // namespace view_keys

// -- lead_views --------------------------------------------------------------------------

lead_views::lead_views(storage::event_log& log, lead_views_options opts)
    : log_(log), opts_(std::move(opts)), walks_(views_raw_access::db(log), walk_limits{opts_.max_walks, opts_.walk_idle}) {}

std::string lead_views::fingerprint() const {
  const auto& p = opts_.priority;
  return "lead_views/6 weights " + std::to_string(p.weight_reach) + "," + std::to_string(p.weight_engagement) +
         "," + std::to_string(p.weight_activity) + "," + std::to_string(p.weight_completeness) + " thresholds " +
         std::to_string(p.threshold_a) + "," + std::to_string(p.threshold_b) + " rules " + opts_.rules_version;
}

status lead_views::apply(const std::vector<storage::stored_event>& events, rocksdb::WriteBatch& batch) {
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  // What a lead's committed row put in the index, taken before the page's
  // events are folded into it, so the row itself can be folded in place (no
  // copy of the state).
  struct row {
    bool existed = false;             // had a committed row
    bool was_erased = false;          // ... whose personal data was erased
    std::optional<index_attrs> old_attrs;  // nullopt: the row was in no queue
    std::vector<std::string> old_tokens;   // its q tokens (only when queued or for compact_lead)
    lead_state now;
  };
  std::unordered_map<std::string, row> rows;
  std::vector<const std::string*> order;  // first-touch order, for a deterministic batch
  rocksdb::ReadOptions ro;
  for (const auto& se : events) {
    const std::string& lead_id = se.ev.meta.lead_id;
    auto it = rows.find(lead_id);
    if (it == rows.end()) {
      auto before = read_row(views_raw_access::db(log_), views, ro, lead_id);
      if (!before) return before.err();
      row r;
      if (*before) {
        r.existed = true;
        r.was_erased = (*before)->personal_erased;
        r.old_attrs = attrs_of(**before, opts_);
        // The old q keys are needed to delete them (queued) or to compact them
        // after an erasure; an erased row has no tokens anyway.
        if (r.old_attrs || !r.was_erased) r.old_tokens = view_keys::search_tokens(**before);
        r.now = std::move(**before);
      } else {
        r.now = initial(lead_id);
      }
      it = rows.emplace(lead_id, std::move(r)).first;
      order.push_back(&it->first);
    }
    evolve(it->second.now, se.ev);
  }
  // The page's writes go into the batch in key order, family by family:
  // RocksDB inserts a batch into the memtable skiplist in batch order, reusing
  // the search path of the previous insert, so sorted keys cost fewer
  // comparisons (and cache misses) than keys in lead order.
  std::vector<std::pair<std::string, const std::string*>> row_puts;      // key -> value
  std::vector<std::pair<std::string, const std::string*>> index_ops;     // key -> value, nullptr = delete
  std::vector<std::string> row_values;
  std::vector<entries> keep;  // owns the index values
  row_values.reserve(order.size());
  keep.reserve(2 * order.size());
  entries old_keys;
  for (const std::string* lead_id : order) {
    row& r = rows.at(*lead_id);
    row_values.push_back(encode_snapshot(r.now));
    row_puts.emplace_back(view_keys::row_key(*lead_id), &row_values.back());
    // The same keys and values as diffing index_entries(before) with
    // index_entries(now), in two independent parts (attrs keys and q keys
    // never share a key); the q part is skipped when the tokens are the same
    // on both sides, as for an enrichment or a qualification change.
    const auto new_attrs = attrs_of(r.now, opts_);
    std::vector<std::string> new_tokens;
    if (new_attrs) new_tokens = view_keys::search_tokens(r.now);
    old_keys.clear();
    if (r.old_attrs) append_attr_entries(*r.old_attrs, *lead_id, old_keys);
    keep.emplace_back();
    if (new_attrs) append_attr_entries(*new_attrs, *lead_id, keep.back());
    diff_entries(old_keys, keep.back(), index_ops);
    if (!(r.old_attrs && new_attrs && r.old_tokens == new_tokens)) {
      old_keys.clear();
      if (r.old_attrs) append_q_entries(r.old_tokens, *lead_id, old_keys);
      keep.emplace_back();
      if (new_attrs) append_q_entries(new_tokens, *lead_id, keep.back());
      diff_entries(old_keys, keep.back(), index_ops);
    }
    if (r.now.personal_erased && r.existed && !r.was_erased) {
      // Remember every q key the lead may have held, for compact_lead().
      std::vector<std::string> keys;
      keys.reserve(r.old_tokens.size());
      for (const auto& t : r.old_tokens) keys.push_back(q_key_of(t, *lead_id));
      std::lock_guard<std::mutex> lock(erased_mutex_);
      erased_keys_[*lead_id] = std::move(keys);
    }
  }
  auto by_key = [](const auto& x, const auto& y) { return x.first < y.first; };
  std::sort(row_puts.begin(), row_puts.end(), by_key);
  std::sort(index_ops.begin(), index_ops.end(), by_key);
  for (const auto& [k, v] : row_puts) {
    auto s = batch.Put(views, k, *v);
    if (!s.ok()) return storage_error(s, "batch view");
  }
  static const std::string claimable_prefix = index_prefix(dim_score, std::string_view(&claimable_scope, 1));
  for (const auto& [k, v] : index_ops) {
    if (v && k.compare(0, claimable_prefix.size(), claimable_prefix) == 0) {
      std::string_view suffix = std::string_view(k).substr(claimable_prefix.size());
      if (!pending_raise_ || std::string_view(*pending_raise_) < suffix) pending_raise_ = std::string(suffix);
    }
    auto s = v ? batch.Put(index, k, *v) : batch.Delete(index, k);
    if (!s.ok()) return storage_error(s, "batch index");
  }
  return ok();
}

void lead_views::committed() {
  if (pending_raise_) hint_.raise(*pending_raise_);
  pending_raise_.reset();
}

void lead_views::replaced() {
  pending_raise_.reset();
  hint_.reset();
}

lead_views::lead_rows lead_views::rows_of(const lead_state& s) const {
  lead_rows out;
  out.row_key = view_keys::row_key(s.lead_id);
  out.row_value = encode_snapshot(s);
  out.index = index_entries(s, opts_);
  return out;
}

status lead_views::clear(rocksdb::WriteBatch& batch) {
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  auto s = batch.DeleteRange(views, "v/", "v0");
  if (s.ok()) s = batch.DeleteRange(index, "i", "j");
  if (s.ok()) s = batch.DeleteRange(index, "a", "b");
  if (s.ok()) s = batch.DeleteRange(index, "q", "r");
  if (!s.ok()) return storage_error(s, "batch clear");
  return ok();
}

result<std::optional<lead_state>> lead_views::get(const std::string& lead_id) const {
  auto* views = log_.cf(storage::key_space::views);
  if (!views) return error{errc::internal, "the log has no views family"};
  return read_row(views_raw_access::db(log_), views, rocksdb::ReadOptions(), lead_id);
}

result<queue_page> lead_views::query(const queue_query& q) const {
  rocksdb::DB* db = views_raw_access::db(log_);
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  const size_t limit = std::max<size_t>(q.limit, 1);
  const bool desc = descending(q.sort);
  const char dim = dim_of(q.sort);

  // The index is read under the walk's snapshot (queue_walks.hpp): a first
  // page takes one, kept for the walk if the page has a next_cursor.
  std::optional<std::string> after;  // the cursor's suffix
  uint64_t walk = 0;
  queue_walks::pinned snap;
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor, static_cast<int>(q.sort));
    if (!c) return c.err();
    snap = walks_.find(c->walk);
    if (!snap)
      return error{errc::validation, "this walk has ended (idle for " +
                                         std::to_string(opts_.walk_idle.count() / 1000) +
                                         " s, too many walks open, an erasure, or a restart): start again without "
                                         "a cursor"};
    walk = c->walk;
    after = std::move(c->after);
  } else {
    snap = walks_.snapshot();
  }
  auto next_cursor = [&](std::string_view suffix) {
    if (walk == 0) walk = walks_.keep(snap);
    return encode_cursor(static_cast<int>(q.sort), walk, suffix);
  };
  rocksdb::ReadOptions ro;
  ro.snapshot = snap->get();
  queue_page page;
  std::vector<std::string> ids;

  // True when `suffix` comes strictly after the cursor in the walk's direction.
  auto past_cursor = [&](std::string_view suffix) {
    if (!after) return true;
    return desc ? suffix < std::string_view(*after) : suffix > std::string_view(*after);
  };

  if (!q.q.empty()) {
    // -- search: candidates from the q index, then filter, sort, cut ---------------
    const std::string text = view_keys::normalise_search(q.q);
    const std::string prefix = q_search_prefix(text);
    std::string upper = prefix_successor(prefix);
    rocksdb::Slice lower_s(prefix), upper_s(upper);
    rocksdb::ReadOptions sro = ro;
    sro.iterate_lower_bound = &lower_s;
    sro.iterate_upper_bound = upper.empty() ? nullptr : &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(sro, index));
    std::set<std::string> found;  // lead ids whose token starts with the text
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (page.examined >= opts_.q_candidate_cap) {
        page.truncated = true;
        break;
      }
      ++page.examined;
      auto key = it->key().ToStringView();
      if (key.substr(0, prefix.size()) != prefix) break;
      // The lead id follows the whole bucket (whose bytes may be 0x00).
      constexpr size_t id_at = 1 + 8;
      if (key.size() <= id_at) continue;
      auto sep = key.find('\0', id_at);
      if (sep == std::string_view::npos) continue;
      const std::string_view token = it->value().ToStringView();
      if (token.substr(0, text.size()) != text) continue;  // same bucket, other prefix
      found.emplace(key.substr(id_at, sep - id_at));
    }
    if (!it->status().ok()) return storage_error(it->status(), "search index");
    // The candidates' filter attributes, in one MultiGet (keys in order).
    std::vector<std::string> akeys;
    akeys.reserve(found.size());
    for (const auto& lead_id : found) akeys.push_back(attrs_key(lead_id));
    std::vector<rocksdb::Slice> aslices(akeys.begin(), akeys.end());
    std::vector<rocksdb::PinnableSlice> avalues(akeys.size());
    std::vector<rocksdb::Status> astatus(akeys.size());
    if (!akeys.empty())
      db->MultiGet(ro, index, akeys.size(), aslices.data(), avalues.data(), astatus.data(), /*sorted_input=*/true);
    std::vector<std::string> hits;  // suffixes: value:8 lead_id
    size_t i = 0;
    for (const auto& lead_id : found) {
      const auto& st = astatus[i];
      const auto& value = avalues[i++];
      if (st.IsNotFound()) continue;  // left the queue after its q key was read: cannot happen under one snapshot
      if (!st.ok()) return storage_error(st, "search attributes");
      index_attrs a;
      if (!decode_attrs(value.ToStringView(), a)) return error{errc::corrupt_data, "corrupt index value"};
      if (!matches(q, a)) continue;
      std::string suffix = dim_value(dim, a) + lead_id;
      if (past_cursor(suffix)) hits.push_back(std::move(suffix));
    }
    if (desc)
      std::sort(hits.begin(), hits.end(), std::greater<>());
    else
      std::sort(hits.begin(), hits.end());
    for (size_t h = 0; h < hits.size() && h < limit; ++h) ids.push_back(hits[h].substr(8));
    if (hits.size() > limit) page.next_cursor = next_cursor(hits[limit - 1]);
  } else {
    // Unassigned leads in the default stages, best first (what an SDR looks at
    // before claiming): the claimable scope holds exactly those, without the
    // leads already taken, and a first page starts at the claim hint (below
    // the tombstones of the leads claimed before; claim_hint.hpp). A lead
    // claimed after the walk's snapshot was taken may be left out: it is no
    // longer unassigned.
    const bool claimable_view = dim == dim_score && q.owner && q.owner->empty() && q.stages.empty() &&
                                (!q.status || *q.status != lead_status::disqualified);
    const bool from_hint = claimable_view && desc && !after;
    if (from_hint) after = hint_.read().from;
    auto w = walk_index(db, index, ro, q, after, limit, std::max(limit * opts_.scan_cap_factor, opts_.min_scan_cap),
                        claimable_view, /*inclusive=*/from_hint);
    if (!w) return w.err();
    page.examined = w->examined;
    ids = std::move(w->ids);
    if (w->more && !w->last_suffix.empty()) page.next_cursor = next_cursor(w->last_suffix);
  }

  // The page's rows in one MultiGet: it batches the block lookups of keys
  // that share table files and pins values instead of copying them.
  std::vector<std::string> row_keys;
  row_keys.reserve(ids.size());
  for (const auto& id : ids) row_keys.push_back(view_keys::row_key(id));
  std::vector<rocksdb::Slice> row_slices(row_keys.begin(), row_keys.end());
  std::vector<rocksdb::PinnableSlice> rows(row_keys.size());
  std::vector<rocksdb::Status> row_status(row_keys.size());
  // The rows as they are now, not under the walk's snapshot: a walk lists the
  // leads queued when it began, each showing its current state.
  if (!row_keys.empty())
    db->MultiGet(rocksdb::ReadOptions(), views, row_keys.size(), row_slices.data(), rows.data(), row_status.data());
  page.items.reserve(ids.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto row = decode_row(row_status[i], rows[i].ToStringView());
    if (!row) return row.err();
    // Gone (a rebuild without the lead) or erased since the walk began: in no queue now.
    if (*row && !(*row)->personal_erased) page.items.push_back(std::move(**row));
  }
  return page;
}

result<lead_views::candidate_page> lead_views::claim_candidates(const queue_query& q, const std::string& after,
                                                               size_t limit) const {
  auto* index = log_.cf(storage::key_space::index);
  if (!index) return error{errc::internal, "the log has no index family"};
  queue_query cq = q;
  cq.sort = queue_sort::score_desc;
  cq.owner = std::string();  // the scope holds unassigned leads only; the filters say so again
  cq.stages.clear();
  cq.status.reset();
  // A first page starts at the hint (claim_hint.hpp: above it are only the
  // tombstones of leads claimed before), the next ones after the last entry.
  const bool first_page = after.empty();
  const claim_hint::seen hint = first_page ? hint_.read() : claim_hint::seen{};
  const std::optional<std::string> from = first_page ? hint.from : std::optional<std::string>(after);
  limit = std::max<size_t>(limit, 1);
  auto w = walk_index(views_raw_access::db(log_), index, rocksdb::ReadOptions(), cq, from, limit,
                      std::max(limit * opts_.scan_cap_factor, opts_.min_scan_cap), /*claimable_only=*/true,
                      /*inclusive=*/first_page);
  if (!w) return w.err();
  if (first_page && !w->first_suffix.empty()) hint_.found(hint, w->first_suffix);
  candidate_page page;
  page.ids = std::move(w->ids);
  if (w->more && !w->last_suffix.empty()) page.next_after = std::move(w->last_suffix);
  return page;
}

status lead_views::compact_lead(const std::string& lead_id) {
  rocksdb::DB* db = views_raw_access::db(log_);
  auto* views = log_.cf(storage::key_space::views);
  auto* index = log_.cf(storage::key_space::index);
  if (!views || !index) return error{errc::internal, "the log has no views/index families"};
  // A walk's snapshot would keep the lead's old rows and keys alive through
  // the compactions below.
  walks_.end_all();
  // Flush every family: a WAL file is dropped only once all of them are.
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (storage::key_space space : storage::all_key_spaces) families.push_back(log_.cf(space));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = db->Flush(fo, families);
  if (!s.ok()) return storage_error(s, "flush");

  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const std::string row = view_keys::row_key(lead_id);
  rocksdb::Slice rb(row);
  s = db->CompactRange(co, views, &rb, &rb);
  if (!s.ok()) return storage_error(s, "compact view row");

  std::optional<std::vector<std::string>> keys;
  {
    std::lock_guard<std::mutex> lock(erased_mutex_);
    auto it = erased_keys_.find(lead_id);
    if (it != erased_keys_.end()) {
      keys = std::move(it->second);
      erased_keys_.erase(it);
    }
  }
  // The data key's range again: event_log::destroy_key compacted it, but a
  // snapshot open then (a rebuild's, a queue walk's) kept the key alive in a
  // table file; compacting now, after the views applied the erasure, drops it.
  {
    const std::string kb = lead_id, ke = storage::keys::lead_upper_bound(lead_id);
    rocksdb::Slice kbs(kb), kes(ke);
    if (auto* data_keys = log_.cf(storage::key_space::keys)) {
      s = db->CompactRange(co, data_keys, &kbs, &kes);
      if (!s.ok()) return storage_error(s, "compact the data key");
    }
  }
  if (keys) {
    for (const auto& k : *keys) {
      rocksdb::Slice kb(k);
      s = db->CompactRange(co, index, &kb, &kb);
      if (!s.ok()) return storage_error(s, "compact search keys");
    }
  } else {
    // Not known (e.g. erased before a restart): the whole search index.
    const std::string b = "q", e = "r";
    rocksdb::Slice bs(b), es(e);
    s = db->CompactRange(co, index, &bs, &es);
    if (!s.ok()) return storage_error(s, "compact search index");
  }
  log()->debug("compacted the views of erased lead {}", lead_id);
  return ok();
}

} // namespace leadbase::projections
