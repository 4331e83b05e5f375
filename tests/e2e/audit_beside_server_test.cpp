// End-to-end: the command line beside a running server (docs/cli.md).
// `replay` and `verify` read a consistent read-only view of a data dir a
// server is writing; `rebuild`, `import`, `restore` and `backup` refuse it
// with one line that names the server's lock and the HTTP way to do the job.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/checks.hpp"

using namespace leadbase::e2e;

TEST_CASE("replay and verify work while the server writes; commands that write refuse with one line",
          "[e2e][cli][audit]") {
  server_process srv;
  srv.start();
  auto c = srv.client();
  const std::string lead = "beside-" + unique_suffix();
  REQUIRE(c.post_json("/v1/signups", signup_body("sg-" + lead, lead), ingest_token).status == 202);
  settle(c, lead);

  // Ingest goes on during the audits.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::thread writer([&] {
    http_client w(srv.port(), std::chrono::seconds(15));
    const std::string tag = unique_suffix();
    for (int i = 0; !stop.load(); ++i) {
      const std::string l = "bs-" + tag + "-" + std::to_string(i);
      if (w.try_request("POST", "/v1/signups", signup_body("sg-" + l, l),
                        {bearer(ingest_token), {"Content-Type", "application/json"}})
              .status == 202)
        ++acked;
    }
  });
  while (acked.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  const std::string data = srv.data_dir().string();
  auto replay = run_leadbase({"replay", "--data", data, lead});
  {
    INFO(replay.out << replay.err);
    CHECK(replay.exit_code == 0);
    CHECK(replay.out.find("signed_up") != std::string::npos);
    CHECK(replay.out.find("integrity: verified") != std::string::npos);
    CHECK(replay.err.find("a server is using") != std::string::npos);
  }
  auto verify = run_leadbase({"verify", "--data", data});
  {
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(verify.out.find("all chains intact") != std::string::npos);
  }

  auto one_line = [](const process_result& r) { return std::count(r.err.begin(), r.err.end(), '\n') == 1; };
  auto rebuild = run_leadbase({"rebuild", "--data", data});
  {
    INFO(rebuild.err);
    CHECK(rebuild.exit_code == 1);
    CHECK(one_line(rebuild));
    CHECK(rebuild.err.find("in use by a running server") != std::string::npos);
    CHECK(rebuild.err.find("LOCK") != std::string::npos);
    CHECK(rebuild.err.find("POST /v1/admin/projections/rebuild") != std::string::npos);
  }
  const auto jsonl = srv.root() / "one.jsonl";
  { std::ofstream(jsonl) << signup_body("sg-imp-" + lead, "imp-" + lead) << "\n"; }
  auto import = run_leadbase({"import", "--config", srv.config_file().string(), "--data", data, jsonl.string()});
  {
    INFO(import.err);
    CHECK(import.exit_code == 1);
    CHECK(one_line(import));
    CHECK(import.err.find("in use by a running server") != std::string::npos);
    CHECK(import.err.find("POST /v1/signups") != std::string::npos);
  }
  auto restore = run_leadbase({"restore", "--from", (srv.root() / "no-backups").string(), "--data", data});
  {
    INFO(restore.err);
    CHECK(restore.exit_code == 1);
    CHECK(one_line(restore));
    CHECK(restore.err.find("in use by a running server") != std::string::npos);
  }

  stop = true;
  writer.join();
  // Nothing the audits did disturbed the server.
  check_healthy(srv);
  CHECK(srv.stop() == 0);
  auto after = run_leadbase({"verify", "--data", data});
  INFO(after.out << after.err);
  CHECK(after.exit_code == 0);
  CHECK(after.err.find("a server is using") == std::string::npos);
}
