// Backups (storage/backup.hpp, storage/backup_service.hpp) on a real RocksDB:
// taken while the log is written, verified by opening the copy read-only and
// auditing every chain, pruned only after a newer one verified, restored into
// an empty dir only.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/backup.hpp"
#include "storage/backup_service.hpp"
#include "storage/log_audit.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace leadbase;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<storage::event_log> open_dir(const std::string& dir, bool read_only = false) {
  storage::log_options o;
  o.dir = dir;
  o.read_only = read_only;
  auto l = storage::event_log::open(o);
  REQUIRE(l);
  return std::move(*l);
}

} // namespace

TEST_CASE("a backup holds every event up to its position, is verified, and restores into an empty dir",
          "[storage][backup]") {
  test::log_fixture f;
  for (int i = 0; i < 20; ++i) f.append_lead(test::spec("lead-" + std::to_string(i)));
  const auto head = f.log->last_position();
  test::temp_dir root;

  auto b = storage::create_backup(*f.log, root.str(), 1764331200000);
  REQUIRE(b);
  CHECK(b->id == 1);
  CHECK(b->position == head);
  CHECK_FALSE(b->verified);
  CHECK(b->size_bytes > 0);

  auto v = storage::verify_backup(root.str(), b->id);
  REQUIRE(v);
  INFO(v->problem);
  CHECK(v->verified);

  auto all = storage::list_backups(root.str());
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].verified);
  CHECK((*all)[0].position == head);
  CHECK((*all)[0].created_at == 1764331200000);

  // The log goes on; the backup does not.
  f.append_lead(test::spec("later"));
  test::temp_dir target;
  const std::string data = (fs::path(target.str()) / "restored").string();
  auto r = storage::restore_backup(root.str(), std::nullopt, data);
  REQUIRE(r);
  CHECK(r->id == 1);
  auto restored = open_dir(data);
  CHECK(restored->last_position() == head);
  const auto audit = storage::audit_log(*restored);
  CHECK(audit.ok());
  CHECK(audit.events == head);
  auto later = restored->read_stream("later");
  REQUIRE(later);
  CHECK(later->empty());
  auto first = restored->read_stream("lead-0");
  REQUIRE(first);
  CHECK_FALSE(first->empty());
}

TEST_CASE("restore refuses a data dir that is not empty and names a missing backup", "[storage][backup]") {
  test::log_fixture f;
  f.append_lead(test::spec("a"));
  test::temp_dir root;
  auto b = storage::create_backup(*f.log, root.str(), 1);
  REQUIRE(b);
  REQUIRE(storage::verify_backup(root.str(), b->id));

  test::temp_dir busy;
  { std::ofstream(fs::path(busy.str()) / "something") << "x"; }
  auto r = storage::restore_backup(root.str(), std::nullopt, busy.str());
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::conflict);
  CHECK(r.err().message.find("not empty") != std::string::npos);

  auto missing = storage::restore_backup(root.str(), 42, (fs::path(busy.str()) / "new").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.err().code == errc::not_found);

  test::temp_dir empty_root;
  auto none = storage::restore_backup(empty_root.str(), std::nullopt, (fs::path(busy.str()) / "new").string());
  REQUIRE_FALSE(none);
  CHECK(none.err().message.find("no verified backup") != std::string::npos);
}

TEST_CASE("a damaged backup fails verification and is never restored by default", "[storage][backup]") {
  test::log_fixture f;
  for (int i = 0; i < 5; ++i) f.append_lead(test::spec("lead-" + std::to_string(i)));
  test::temp_dir root;
  auto good = storage::create_backup(*f.log, root.str(), 1);
  REQUIRE(good);
  REQUIRE(storage::verify_backup(root.str(), good->id)->verified);
  f.append_lead(test::spec("lead-5"));
  auto bad = storage::create_backup(*f.log, root.str(), 2);
  REQUIRE(bad);
  // Damage the second one: remove its table files (what a broken copy looks like).
  size_t removed = 0;
  for (const auto& e : fs::directory_iterator(fs::path(root.str()) / std::to_string(bad->id) / "db"))
    if (e.path().extension() == ".sst" || e.path().filename().string().rfind("MANIFEST", 0) == 0) {
      fs::remove(e.path());
      ++removed;
    }
  REQUIRE(removed > 0);
  auto v = storage::verify_backup(root.str(), bad->id);
  REQUIRE(v);
  CHECK_FALSE(v->verified);
  CHECK_FALSE(v->problem.empty());

  test::temp_dir target;
  auto r = storage::restore_backup(root.str(), std::nullopt, (fs::path(target.str()) / "d").string());
  REQUIRE(r);
  CHECK(r->id == good->id);  // the newest *verified* one
}

