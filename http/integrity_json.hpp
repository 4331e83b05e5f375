#pragma once
// The JSON of damaged records and integrity verdicts, shared by the audit
// reads (history, replay, state as of), the feed and its stream:
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

#include "events/json.hpp"
#include "storage/chain_check.hpp"
#include "storage/event_log.hpp"

namespace leadbase::http {

void render_damaged_event(json_writer& w, const storage::stored_event& se, bool with_lead_id);
/// Writes the verdict's members into the object being written.
void write_integrity(json_writer& w, const storage::chain_verdict& v);

/// GET /v1/leads/{id}/history: {"lead_id","events":[…],"integrity",…}. A
/// damaged event is a damaged entry in its place; when the head names a
/// version past the last stored event (the newest was removed), an entry for
/// it, with the head's position, ends the list.
std::string history_document(std::string_view lead_id, const storage::chain_read& chain,
                             const storage::chain_verdict& verdict);

/// GET /v1/feed: {"events":[feed events or damaged entries…],"next_after":N}.
std::string feed_document(const std::vector<storage::stored_event>& events, global_position next_after);

/// A feed event or a damaged entry (with its lead id), as GET /v1/feed lists it.
void render_feed_entry(json_writer& w, const storage::stored_event& se);

/// `object` (a JSON object) with the verdict's members added at its end (the
/// state as of a time, when the chain is broken).
std::string with_integrity(std::string object, const storage::chain_verdict& v);

} // namespace leadbase::http
