// The repository's documents stay true to the code: every HTTP route the
// server registers is in docs/http-api.md, every key the config loader
// accepts is in docs/configuration.md, every shipped alert is in
// docs/domain.md; the README and docs/ link only to files of this
// repository, and every relative link resolves.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/config.hpp"
#include "http/api.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path source_dir{LEADBASE_SOURCE_DIR};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  INFO("reading " << p);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> markdown_files() {
  std::vector<fs::path> out{source_dir / "README.md"};
  for (const auto& e : fs::recursive_directory_iterator(source_dir / "docs"))
    if (e.is_regular_file() && e.path().extension() == ".md") out.push_back(e.path());
  return out;
}

} // namespace

TEST_CASE("docs: every route the server registers is in docs/http-api.md", "[docs]") {
  const std::string doc = read_text(source_dir / "docs/http-api.md");
  leadbase::http::api_context ctx;
  leadbase::http::router r = leadbase::http::make_api_router(ctx);
  std::vector<std::string> routes;
  for (const auto& rt : r.routes()) routes.push_back(rt.method + " " + rt.pattern);
  routes.push_back("GET /healthz");  // added by the server itself
  routes.push_back("GET /readyz");
  REQUIRE(routes.size() > 5);
  for (const auto& route : routes) {
    INFO("`" << route << "` is missing from docs/http-api.md");
    CHECK(doc.find("`" + route + "`") != std::string::npos);
  }
}

TEST_CASE("docs: known_config_keys lists the loader's keys, leaves only", "[docs][config]") {
  auto keys = leadbase::known_config_keys();
  auto has = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  CHECK(has("data_dir"));
  CHECK(has("listen"));
  CHECK(has("auth.tokens[].name"));
  CHECK(has("auth.tokens[].scopes"));
  CHECK(has("discovery.instagram.access_token"));
  CHECK(has("discovery.breaker.half_open_calls"));
  CHECK(has("priority.weights.reach"));
  CHECK(has("log.level"));
  CHECK(has("journal.max_batch"));
  // Tables are named by their keys.
  CHECK_FALSE(has("discovery"));
  CHECK_FALSE(has("discovery.instagram"));
  CHECK_FALSE(has("priority.weights"));
  CHECK_FALSE(has("auth.tokens"));
  // Each one is accepted by the loader: a file that sets it (to a wrong
  // type) is refused for its type, never as an unknown key.
  for (const auto& k : keys) {
    if (k.find('[') != std::string::npos) continue;
    auto dot = k.rfind('.');
    std::string toml = dot == std::string::npos ? k + " = {}\n"
                                                : "[" + k.substr(0, dot) + "]\n" + k.substr(dot + 1) + " = {}\n";
    auto cfg = leadbase::parse_config(toml, "test");
    INFO(k << ": " << (cfg ? std::string("accepted") : cfg.err().message));
    CHECK((!cfg && cfg.err().message.find("unknown key") == std::string::npos));
  }
}

TEST_CASE("docs: every config key the loader accepts is in docs/configuration.md", "[docs][config]") {
  const std::string doc = read_text(source_dir / "docs/configuration.md");
  auto keys = leadbase::known_config_keys();
  REQUIRE(keys.size() > 30);
  for (const auto& k : keys) {
    INFO("`" << k << "` is missing from docs/configuration.md");
    CHECK(doc.find("`" + k + "`") != std::string::npos);
  }
}

TEST_CASE("docs: every alert of deploy/prometheus/leadbase-alerts.yml is in docs/domain.md", "[docs]") {
  const std::string rules = read_text(source_dir / "deploy/prometheus/leadbase-alerts.yml");
  const std::string doc = read_text(source_dir / "docs/domain.md");
  std::regex alert_line(R"(^\s*-\s*alert:\s*([A-Za-z0-9_]+)\s*$)");
  std::vector<std::string> alerts;
  std::istringstream in(rules);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, alert_line)) alerts.push_back(m[1]);
  }
  REQUIRE(alerts.size() >= 7);
  for (const auto& a : alerts) {
    INFO("alert " << a << " is missing from docs/domain.md");
    CHECK(doc.find("`" + a + "`") != std::string::npos);
  }
}

TEST_CASE("docs: README and docs/ link only to files of this repository, and each exists", "[docs]") {
  std::regex link(R"(\]\(([^)#\s]+)(#[^)]*)?\))");
  for (const auto& file : markdown_files()) {
    const std::string text = read_text(file);
    INFO(file);
    // The design inputs outside this repository are not part of a clone.
    CHECK(text.find("../shared") == std::string::npos);
    CHECK(text.find("/work/") == std::string::npos);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) continue;
      INFO("link " << target);
      CHECK(fs::exists(file.parent_path() / target));
    }
  }
}
