// The command line as a user meets it: the real `leadbase` binary, run to
// completion. A mistyped command or option is named in the one-line reason
// (exit 2), --help shows each option's default, replay --as-of before the
// lead's first event is a failure (exit 1), not an empty success, and replay
// shows the same states as GET /v1/leads/{id}/replay under the same config.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/e2e/checks.hpp"
#include "tests/e2e/harness.hpp"

using namespace leadbase::e2e;

namespace {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

} // namespace

TEST_CASE("cli: an unknown option is named, exit 2", "[e2e][cli]") {
  auto r = run_leadbase({"--bogus"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--bogus"));
  CHECK_FALSE(contains(r.err, "A subcommand is required"));
}

TEST_CASE("cli: an unknown command is named with the commands there are, exit 2", "[e2e][cli]") {
  auto r = run_leadbase({"bogus-cmd"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown command 'bogus-cmd'"));
  CHECK(contains(r.err, "serve"));
  CHECK(contains(r.err, "replay"));
  CHECK_FALSE(contains(r.err, "A subcommand is required"));
}

TEST_CASE("cli: an unknown option of a command is named, exit 2", "[e2e][cli]") {
  auto r = run_leadbase({"verify", "--data", "/nonexistent", "--bogus-flag"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--bogus-flag"));
}

TEST_CASE("cli: no command at all says a command is required, exit 2", "[e2e][cli]") {
  auto r = run_leadbase({});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "command is required"));
}

TEST_CASE("cli: --help shows each option's default", "[e2e][cli]") {
  auto sim = run_leadbase({"simulate-discovery", "--help"});
  INFO("stdout: " << sim.out);
  CHECK(sim.exit_code == 0);
  CHECK(contains(sim.out, "--seed UINT=1"));
  CHECK(contains(sim.out, "--latency-ms UINT=0"));
  CHECK(contains(sim.out, "--fail-rate FLOAT:FLOAT in [0 - 1]=0"));
  auto imp = run_leadbase({"import", "--help"});
  INFO("stdout: " << imp.out);
  CHECK(imp.exit_code == 0);
  CHECK(contains(imp.out, "--concurrency UINT:INT in [1 - 100000]=256"));
}

TEST_CASE("cli: replay --as-of before the lead's first event says so and exits 1", "[e2e][cli]") {
  server_process srv;
  srv.start();
  {
    auto c = srv.client();
    auto r = c.post_json("/v1/signups", signup_body("cli-sg-1", "cli-lead-1"), ingest_token);
    REQUIRE(r.status == 202);
  }
  REQUIRE(srv.stop() == 0);
  const std::string data = srv.data_dir().string();

  // The signup's occurred_at is 2026-11-28; it was recorded now. As-of
  // compares with recorded_at, so a time before today matches nothing.
  auto before = run_leadbase({"replay", "--data", data, "cli-lead-1", "--as-of", "2000-01-01T00:00:00.000Z"});
  INFO("stdout: " << before.out << "\nstderr: " << before.err);
  CHECK(before.exit_code == 1);
  CHECK(contains(before.err, "no event of lead cli-lead-1 was recorded at or before 2000-01-01T00:00:00.000Z"));
  CHECK_FALSE(contains(before.out, "event 1"));

  auto after = run_leadbase({"replay", "--data", data, "cli-lead-1", "--as-of", "2999-01-01T00:00:00.000Z"});
  INFO("stdout: " << after.out << "\nstderr: " << after.err);
  CHECK(after.exit_code == 0);
  CHECK(contains(after.out, "event 1 signed_up"));
  CHECK(contains(after.out, "integrity: verified"));
}

TEST_CASE("cli: replay --config shows the states GET /v1/leads/{id}/replay shows, priority included",
          "[e2e][cli][audit]") {
  // Settings other than the built-in ones: a replay that ignored the config
  // would show other weights' score and the built-in rules version.
  server_options so;
  so.extra_toml =
      "[qualification]\nrules_version = \"2031-02-03-e2e\"\n"
      "[priority]\nweights = { reach = 5, engagement = 5, activity = 5, completeness = 85 }\n"
      "thresholds = { a = 20, b = 10 }\n";
  server_process srv(so);
  srv.start();
  const std::string lead = "cli-replay-" + unique_suffix();
  rapidjson::Document http_replay;
  {
    auto c = srv.client();
    // A phone: a lead with a contact channel is qualified, and so has a priority.
    const std::string body = R"({"event_id":"sg-)" + lead + R"(","lead_id":")" + lead +
                             R"(","occurred_at":"2026-11-28T12:00:00.000Z","email":")" + lead +
                             R"(@exemplo.com.br","name":"Ana","phone":"+5511912345678","country":"BR"})";
    REQUIRE(c.post_json("/v1/signups", body, ingest_token).status == 202);
    settle(c, lead);
    auto r = c.get("/v1/leads/" + lead + "/replay", audit_token);
    REQUIRE(r.status == 200);
    http_replay = parse_json(r.body);
  }
  REQUIRE(srv.stop() == 0);

  auto cli = run_leadbase({"replay", "--data", srv.data_dir().string(), "--config", srv.config_file().string(), lead});
  INFO("stdout: " << cli.out << "\nstderr: " << cli.err);
  REQUIRE(cli.exit_code == 0);
  // Each step's state is the line "  state: {...}".
  std::vector<rapidjson::Document> cli_states;
  std::istringstream lines(cli.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("  state: ", 0) == 0) cli_states.push_back(parse_json(line.substr(9)));
  const auto& steps = arr(http_replay, "steps");
  REQUIRE(cli_states.size() == steps.Size());
  REQUIRE(steps.Size() >= 2);  // signed up, then qualified: a priority to compare
  const auto& last = steps[steps.Size() - 1]["state"];
  REQUIRE(last["priority"].IsObject());
  CHECK(str(last["priority"], "rules_version") == "2031-02-03-e2e");
  for (rapidjson::SizeType i = 0; i < steps.Size(); ++i) {
    INFO("step " << i << ": http " << to_json(steps[i]["state"]) << "\ncli " << to_json(cli_states[i]));
    CHECK(cli_states[i] == steps[i]["state"]);
  }
}

TEST_CASE("cli: docs/cli.md lists every sub-command and every option of each", "[e2e][cli][docs]") {
  std::ifstream in(std::string(LEADBASE_SOURCE_DIR) + "/docs/cli.md");
  REQUIRE(in.good());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto help = run_leadbase({"--help"});
  REQUIRE(help.exit_code == 0);
  // The names under "Subcommands:", two spaces in, as CLI11 prints them.
  std::vector<std::string> commands;
  std::istringstream lines(help.out.substr(help.out.find("Subcommands:")));
  for (std::string line; std::getline(lines, line);)
    if (line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
  REQUIRE(commands.size() >= 6);
  for (const auto& cmd : commands) {
    INFO("`leadbase " << cmd << "` is missing from docs/cli.md");
    CHECK(contains(doc, "`leadbase " + cmd));
    auto sub = run_leadbase({cmd, "--help"});
    REQUIRE(sub.exit_code == 0);
    std::istringstream opts(sub.out);
    for (std::string line; std::getline(opts, line);) {
      auto at = line.find_first_not_of(' ');
      if (at != 2 || line.compare(2, 2, "--") != 0 || line.compare(2, 6, "--help") == 0) continue;
      std::string opt = line.substr(2, line.find_first_of(" {", 2) - 2);
      INFO("option " << opt << " of " << cmd << " is missing from docs/cli.md");
      CHECK(contains(doc, "`" + opt));
    }
  }
}
