#pragma once
// The audit documents (docs/http-api.md, "Audit"): history, replay and the state as of
// a time of one lead (audit/lead_audit.hpp computes them), and the JSON of
// damaged records and integrity verdicts they share with the feed and its
// stream:
//   a damaged event (one the log cannot read, stored_event::damage):
//     {"position": P|null, "lead_id"?: "...", "version": V|null, "damaged": true, "error": "..."}
//     (lead_id only in the feed; null where the keys do not tell)
//   a verdict (storage/chain_check.hpp), as members of the enclosing object:
//     "integrity": "verified"|"broken", and when broken
//     "first_bad_version": N, "integrity_problem": "..."
// No personal data: ids, numbers and decoder messages only.
#include <string>
#include <string_view>
#include <vector>

#include "audit/lead_audit.hpp"
#include "events/json.hpp"
#include "projections/view_json.hpp"
#include "storage/chain_check.hpp"
#include "storage/event_log.hpp"

namespace leadbase::audit {

void render_damaged_event(json_writer& w, const storage::stored_event& se, bool with_lead_id);
/// Writes the verdict's members into the object being written.
void write_integrity(json_writer& w, const storage::chain_verdict& v);

/// GET /v1/leads/{id}/history: {"lead_id","events":[…],"integrity",…}. A
/// damaged event is a damaged entry in its place; when the head names a
/// version past the last stored event (the newest was removed), an entry for
/// it, with the head's position, ends the list.
///
/// With `include_stored` (history?include=stored; `lead` read with
/// read_lead(…, true)) the document can be checked with SHA-256 alone
/// (tools/verify-history.py): each sound event gains "stored", the base64 of
/// exactly the bytes its hash covers (the log's record: personal fields
/// sealed with the lead's key, so after an erasure they stay unreadable), and
/// the document gains "head": {"version","position","hash"} (null when the
/// lead has none), the lead's head as the log keeps it, without which the
/// removal of the newest events could not be seen.
std::string history_document(const lead_record& lead, bool include_stored = false);

/// Standard base64 (RFC 4648 §4, padded) of `bytes`.
std::string base64(std::string_view bytes);

/// GET /v1/leads/{id}/replay: {"lead_id","steps":[{"event","state"}…],"integrity",…};
/// a damaged event is a damaged entry and leaves the state as it was.
std::string replay_document(const lead_record& lead, const projections::view_settings& view);

/// GET /v1/leads/{id}/state?as_of=: exactly the view document of `state` for
/// a sound chain; a broken one adds the verdict's members, so no auditor takes
/// a quarantined state for a sound one.
std::string state_document(const lead_record& lead, const lead_state& state, const projections::view_settings& view);

/// GET /v1/feed: {"events":[feed events or damaged entries…],"next_after":N}.
std::string feed_document(const std::vector<storage::stored_event>& events, global_position next_after);

/// A feed event or a damaged entry (with its lead id), as GET /v1/feed lists it.
void render_feed_entry(json_writer& w, const storage::stored_event& se);

/// `object` (a JSON object) with the verdict's members added at its end (the
/// state as of a time, when the chain is broken).
std::string with_integrity(std::string object, const storage::chain_verdict& v);

} // namespace leadbase::audit
