// End-to-end: backups (docs/http-api.md "Operations" and docs/cli.md). An online backup
// is taken while ingest goes on, verified, listed and counted in /metrics; one
// taken after an erasure holds none of the erased values; `leadbase restore`
// puts a backup into a new data dir that `verify` passes and a server serves,
// holding every event up to the backup's position and none after; the offline
// `leadbase backup` refuses a data dir a server uses, naming the HTTP way.
#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;
namespace fs = std::filesystem;

namespace {

struct backup_root {
  fs::path path = fs::temp_directory_path() / ("leadbase-e2e-backups-" + unique_suffix());
  ~backup_root() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Waits until GET /v1/admin/backups shows backup `id` verified (or failed); returns it.
rapidjson::Document wait_verified(http_client& c, long long id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto r = c.get("/v1/admin/backups", admin_token);
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    bool done = false;
    for (const auto& b : arr(d, "backups").GetArray())
      if (num(b, "backup_id") == id && (b["verified"].GetBool() || !is_null(b, "problem"))) done = true;
    if (done && !d["in_progress"].GetBool()) return d;
    INFO(r.body);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

const rapidjson::Value* find_backup(const rapidjson::Document& d, long long id) {
  for (const auto& b : arr(d, "backups").GetArray())
    if (num(b, "backup_id") == id) return &b;
  return nullptr;
}

} // namespace

TEST_CASE("backups: online while ingesting, verified, erasure-clean, restored into a new dir that serves",
          "[e2e][backup]") {
  backup_root root;
  server_options so;
  so.extra_toml = "\n[backup]\ndir = \"" + root.path.string() + "\"\nkeep = 2\n";
  server_process srv(so);
  srv.start();
  auto c = srv.client();

  const std::string tag = unique_suffix();
  const std::string needle_lead = "needle-" + tag, needle_name = "Needle Backup " + tag;
  const std::string needle_email = "needle.backup." + tag + "@exemplo.com.br";
  REQUIRE(c.post_json("/v1/signups", signup_body("sg-" + needle_lead, needle_lead, needle_email, needle_name),
                      ingest_token)
              .status == 202);
  settle(c, needle_lead);

  // Ingest keeps going while backups are taken.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0}, failed{0};
  std::thread writer([&] {
    http_client w(srv.port(), std::chrono::seconds(15));
    for (int i = 0; !stop.load(); ++i) {
      const std::string lead = "bk-" + tag + "-" + std::to_string(i);
      auto r = w.try_request("POST", "/v1/signups", signup_body("sg-" + lead, lead),
                             {bearer(ingest_token), {"Content-Type", "application/json"}});
      (r.status == 202 ? acked : failed)++;
    }
  });
  while (acked.load() < 50) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  check_problem(c.post_json("/v1/admin/backups", "", read_token), 403, "forbidden");
  auto b1 = c.post_json("/v1/admin/backups", "", admin_token);
  INFO(b1.body);
  REQUIRE(b1.status == 202);
  auto d1 = parse_json(b1.body);
  CHECK(num(d1, "backup_id") == 1);
  const long long p1 = num(d1, "position");
  CHECK(p1 > 0);
  auto list1 = wait_verified(c, 1);
  const auto* info1 = find_backup(list1, 1);
  REQUIRE(info1);
  CHECK((*info1)["verified"].GetBool());
  CHECK(num(*info1, "position") == p1);
  CHECK(num(*info1, "size_bytes") > 0);
  CHECK(str(*info1, "created_at").size() == 24);

  // Erase, then back up again: that backup holds none of the erased values.
  auto er = c.post_json("/v1/leads/" + needle_lead + "/erase", "{\"reason\":\"backup test\"}", admin_token);
  REQUIRE(er.status == 200);
  auto b2 = c.post_json("/v1/admin/backups", "", admin_token);
  REQUIRE(b2.status == 202);
  CHECK(num(parse_json(b2.body), "backup_id") == 2);
  auto list2 = wait_verified(c, 2);
  REQUIRE(find_backup(list2, 2));
  CHECK((*find_backup(list2, 2))["verified"].GetBool());
  for (const auto& needle : {needle_email, needle_name}) {
    INFO("needle " << needle);
    for (const auto& p : files_containing(root.path / "2", needle)) FAIL_CHECK("plaintext in the backup: " << p);
  }

  stop = true;
  writer.join();
  CHECK(failed.load() == 0);

  auto m = c.get("/metrics", admin_token);
  REQUIRE(m.status == 200);
  CHECK(m.body.find("leadbase_backup_last_success_timestamp_seconds 0\n") == std::string::npos);
  CHECK(m.body.find("leadbase_backup_last_success_timestamp_seconds ") != std::string::npos);
  CHECK(m.body.find("leadbase_backup_failures_total 0\n") != std::string::npos);

  // The offline command refuses a data dir the server uses, and says what to do instead.
  auto busy = run_leadbase({"backup", "--data", srv.data_dir().string(), "--to", (root.path / "offline").string()});
  INFO(busy.err);
  CHECK(busy.exit_code == 1);
  CHECK(busy.err.find("in use by a running server") != std::string::npos);
  CHECK(busy.err.find("POST /v1/admin/backups") != std::string::npos);
  CHECK(std::count(busy.err.begin(), busy.err.end(), '\n') == 1);
  CHECK(srv.stop() == 0);

  // Restore backup 1 into a new server's (not yet created) data dir; it serves exactly positions 1..p1.
  server_process restored;
  auto r = run_leadbase({"restore", "--from", root.path.string(), "--backup-id", "1", "--data",
                         restored.data_dir().string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("restored backup 1") != std::string::npos);
  auto again = run_leadbase({"restore", "--from", root.path.string(), "--data", restored.data_dir().string()});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("not empty") != std::string::npos);
  auto v = run_leadbase({"verify", "--data", restored.data_dir().string()});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);

  restored.start();
  auto rc = restored.client();
  long long after = 0, count = 0;
  for (;;) {
    auto f = rc.get("/v1/feed?after=" + std::to_string(after) + "&limit=1000", audit_token);
    REQUIRE(f.status == 200);
    auto fd = parse_json(f.body);
    const auto& evs = arr(fd, "events");
    if (evs.Size() == 0) break;
    for (const auto& e : evs.GetArray()) CHECK(num(e, "position") == ++count);
    after = num(fd, "next_after");
  }
  CHECK(count == p1);
  // Backup 1 was taken before the erasure: the lead is there, not erased (docs/operations.md says what to do).
  auto view = get_view(rc, needle_lead, p1);
  REQUIRE(view.status == 200);
  CHECK(str(parse_json(view.body), "status") != "erased");
  CHECK(restored.stop() == 0);

  // The offline backup of the (stopped) restored dir works and is verified.
  auto off = run_leadbase({"backup", "--data", restored.data_dir().string(), "--to", (root.path / "offline").string()});
  INFO(off.out << off.err);
  CHECK(off.exit_code == 0);
  CHECK(off.out.find("verified") != std::string::npos);
}
