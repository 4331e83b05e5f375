#include "projections/index_keys.hpp"

#include <algorithm>
#include <cmath>

#include "projections/priority.hpp"
#include "projections/view_store.hpp"
#include "storage/keys.hpp"

namespace leadbase::projections {
namespace view_index {
using storage::keys::put_be64;
using storage::keys::read_be64;

namespace {

/// A string behind a big-endian length of `width` bytes (1 or 2), cut at the
/// longest length that fits: a team, tier or country behind one byte; an
/// owner's name (up to 200 characters, so up to 800 bytes) behind two.
void put_sized(std::string& out, const std::string& s, size_t width) {
  const size_t n = std::min<size_t>(s.size(), (size_t{1} << (8 * width)) - 1);
  for (size_t i = width; i-- > 0;) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(s, 0, n);
}

bool get_sized(std::string_view in, size_t& at, std::string& out, size_t width) {
  if (at + width > in.size()) return false;
  size_t n = 0;
  for (size_t i = 0; i < width; ++i) n = (n << 8) | static_cast<uint8_t>(in[at + i]);
  at += width;
  if (at + n > in.size()) return false;
  out.assign(in.substr(at, n));
  at += n;
  return true;
}

} // namespace

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
  put_sized(out, a.team, 1);
  put_sized(out, a.tier, 1);
  put_sized(out, a.country, 1);
  put_sized(out, a.owner, 2);
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
  if (!(get_sized(in, at, a.team, 1) && get_sized(in, at, a.tier, 1) && get_sized(in, at, a.country, 1) &&
        get_sized(in, at, a.owner, 2) && at < in.size()))
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

using entry = std::pair<std::string, std::string>;
using entries = std::vector<entry>;

/// Appends the sort, filter and attrs keys of a queued lead (the part of
/// index_entries that depends on its attributes), sorted by key:
///   a<id> < iF*\0… < iS*\0… < iSl<level>\0… < iSt<team>\0… < iSu\0… < iT*\0…
/// ('a' < 'i'; 'F' < 'S' < 'T'; '*' < 'l' < 't' < 'u'), so no sort is needed.
void append_attr_entries(const index_attrs& a, std::string_view lead_id, entries& out) {
  const std::string value = encode_attrs(a);
  out.emplace_back(attrs_key(lead_id), value);
  auto add = [&](char dim, std::string_view scope, int64_t v) {
    out.emplace_back(sort_key(dim, scope, v, lead_id), value);
  };
  // The default sort (score) is the one SDR and LDR teams page through with a
  // team or level filter, so only it has per-team and per-level scopes; the
  // other sorts walk every queued lead and filter (a page's scan is bounded).
  const std::string_view all(&scope_all, 1);
  add(dim_followers, all, a.followers);
  add(dim_score, all, a.score10);
  add(dim_score, level_scope(a.level), a.score10);
  add(dim_score, team_scope(a.team), a.score10);
  if (claimable(a)) add(dim_score, std::string_view(&claimable_scope, 1), a.score10);
  add(dim_signup, all, a.signed_up_at);
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
  for (uint32_t t = 0; t < n; ++t) begin[t] = {q_bucket_of(tokens[t]), q_token_hash(tokens[t]), t};
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

} // namespace view_index

// -- search tokens -----------------------------------------------------------------------

namespace view_keys {

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

} // namespace leadbase::projections
