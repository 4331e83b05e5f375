// `leadbase import`: bulk-loads signups from a JSONL file through the lead
// service, as the HTTP ingest does. Lines that parse are appended (and count
// as duplicates on a second run: an import is resumable), blank lines are
// skipped, a bad line is rejected by line number with its reason (exit 1),
// the log verifies afterwards, and a data dir a server is using is refused.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/e2e/harness.hpp"

using namespace leadbase::e2e;

namespace {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

} // namespace

TEST_CASE("import: good lines are appended once, bad ones named by line, a second run counts duplicates",
          "[e2e][cli][import]") {
  server_process srv;
  srv.start();  // writes the config (no provider) and creates the data dir
  REQUIRE(srv.stop() == 0);
  const std::string data = srv.data_dir().string(), config = srv.config_file().string();
  const std::string file = (srv.root() / "signups.jsonl").string();
  {
    std::ofstream out(file);
    out << signup_body("imp-sg-1", "imp-lead-1") << "\n"
        << signup_body("imp-sg-2", "imp-lead-2") << "\r\n"  // a CRLF file reads the same
        << "   \n"                                          // blank: skipped, not rejected
        << "{\"event_id\": \"imp-sg-x\", \n"                 // line 4: not JSON
        << signup_body("imp-sg-3", "imp-lead-3") << "\n";
  }

  auto first = run_leadbase({"import", "--config", config, "--data", data, "--no-progress", file});
  INFO("stdout: " << first.out << "\nstderr: " << first.err);
  CHECK(first.exit_code == 1);
  CHECK(contains(first.out, "accepted 3, duplicate 0, rejected 1 (5 lines"));
  CHECK(contains(first.err, "line 4: bad_request: "));
  CHECK(contains(first.err, "1 line(s) rejected"));

  auto again = run_leadbase({"import", "--config", config, "--data", data, "--no-progress", file});
  INFO("stdout: " << again.out << "\nstderr: " << again.err);
  CHECK(again.exit_code == 1);
  CHECK(contains(again.out, "accepted 0, duplicate 3, rejected 1"));

  auto verify = run_leadbase({"verify", "--data", data});
  INFO("verify: " << verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  auto replay = run_leadbase({"replay", "--data", data, "imp-lead-3"});
  CHECK(replay.exit_code == 0);
  CHECK(contains(replay.out, "event 1 signed_up"));
  CHECK(contains(replay.out, "event 2 qualified"));  // qualified as serve does it

  // A server holds the data dir: import refuses and names the HTTP call instead.
  srv.start();
  auto busy = run_leadbase({"import", "--config", config, "--data", data, "--no-progress", file});
  INFO("stdout: " << busy.out << "\nstderr: " << busy.err);
  CHECK(busy.exit_code == 1);
  CHECK(contains(busy.err, "in use by a running server"));
  CHECK(contains(busy.err, "POST /v1/signups"));
  CHECK(srv.stop() == 0);
}
