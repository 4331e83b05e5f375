// Starting the write side: what it owes from before a restart is read back,
// and a read that fails stops the start instead of forgetting the work.
#include <catch2/catch.hpp>

#include "actors/service.hpp"
#include "events/time.hpp"
#include "storage/sealing.hpp"
#include "tests/support/failing_disk.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;

namespace {

std::unique_ptr<storage::event_log> open_log(const test::temp_dir& dir, std::shared_ptr<rocksdb::Env> env) {
  storage::log_options lo;
  lo.dir = dir.str();
  lo.env = std::move(env);
  auto opened = storage::event_log::open(lo);
  REQUIRE(opened);
  return std::move(*opened);
}

/// A lead that owes work in an hour, written as the lead actor writes it.
void store_owed_work(storage::event_log& log) {
  std::vector<storage::append_request> batch(1);
  batch[0].lead_id = "u-1";
  batch[0].key = storage::make_data_key();
  batch[0].new_key = true;
  batch[0].events.push_back(test::make_event("u-1", "s-1", test::sample_signup()));
  batch[0].update_work = true;
  batch[0].work_due = now_millis() + 3600 * 1000;
  auto results = log.append_batch(batch, now_millis());
  REQUIRE(results.at(0).code == errc::success);
}

} // namespace

TEST_CASE("start-up fails when the owed work cannot be read", "[actors][failure]") {
  test::failing_disk disk;  // outlives the log (failing_disk.hpp)
  test::temp_dir dir;
  store_owed_work(*open_log(dir, disk.env()));
  // Reopened: its recovery flushed the work into a table file, not read since
  // (a read would put its block in the cache, out of the seam's reach).
  auto log = open_log(dir, disk.env());

  actors::service_options opts;  // follow-ups on: the service resumes owed work
  disk.fail_reads(true);
  REQUIRE_FALSE(log->scan_work());  // the seam reaches the scan
  auto started = actors::start_lead_service(*log, opts);
  REQUIRE_FALSE(started);
  CHECK(started.err().code == errc::storage_failure);
  CHECK(started.err().message.find("owed work") != std::string::npos);

  disk.fail_reads(false);
  REQUIRE(log->scan_work());
  CHECK(log->scan_work()->size() == 1);
  CHECK(actors::start_lead_service(*log, opts));
}
