// Erasure through the write side: the key's flush and compaction run off the
// journal's thread, so other leads' appends go on meanwhile, and the erasure
// answers only once no file keeps the key.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "actors/service.hpp"
#include "tests/support/failing_disk.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace leadbase;

namespace {

append_command signup(const std::string& lead, const std::string& event_id) {
  append_command c;
  c.ev = test::make_event(lead, event_id, test::sample_signup());
  return c;
}

std::future<append_outcome> append_async(lead_service& s, append_command c) {
  auto p = std::make_shared<std::promise<append_outcome>>();
  s.append(std::move(c), [p](append_outcome o) { p->set_value(std::move(o)); });
  return p->get_future();
}

std::future<append_outcome> erase_async(lead_service& s, const std::string& lead) {
  auto p = std::make_shared<std::promise<append_outcome>>();
  s.erase(lead, "lgpd", "dpo", "corr", [p](append_outcome o) { p->set_value(std::move(o)); });
  return p->get_future();
}

} // namespace

TEST_CASE("appends of other leads go on while an erasure's flush and compaction are held", "[actors][erasure]") {
  test::failing_disk disk;  // outlives the log (failing_disk.hpp)
  test::temp_dir dir;
  storage::log_options lo;
  lo.dir = dir.str();
  lo.env = disk.env();
  auto log = std::move(*storage::event_log::open(lo));
  actors::service_options opts;
  opts.follow_ups = false;
  auto service = std::move(*actors::start_lead_service(*log, opts));
  using namespace std::chrono_literals;

  REQUIRE(append_async(*service, signup("u-1", "s-1")).get().code == errc::success);
  const auto key = **log->read_key("u-1");
  const std::string key_bytes(key.begin(), key.end());

  disk.hold_table_writes(true);  // the erasure's flush waits here
  auto erased = erase_async(*service, "u-1");
  for (int i = 0; i < 500 && disk.held_table_writes() == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(disk.held_table_writes() > 0);

  // Another lead's append is written and answered meanwhile.
  auto other = append_async(*service, signup("u-2", "s-2"));
  REQUIRE(other.wait_for(10s) == std::future_status::ready);
  CHECK(other.get().code == errc::success);
  CHECK(erased.wait_for(0s) == std::future_status::timeout);  // not before no file keeps the key

  disk.hold_table_writes(false);
  REQUIRE(erased.wait_for(30s) == std::future_status::ready);
  const auto o = erased.get();
  CHECK(o.code == errc::success);
  CHECK(o.version == 2);
  CHECK_FALSE(*log->read_key("u-1"));
  CHECK_FALSE(test::any_file_contains(dir.path(), key_bytes));  // the guarantee: purged before the answer
  service.reset();
}
