#include "projections/verify.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <functional>
#include <memory>
#include <optional>

#include "events/snapshot.hpp"
#include "projections/runner.hpp"
#include "projections/view_store.hpp"
#include "storage/db_snapshot.hpp"
#include "storage/keys.hpp"
#include "storage/rocksdb_util.hpp"

namespace leadbase::projections {
namespace {

/// The state without its personal values, to compare a row with a fold when
/// the lead's data key is gone (an erasure beyond the checkpoint): only what
/// does not depend on the key is compared then.
lead_state without_personal(lead_state s) {
  drop_personal_values(s);
  return s;
}

using storage::storage_error;

template <class T>
std::string show(const T& v) {
  return std::to_string(v);
}
std::string show(const std::string& v) { return "\"" + v + "\""; }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(lead_status v) { return to_string(v); }
std::string show(enrichment_state v) { return to_string(v); }
std::string show(failure_class v) { return to_string(v); }
template <class T>
std::string show(const std::optional<T>& v) {
  return v ? show(*v) : std::string("none");
}

struct differ {
  std::string out;
  template <class T>
  void field(const char* name, const T& row, const T& fold) {
    if (!out.empty() || row == fold) return;
    out = std::string(name) + ": row " + show(row) + ", log " + show(fold);
  }
  void note(bool differs, const char* name) {
    if (out.empty() && differs) out = std::string(name) + " differ";
  }
};

} // namespace

const char* to_string(view_problem p) noexcept {
  switch (p) {
    case view_problem::missing_row: return "missing_row";
    case view_problem::extra_row: return "extra_row";
    case view_problem::differs: return "differs";
    case view_problem::corrupt_row: return "corrupt_row";
    case view_problem::unreadable_stream: return "unreadable_stream";
  }
  return "differs";
}

std::string describe_difference(const lead_state& row, const lead_state& fold) {
  differ d;
  d.field("lead_id", row.lead_id, fold.lead_id);
  d.field("version", row.version, fold.version);
  d.field("position", row.position, fold.position);
  d.field("status", row.status, fold.status);
  d.field("signed_up_at", row.signed_up_at, fold.signed_up_at);
  d.field("signup_recorded_at", row.signup_recorded_at, fold.signup_recorded_at);
  d.field("updated_at", row.updated_at, fold.updated_at);
  d.field("personal_erased", row.personal_erased, fold.personal_erased);
  // Personal values are not printed: the output may end up in a ticket.
  d.note(row.contact.email != fold.contact.email || row.contact.name != fold.contact.name ||
             row.contact.phone != fold.contact.phone || row.contact.document != fold.contact.document,
         "contact personal fields");
  d.field("contact.country", row.contact.country, fold.contact.country);
  d.field("contact.locale", row.contact.locale, fold.contact.locale);
  d.field("correlation_id", row.correlation_id, fold.correlation_id);
  d.field("qualification present", row.qualification.has_value(), fold.qualification.has_value());
  if (row.qualification && fold.qualification) {
    d.field("qualification.outcome", static_cast<int>(row.qualification->result),
            static_cast<int>(fold.qualification->result));
    d.field("qualification.rules_version", row.qualification->rules_version, fold.qualification->rules_version);
    d.field("qualification.decided_by", row.qualification->decided_by, fold.qualification->decided_by);
    d.field("qualification.at", row.qualification->at, fold.qualification->at);
    d.note(row.qualification->reasons != fold.qualification->reasons, "qualification.reasons");
  }
  d.field("social networks", row.social.size(), fold.social.size());
  for (const auto& [network, p] : row.social) {
    auto other = fold.social.find(network);
    if (other == fold.social.end()) {
      d.note(true, ("social." + std::string(to_string(network)) + " presence").c_str());
      continue;
    }
    const std::string prefix = "social." + std::string(to_string(network)) + ".";
    d.field((prefix + "followers").c_str(), p.followers, other->second.followers);
    d.field((prefix + "creator_tier").c_str(), p.creator_tier, other->second.creator_tier);
    d.field((prefix + "fetched_at").c_str(), p.fetched_at, other->second.fetched_at);
  }
  d.field("enrichment networks", row.enrichment.size(), fold.enrichment.size());
  for (const auto& [network, e] : row.enrichment) {
    auto other = fold.enrichment.find(network);
    if (other == fold.enrichment.end()) {
      d.note(true, ("enrichment." + std::string(to_string(network)) + " presence").c_str());
      continue;
    }
    const std::string prefix = "enrichment." + std::string(to_string(network)) + ".";
    d.field((prefix + "state").c_str(), e.state, other->second.state);
    d.field((prefix + "attempts").c_str(), e.attempts, other->second.attempts);
    d.field((prefix + "last_error").c_str(), e.last_error, other->second.last_error);
    d.field((prefix + "next_attempt_at").c_str(), e.next_attempt_at, other->second.next_attempt_at);
  }
  d.field("final_at", row.final_at, fold.final_at);
  d.field("events seen", row.seen.size(), fold.seen.size());
  d.field("instagram follower samples", row.instagram_followers.size(), fold.instagram_followers.size());
  return d.out;
}

namespace {

using add_fn = std::function<void(std::string lead, view_problem p, std::string detail)>;

/// The checkpoint and fingerprint, as of the snapshot; false when the
/// checkpoint is unreadable (a global problem, reported).
result<bool> read_bookkeeping(const view_store& store, const rocksdb::ReadOptions& ro, const lead_views& views,
                              view_verify_report& report) {
  std::string value;
  auto s = store.get(view_family::meta, ro, checkpoint_key(views.name()), &value);
  if (s.ok()) {
    if (value.size() != 8) {
      report.global_problems.push_back("the checkpoint of " + views.name() + " has the wrong size");
      return false;
    }
    report.checkpoint = storage::keys::read_be64(value);
  } else if (!s.IsNotFound()) {
    return storage_error(s, "read the projection checkpoint");
  }
  s = store.get(view_family::meta, ro, fingerprint_key(views.name()), &value);
  if (s.ok()) report.fingerprint_matches = value == views.fingerprint();
  else if (s.IsNotFound()) report.fingerprint_matches = report.checkpoint == 0;
  else return storage_error(s, "read the projection fingerprint");
  return true;
}

/// The fold of a lead's events up to the checkpoint.
struct expected_fold {
  std::optional<lead_state> state;
  bool stream_ok = true;
  bool erased_after_checkpoint = false;
};

expected_fold fold_lead(const storage::event_log& log, const std::string& lead, global_position checkpoint,
                        const add_fn& add) {
  expected_fold f;
  auto events = log.read_stream(lead);
  if (!events) {
    f.stream_ok = false;
    add(lead, view_problem::unreadable_stream, events.err().message);
    return f;
  }
  for (const auto& e : *events) {
    if (e.ev.meta.position > checkpoint) {  // a stream is in position order
      // An erasure the projection has not applied yet already destroyed
      // the lead's data key: the log can no longer show the personal
      // values the row still holds (serve applies the erasure next).
      if (e.ev.type() == event_type::erased) f.erased_after_checkpoint = true;
      continue;
    }
    if (!f.state) f.state = initial(lead);
    evolve(*f.state, e.ev);
  }
  return f;
}

/// Compares a lead's stored row (if any) with the fold.
void compare_row(const std::string& lead, const std::string_view* row_bytes, bool head_here,
                 const expected_fold& expected, global_position checkpoint, const add_fn& add) {
  if (!row_bytes) {
    if (expected.state)
      add(lead, view_problem::missing_row,
          "no row, but the log has events of the lead up to version " + std::to_string(expected.state->version));
    return;
  }
  auto stored = decode_snapshot(*row_bytes);
  if (!stored) {
    add(lead, view_problem::corrupt_row, stored.err().message);
  } else if (expected.stream_ok) {
    if (!expected.state) {
      add(lead, view_problem::extra_row,
          head_here ? "a row, but no event of the lead at or before the checkpoint " + std::to_string(checkpoint)
                    : std::string("a row, but the log has no event of the lead"));
    } else if (expected.erased_after_checkpoint ? encode_snapshot(without_personal(*stored)) !=
                                                      encode_snapshot(without_personal(*expected.state))
                                                : encode_snapshot(*stored) != encode_snapshot(*expected.state)) {
      std::string what = describe_difference(*stored, *expected.state);
      add(lead, view_problem::differs, what.empty() ? std::string("the stored row is not the fold") : what);
    }
  }
}

} // namespace

result<view_verify_report> verify_lead_views(const storage::event_log& log, const lead_views& views,
                                             const view_verify_options& opts) {
  const view_store& store = views.store();
  if (!store.has_families() || !store.has_log_families())
    return error{errc::internal, "the log has no views/heads/meta families"};

  view_verify_report report;
  report.projection = views.name();
  const auto snap = store.snapshot(!log.frozen());
  rocksdb::ReadOptions ro;
  ro.snapshot = snap->get();
  auto readable = read_bookkeeping(store, ro, views, report);
  if (!readable) return readable.err();
  if (!*readable) return report;
  report.head = log.last_position();
  if (report.checkpoint > report.head)
    report.global_problems.push_back("the checkpoint of " + views.name() + " (" + std::to_string(report.checkpoint) +
                                     ") is beyond the head of the log (" + std::to_string(report.head) + ")");

  const add_fn add = [&report, &opts](std::string lead, view_problem p, std::string detail) {
    ++report.mismatches;
    if (report.reported.size() < opts.max_reported)
      report.reported.push_back(view_mismatch{std::move(lead), p, std::move(detail)});
  };

  // The rows (every key of the row prefix) and the heads, both by lead id:
  // one merged walk, each key read once.
  const std::string row_prefix(view_index::row_prefix), row_end = view_index::prefix_successor(row_prefix);
  rocksdb::Slice row_end_s(row_end);
  rocksdb::ReadOptions row_ro = ro;
  row_ro.iterate_upper_bound = &row_end_s;
  auto rows = store.iterator(view_family::views, row_ro);
  auto heads = store.log_heads(ro);
  rows->Seek(row_prefix);
  heads->SeekToFirst();
  for (;;) {
    const bool have_row = rows->Valid(), have_head = heads->Valid();
    if (!have_row && !have_head) break;
    const std::string_view row_lead = have_row ? view_index::row_lead(rows->key().ToStringView()) : "";
    const std::string_view head_lead = have_head ? heads->key().ToStringView() : "";
    const bool row_here = have_row && (!have_head || row_lead <= head_lead);
    const bool head_here = have_head && (!have_row || head_lead <= row_lead);
    const std::string lead(row_here ? row_lead : head_lead);

    expected_fold expected;
    if (head_here) {
      ++report.leads;
      expected = fold_lead(log, lead, report.checkpoint, add);
    }
    if (row_here) ++report.rows;
    const std::string_view bytes = row_here ? rows->value().ToStringView() : std::string_view();
    compare_row(lead, row_here ? &bytes : nullptr, head_here, expected, report.checkpoint, add);

    if (row_here) rows->Next();
    if (head_here) heads->Next();
    if (opts.progress && opts.progress_every > 0 && head_here && report.leads % opts.progress_every == 0)
      opts.progress(report.leads);
  }
  if (!rows->status().ok()) return storage_error(rows->status(), "walk the view rows");
  if (!heads->status().ok()) return storage_error(heads->status(), "walk the heads");
  return report;
}

} // namespace leadbase::projections