TEST_CASE("pruning keeps the newest verified backups and deletes nothing before one verified", "[storage][backup]") {
  test::log_fixture f;
  test::temp_dir root;
  for (int i = 0; i < 4; ++i) {
    f.append_lead(test::spec("lead-" + std::to_string(i)));
    REQUIRE(storage::create_backup(*f.log, root.str(), i + 1));
  }
  // Nothing verified yet: nothing is deleted, whatever keep says.
  REQUIRE(storage::prune_backups(root.str(), 1));
  CHECK(storage::list_backups(root.str())->size() == 4);

  for (uint64_t id = 1; id <= 3; ++id) REQUIRE(storage::verify_backup(root.str(), id)->verified);
  REQUIRE(storage::prune_backups(root.str(), 2));
  auto left = storage::list_backups(root.str());
  REQUIRE(left);
  std::vector<uint64_t> ids;
  for (const auto& b : *left) ids.push_back(b.id);
  // 2 and 3 are the newest verified; 4 is newer than any verified one (it may be being verified).
  CHECK(ids == std::vector<uint64_t>{2, 3, 4});
  // Ids keep counting up past pruned ones.
  auto next = storage::create_backup(*f.log, root.str(), 9);
  REQUIRE(next);
  CHECK(next->id == 5);
}

TEST_CASE("an online backup taken while events are appended is consistent", "[storage][backup]") {
  test::log_fixture f;
  for (int i = 0; i < 50; ++i) f.append_lead(test::spec("seed-" + std::to_string(i)));
  test::temp_dir root;
  storage::backup_service service(*f.log, root.str(), 2);
  CHECK_FALSE(service.current().last_success);

  std::atomic<bool> stop{false};
  std::string writer_error;
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 100000; ++i) {
      auto a = f.try_append_lead(test::spec("w-" + std::to_string(i)));
      if (!a.error.empty()) {
        writer_error = a.error;
        return;
      }
    }
  });
  std::mutex m;
  std::optional<result<storage::backup_info>> taken;
  auto st = service.start([&](const result<storage::backup_info>& b) {
    std::lock_guard<std::mutex> g(m);
    taken = b;
  });
  REQUIRE(st);
  // One at a time.
  auto second = service.start(nullptr);
  if (!second) CHECK(second.err().code == errc::conflict);
  service.wait_idle();
  stop = true;
  writer.join();
  CHECK(writer_error.empty());

  std::lock_guard<std::mutex> g(m);
  REQUIRE(taken);
  REQUIRE(*taken);
  const auto pos = (*taken)->position;
  CHECK(pos >= 150);  // the seed leads: 3 events each at least
  const auto fig = service.current();
  CHECK_FALSE(fig.running);
  CHECK(fig.failures == 0);
  REQUIRE(fig.last_success);
  CHECK(fig.last_success_bytes > 0);

  auto all = storage::list_backups(root.str());
  REQUIRE(all);
  REQUIRE(all->size() >= 1);
  CHECK(all->back().verified);
  // The copy holds every event up to its position and none after: positions 1..pos, every chain whole.
  auto copy = open_dir((fs::path(root.str()) / std::to_string(all->back().id) / "db").string(), true);
  const auto audit = storage::audit_log(*copy);
  CHECK(audit.ok());
  CHECK(audit.head == pos);
  CHECK(audit.events == pos);

  // A service started on the same root knows the last success (figures survive a restart).
  storage::backup_service again(*f.log, root.str(), 2);
  REQUIRE(again.current().last_success);
}
