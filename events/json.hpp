#pragma once
// Events and views as JSON, and back: the one place the API's JSON shapes
// (docs/http-api.md) are read and written.
//
// Parsing (events/json_parse.cpp) validates everything a schema can say and
// reports every field error at once; it never stores anything. The HTTP layer
// maps a parse_failure to 400 (errc::bad_request: not JSON, or JSON of the
// wrong top-level kind) or 422 (errc::validation, with `errors`).
//
// Rendering (events/json_render.cpp) writes with a rapidjson Writer into a
// StringBuffer. Only <rapidjson/fwd.h> is included here, so translation units
// that just want strings (history_json, ...) stay light; a caller
// that composes larger documents includes <rapidjson/writer.h> itself and
// passes its `json_writer` to the render_* functions.
//
// Conventions of every document written here: times are format_time strings
// (RFC 3339, UTC, milliseconds), counts are integers, ratios are doubles, an
// absent optional value is null (never a missing key), and a non-finite double
// is written as null (rapidjson would otherwise write nothing at all). The
// shared writing steps are in events/json_write.hpp. A lead's view is the read
// side's document: projections/view_json.hpp.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <rapidjson/fwd.h>

#include "events/commands.hpp"
#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/lead_state.hpp"

namespace leadbase {

// -- limits -------------------------------------------------------------------

/// Field limits, in Unicode code points (the body is validated UTF-8). docs/http-api.md
/// fixes email, name, handles and ids; the others are ours:
/// phone 32 (E.164 is at most 16, room for formatting), country 8 (alpha-2,
/// room for a subdivision code), locale 35 (BCP 47's practical maximum),
/// document 32 (CPF/CNPJ with punctuation), UTM fields 200, reason codes 64,
/// decided_by 200, rules_version/provider/provider_code/network 64, erase
/// reason 500.
namespace json_limits {
inline constexpr size_t id = 64;
inline constexpr size_t email = 254;
inline constexpr size_t name = 200;
inline constexpr size_t phone = 32;
inline constexpr size_t country = 8;
inline constexpr size_t locale = 35;
inline constexpr size_t document = 32;
inline constexpr size_t handle = 64;
inline constexpr size_t utm = 200;
inline constexpr size_t reason_code = 64;
inline constexpr size_t reasons = 32;         // entries in qualified.reasons
inline constexpr size_t decided_by = 200;
inline constexpr size_t short_text = 64;      // rules_version, provider, provider_code
inline constexpr size_t missing_fields = 32;  // entries in enriched.missing_fields
inline constexpr size_t erase_reason = 500;
inline constexpr size_t batch_items = 1000;  // POST /v1/events
} // namespace json_limits

/// What an erased personal field is shown as, everywhere.
inline constexpr const char* erased_marker = "[erased]";

// -- parsing --------------------------------------------------------------------

/// One schema error: the field's dotted path ("email", "social.instagram",
/// "data.reasons[2]"; "" for the body itself) and what is wrong with it.
struct field_error {
  std::string field, message;
};

/// Why a body was refused: the error of every parser's result (events/errc.hpp).
struct parse_failure {
  errc code = errc::validation;  // bad_request (not JSON, wrong top-level kind) or validation
  std::string detail;            // one sentence for the problem document
  std::vector<field_error> errors;  // every field error found (validation only)
};

/// The POST /v1/signups body (docs/http-api.md "Ingest"). Required: event_id, lead_id (id
/// syntax), occurred_at (RFC 3339), email (string, 1-254; its syntax is a
/// qualification matter, not a schema one), name (1-200). Optional (absent,
/// null and "" all mean absent): phone, country, locale, document, `social`
/// {instagram, youtube, tiktok}, `source` {utm_source, utm_medium,
/// utm_campaign, utm_term, utm_content}. Unknown fields, at any level, are
/// ignored. Every body here must be exactly one JSON document: trailing
/// content (a NUL byte included) or a key repeated in one object, at any
/// level, is a bad_request.
///
/// Fills the command's event (a signed_up) and its envelope's event_id,
/// lead_id and occurred_at; the caller sets correlation_id and digest.
result<append_command, parse_failure> parse_signup(std::string_view body);

/// One POST /v1/events item, `{"event_id","lead_id","type","occurred_at",
/// "data":{…},"expected_version"?}`, type one of signed_up, enriched,
/// enrichment_failed, qualified (`erased` has its own endpoint). Field paths
/// of the payload start with "data.". Details of each `data` in json_parse.cpp.
result<append_command, parse_failure> parse_event_item(std::string_view item_json);
result<append_command, parse_failure> parse_event_item(const rapidjson::Value& item);

/// One item of a batch: its result, and its event_id as sent (when it was a
/// string at all) so the answer can name even a refused item.
struct batch_item {
  std::string event_id;
  result<append_command, parse_failure> command;
};

/// A POST /v1/events body: a JSON array (ndjson = false) or NDJSON (one
/// object a line, blank lines skipped, "\r\n" accepted). Each item succeeds or
/// fails on its own; in NDJSON a line that is not JSON (or repeats a key)
/// fails alone, with code bad_request. The whole body fails when it is not JSON or not an array
/// (bad_request) or holds more than json_limits::batch_items items (validation).
result<std::vector<batch_item>, parse_failure> parse_batch(std::string_view body, bool ndjson);

/// The POST /v1/leads/{id}/erase body `{"reason"}` (reason 1-500). The
/// caller sets requested_by (the token's name).
result<erased, parse_failure> parse_erase(std::string_view body);

// -- working the leads (docs/http-api.md "Working leads") ---------------------------

/// A contact note's limit, in characters (docs/http-api.md "Working leads").
namespace json_limits {
inline constexpr size_t note = 2000;
} // namespace json_limits

/// The POST /v1/leads/{id}/claim body `{"expected_version"?}`; an empty body is `{}`.
/// The caller sets who claims and the correlation id.
result<claim, parse_failure> parse_claim(std::string_view body);

/// The POST /v1/leads/{id}/release body: no fields, so empty or a JSON object
/// (anything else is refused, not ignored). The caller sets who releases.
result<release, parse_failure> parse_release(std::string_view body);

/// The POST /v1/leads/{id}/contacts body `{"channel","outcome","note"?,
/// "contacted_at"?,"expected_version"?}`: channel and outcome by their docs/domain.md
/// names, note at most 2000 characters (free text rules of events/text.hpp).
result<log_contact, parse_failure> parse_contact(std::string_view body);

/// The POST /v1/leads/{id}/assign body `{"owner"}`: a person's name, 1 to 200
/// characters (free text rules of events/text.hpp), not blank, and not `me` or
/// `none` (the queue's owner filter reads those as the caller and unassigned). The caller sets who assigns
/// and the correlation id.
result<assign, parse_failure> parse_assign(std::string_view body);

/// The POST /v1/queue/claim body `{"team"?,"level"?,"country"?,"creator_tier"?}`
/// (the queue's filters; level "A" or a comma list "A,B"); an empty body is `{}`.
struct queue_claim_filters {
  std::optional<std::string> team;  // "sdr" | "ldr"
  std::vector<char> levels;
  std::optional<std::string> country;
  std::optional<std::string> creator_tier;
};
result<queue_claim_filters, parse_failure> parse_queue_claim(std::string_view body);

// -- rendering ------------------------------------------------------------------

/// The Writer every render_* function writes to: rapidjson's default
/// Writer<StringBuffer>, spelled out because fwd.h has no default arguments
/// (json_render.cpp checks that the two are the same type).
using json_writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<char>, rapidjson::UTF8<char>,
                                      rapidjson::CrtAllocator, 0>;

/// Lower-case hex, 64 characters.
std::string to_hex(const hash256& h);
/// The inverse of to_hex (either case); nullopt unless exactly 64 hex digits.
std::optional<hash256> hash_from_hex(std::string_view hex);

/// The `data` object of an event as docs/http-api.md's history ("Audit") lists it, for
/// every type; an unknown (newer) type renders as {"type_tag": N}. With
/// `personal_erased`, personal fields render as "[erased]": email and name
/// always, phone/document/handles when known to have been present (see
/// json_render.cpp), null otherwise.
void render_event_data(json_writer& w, const event& ev);

/// `{"position","version","event_id","type","occurred_at","recorded_at",
/// "correlation_id","causation_id","data","prev_hash","hash"}`; empty
/// correlation/causation ids render as null.
void render_history_event(json_writer& w, const event& ev, const hash256& hash);

/// A history event with "lead_id" after "position": the element of
/// GET /v1/feed, whose events belong to many leads.
void render_feed_event(json_writer& w, const event& ev, const hash256& hash);

// -- string conveniences ---------------------------------------------------------

std::string event_data_json(const event& ev);

/// An event and its chain hash, by reference (storage::stored_event holds both).
struct hashed_event_ref {
  const event* ev = nullptr;
  const hash256* hash = nullptr;
};

/// GET /v1/leads/{id}/history: `{"lead_id","events":[…],"integrity":"verified"|"broken"}`.
std::string history_json(std::string_view lead_id, const std::vector<hashed_event_ref>& events, bool verified);

/// GET /v1/feed: `{"events":[feed events…],"next_after":N}`.
std::string feed_json(const std::vector<hashed_event_ref>& events, global_position next_after);

/// Adapters for any range of elements with `.ev` and `.hash` members
/// (storage::stored_event), so callers need not build the refs themselves.
template <class Range>
std::vector<hashed_event_ref> hashed_refs(const Range& stored) {
  std::vector<hashed_event_ref> refs;
  for (const auto& s : stored) refs.push_back({&s.ev, &s.hash});
  return refs;
}
template <class Range>
std::string history_json(std::string_view lead_id, const Range& stored, bool verified) {
  return history_json(lead_id, hashed_refs(stored), verified);
}
template <class Range>
std::string feed_json(const Range& stored, global_position next_after) {
  return feed_json(hashed_refs(stored), next_after);
}

} // namespace leadbase
