// Verifying the current-view projection against the log (projections/verify.hpp)
// and `leadbase verify` (app/cmd_audit.cpp): a clean store passes; a tampered
// event, a tampered/missing/extra row and an unreadable event are each named by
// lead; a projection behind the log and an erased lead are no mismatch.
#include "projections/verify.hpp"

#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <iostream>
#include <sstream>

#include "app/commands.hpp"
#include "events/codec.hpp"
#include "events/snapshot.hpp"
#include "projections/lead_views.hpp"
#include "projections/runner.hpp"
#include "storage/keys.hpp"
#include "tests/projections/projection_fixture.hpp"
#include "tests/support/raw_db.hpp"

using namespace leadbase;
using namespace leadbase::projections;
using leadbase::test::lead_spec;

namespace {

void write_leads(test::log_fixture& f, int n) {
  for (int i = 0; i < n; ++i) {
    lead_spec s;
    s.id = "u-" + std::to_string(i);
    s.name = "Lead " + std::to_string(i);
    s.email = "lead" + std::to_string(i) + "@example.com";
    s.instagram = "lead" + std::to_string(i);
    s.signed_up_at = 1764331200000 + i * 1000;
    s.disqualify = i % 5 == 3;
    if (i % 4 == 1) s.followers = 1000 * (i + 1);
    f.append_lead(s);
  }
}

/// The projection caught up with the whole log.
void project(test::log_fixture& f, lead_views& views) {
  auto runner = projection_runner::open(*f.log, views);
  REQUIRE(runner);
  REQUIRE((*runner)->catch_up());
  REQUIRE((*runner)->position() == f.log->last_position());
}

/// Rewrites one stored event of `lead` with `change` applied: valid bytes, other content.
template <class Change>
void tamper_event(test::log_fixture& f, const std::string& lead, lead_version version, Change change) {
  auto* events = f.log->cf(storage::key_space::events);
  REQUIRE(events);
  const std::string key = storage::keys::event_key(lead, version);
  std::string bytes;
  REQUIRE(test::raw_db(*f.log)->Get(rocksdb::ReadOptions(), events, key, &bytes).ok());
  auto decoded = decode_event(bytes);
  REQUIRE(decoded);
  const std::string sealed(decoded->sealed);
  event ev = std::move(decoded->ev);
  change(ev);
  REQUIRE(test::raw_db(*f.log)->Put(rocksdb::WriteOptions(), events, key, encode_event(ev, sealed)).ok());
}

void put_raw(test::log_fixture& f, storage::key_space family, const std::string& key, const std::string& value) {
  auto* cf = f.log->cf(family);
  REQUIRE(cf);
  REQUIRE(test::raw_db(*f.log)->Put(rocksdb::WriteOptions(), cf, key, value).ok());
}

view_verify_report check(test::log_fixture& f, lead_views& views) {
  auto r = verify_lead_views(*f.log, views);
  REQUIRE(r);
  return std::move(*r);
}

/// `leadbase verify --data DIR` in-process, with stdout and stderr captured.
struct cli_result {
  int code = -1;
  std::string out, err;
};
cli_result run_verify_cli(const std::string& dir) {
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  app::verify_args a;
  a.data_dir = dir;
  cli_result r;
  r.code = app::run_verify(a);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

} // namespace

TEST_CASE("verify: a projection built from the log matches it", "[verify]") {
  test::log_fixture f;
  write_leads(f, 20);
  f.append("u-1", {erased{"lgpd request", "dpo"}});
  lead_views views(*f.log, {});
  project(f, views);
  auto r = check(f, views);
  CHECK(r.ok());
  CHECK(r.mismatches == 0);
  CHECK(r.leads == 20);
  CHECK(r.rows == 20);
  CHECK(r.checkpoint == f.log->last_position());
  CHECK(r.head == f.log->last_position());
  CHECK(r.fingerprint_matches);
}

TEST_CASE("verify: an empty store and an unbuilt projection", "[verify]") {
  test::log_fixture f;
  lead_views views(*f.log, {});
  auto empty = check(f, views);
  CHECK(empty.ok());
  CHECK(empty.leads == 0);

  // Events, but the projection never ran: checkpoint 0, no rows expected.
  write_leads(f, 3);
  auto unbuilt = check(f, views);
  CHECK(unbuilt.ok());
  CHECK(unbuilt.leads == 3);
  CHECK(unbuilt.rows == 0);
  CHECK(unbuilt.checkpoint == 0);
}

TEST_CASE("verify: a projection behind the log is compared up to its position", "[verify]") {
  test::log_fixture f;
  write_leads(f, 5);
  lead_views views(*f.log, {});
  project(f, views);
  const global_position cp = f.log->last_position();
  f.append("u-0", {test::sample_enriched(5000)});  // an existing lead moves on
  f.append_lead(test::spec("u-new"));  // a lead the projection has not seen
  auto r = check(f, views);
  CHECK(r.ok());
  CHECK(r.checkpoint == cp);
  CHECK(r.head > cp);
  CHECK(r.leads == 6);
  CHECK(r.rows == 5);
}

TEST_CASE("verify: a tampered event is named by its lead", "[verify]") {
  test::log_fixture f;
  write_leads(f, 6);
  lead_views views(*f.log, {});
  project(f, views);
  // Version 2 of u-2 is its `qualified`: make it say disqualified.
  tamper_event(f, "u-2", 2, [](event& ev) {
    auto* q = std::get_if<qualified>(&ev.data);
    REQUIRE(q);
    q->result = outcome::disqualified;
    q->reasons = {"disposable_email"};
  });
  auto r = check(f, views);
  CHECK_FALSE(r.ok());
  REQUIRE(r.mismatches == 1);
  REQUIRE(r.reported.size() == 1);
  CHECK(r.reported[0].lead_id == "u-2");
  CHECK(r.reported[0].problem == view_problem::differs);
  CHECK(r.reported[0].detail.find("status") != std::string::npos);

  f.close();
  auto cli = run_verify_cli(f.dir.str());
  CHECK(cli.code == 1);
  CHECK(cli.err.find("lead u-2: head does not match its last event") != std::string::npos);  // v2 is its last
  CHECK(cli.err.find("lead u-2: projection lead_views differs") != std::string::npos);
  CHECK(cli.err.find("u-1") == std::string::npos);
}

TEST_CASE("verify: an unreadable event is named by its lead", "[verify]") {
  test::log_fixture f;
  write_leads(f, 4);
  lead_views views(*f.log, {});
  project(f, views);
  put_raw(f, storage::key_space::events, storage::keys::event_key("u-3", 1), "not an envelope");
  auto r = check(f, views);
  REQUIRE(r.mismatches == 1);
  CHECK(r.reported[0].lead_id == "u-3");
  CHECK(r.reported[0].problem == view_problem::unreadable_stream);

  f.close();
  auto cli = run_verify_cli(f.dir.str());
  CHECK(cli.code == 1);
  CHECK(cli.err.find("lead u-3: projection lead_views unreadable_stream") != std::string::npos);
}

TEST_CASE("verify: tampered, corrupt, missing and extra rows", "[verify]") {
  test::log_fixture f;
  write_leads(f, 8);
  lead_views views(*f.log, {});
  project(f, views);
  REQUIRE(check(f, views).ok());

  // A row with a different status.
  lead_state changed = f.fold_lead("u-4");
  changed.status = lead_status::disqualified;
  put_raw(f, storage::key_space::views, view_keys::row_key("u-4"), encode_snapshot(changed));
  // A row that does not decode.
  put_raw(f, storage::key_space::views, view_keys::row_key("u-5"), "garbage");
  // No row for a lead with events.
  REQUIRE(test::raw_db(*f.log)->Delete(rocksdb::WriteOptions(), f.log->cf(storage::key_space::views), view_keys::row_key("u-6")).ok());
  // A row for a lead the log does not have (sorts between u-6 and u-7).
  put_raw(f, storage::key_space::views, view_keys::row_key("u-6x"), encode_snapshot(f.fold_lead("u-7")));

  view_verify_options o;
  auto r = verify_lead_views(*f.log, views, o);
  REQUIRE(r);
  REQUIRE(r->mismatches == 4);
  std::map<std::string, view_mismatch> by_lead;
  for (const auto& m : r->reported) by_lead[m.lead_id] = m;
  REQUIRE(by_lead.size() == 4);
  CHECK(by_lead["u-4"].problem == view_problem::differs);
  CHECK(by_lead["u-4"].detail == "status: row disqualified, log " + std::string(to_string(f.fold_lead("u-4").status)));
  CHECK(by_lead["u-5"].problem == view_problem::corrupt_row);
  CHECK(by_lead["u-6"].problem == view_problem::missing_row);
  CHECK(by_lead["u-6x"].problem == view_problem::extra_row);
  CHECK(r->leads == 8);
  CHECK(r->rows == 8);  // 8 - 1 deleted + 1 extra

  // The report keeps at most max_reported, but counts them all.
  o.max_reported = 1;
  auto capped = verify_lead_views(*f.log, views, o);
  REQUIRE(capped);
  CHECK(capped->mismatches == 4);
  CHECK(capped->reported.size() == 1);

  f.close();
  auto cli = run_verify_cli(f.dir.str());
  CHECK(cli.code == 1);
  CHECK(cli.err.find("lead u-4: projection lead_views differs: status") != std::string::npos);
  CHECK(cli.err.find("lead u-6x: projection lead_views extra_row") != std::string::npos);
  CHECK(cli.err.find("chain broken") == std::string::npos);  // the log itself is intact
  CHECK(cli.out.find("all chains intact") != std::string::npos);
}

TEST_CASE("verify: an erased lead whose data key was destroyed still matches its row", "[verify]") {
  test::log_fixture f;
  lead_spec s = test::spec("u-0");
  s.instagram.clear();  // nothing to enrich: see the next test
  f.append_lead(s);
  lead_views views(*f.log, {});
  project(f, views);  // the row folded with the personal data readable
  f.append("u-0", {erased{"lgpd request", "dpo"}});
  project(f, views);
  REQUIRE(f.log->destroy_key("u-0"));  // as the service does after `erased`
  auto r = check(f, views);
  CHECK(r.ok());
  for (const auto& m : r.reported) FAIL(m.lead_id << ": " << m.detail);
}

// Once the data key is destroyed, a re-fold sees the signup's personal fields
// as erased; the fold must still start the same enrichments the live fold did
// (it goes by the signup's presence flags), or verify would report the row.
TEST_CASE("verify: an erased lead with an enrichment matches its row after the key is destroyed",
          "[verify]") {
  test::log_fixture f;
  write_leads(f, 3);
  lead_views views(*f.log, {});
  project(f, views);
  f.append("u-0", {erased{"lgpd request", "dpo"}});
  project(f, views);
  REQUIRE(f.log->destroy_key("u-0"));
  auto r = check(f, views);
  CHECK(r.ok());
  for (const auto& m : r.reported) FAIL(m.lead_id << ": " << m.detail);
}

// A crash between an erasure's key destruction and the projection applying the
// `erased` event leaves a row with personal values the log can no longer show
// (found by the mixed-load crash test: "personal_erased: row false, log true").
// The projection is only behind; serve applies the erasure next.
TEST_CASE("verify: an erasure beyond the checkpoint whose key is already destroyed is no mismatch", "[verify]") {
  test::log_fixture f;
  write_leads(f, 3);
  lead_views views(*f.log, {});
  project(f, views);  // rows with the personal data readable
  const global_position cp = f.log->last_position();
  f.append("u-1", {erased{"lgpd request", "dpo"}});  // not projected
  REQUIRE(f.log->destroy_key("u-1"));
  auto r = check(f, views);
  CHECK(r.checkpoint == cp);
  CHECK(r.ok());
  for (const auto& m : r.reported) FAIL_CHECK(m.lead_id << ": " << m.detail);
}

TEST_CASE("verify: the CLI passes a clean store and refuses a missing one", "[verify]") {
  test::log_fixture f;
  write_leads(f, 5);
  {
    lead_views views(*f.log, {});
    project(f, views);
  }
  f.close();
  auto ok = run_verify_cli(f.dir.str());
  CHECK(ok.code == 0);
  CHECK(ok.err.empty());
  CHECK(ok.out.find("projection lead_views: 5 rows of 5 leads") != std::string::npos);
  CHECK(ok.out.find("all match") != std::string::npos);

  auto missing = run_verify_cli(f.dir.str() + "/nope");
  CHECK(missing.code == 1);
}

TEST_CASE("verify: describe_difference names the first differing field", "[verify]") {
  lead_state a = initial("u-1");
  lead_state b = a;
  CHECK(describe_difference(a, b).empty());
  b.version = 3;
  CHECK(describe_difference(a, b) == "version: row 0, log 3");
  b = a;
  b.contact.email = "secret@example.com";
  CHECK(describe_difference(a, b) == "contact personal fields differ");  // values are not printed
}
