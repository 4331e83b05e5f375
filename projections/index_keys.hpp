#pragma once
// What the index family holds for one lead (projections/lead_views.hpp, "keys"):
// the attributes every index key carries as its value, the sort, filter and
// attrs keys built from them, the hashed search keys of its tokens, and the
// diff that turns one lead's old keys into its new ones. Internal to the
// current-view projection (lead_views, its queries and its bulk rebuild).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/lead_state.hpp"
#include "projections/lead_views.hpp"
#include "projections/view_store.hpp"

namespace leadbase::projections::view_index {

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

std::string encode_attrs(const index_attrs& a);
bool decode_attrs(std::string_view in, index_attrs& a);

std::string upper_ascii(std::string s);
/// Queued leads, and disqualified ones (listed with status=disqualified, never
/// claimable: score 0, level '-', no team).
std::optional<index_attrs> attrs_of(const lead_state& s, const lead_views_options& o);
/// Unassigned, not disqualified, work not over: what "claim next" hands out.
bool claimable(const index_attrs& a);
/// The sort value (value:8) of `dim` for a lead's attributes.
std::string dim_value(char dim, const index_attrs& a);

using entry = std::pair<std::string, std::string>;
using entries = std::vector<entry>;

/// Appends the sort, filter and attrs keys of a queued lead, sorted by key.
void append_attr_entries(const index_attrs& a, std::string_view lead_id, entries& out);
/// Appends the q keys of `tokens` (values: the token), sorted by key.
void append_q_entries(const std::vector<std::string>& tokens, std::string_view lead_id, entries& out);
/// Every index key of a state, with its value, sorted by key; empty for leads in no queue.
entries index_entries(const lead_state& s, const lead_views_options& o);
/// Appends to `ops` what turns `old_keys` into `new_keys` (both sorted by key,
/// unique): a delete (nullptr) for each old key the new ones lack, a put for
/// each new key that is absent or has another value.
void diff_entries(const entries& old_keys, const entries& new_keys,
                  std::vector<std::pair<std::string, const std::string*>>& ops);

} // namespace leadbase::projections::view_index
