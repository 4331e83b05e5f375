// app/config: parsing and validating the configuration file (docs/configuration.md).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "app/config.hpp"

using namespace leadbase;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

/// An environment with nothing set, so the developer's real one never leaks in.
const env_lookup no_env = [](const char*) -> const char* { return nullptr; };

/// The example of docs/configuration.md, with real-looking values.
const char* const api_md_example = R"toml(
data_dir = "./data"
listen   = "127.0.0.1:8080"

[auth]                       # bearer tokens; scopes: ingest, read, audit, admin, metrics
tokens = [
  { name = "platform", token = "platform-token-0123456789", scopes = ["ingest"] },
  { name = "sdr-team", token = "sdr-team-token-0123456789", scopes = ["read"] },
  { name = "auditor",  token = "auditor-token-0123456789",  scopes = ["read", "audit"] },
]

[durability]
sync = true                  # acknowledged = on disk (fsync, group commit)

[discovery.instagram]
base_url    = "https://graph.facebook.com/v21.0"   # or the simulator's http://127.0.0.1:PORT/v21.0
ig_user_id  = "17841400000000000"
access_token = "ig-access-token"           # or env LEADBASE_INSTAGRAM_TOKEN
media_limit = 12
timeout_ms  = 5000
max_in_flight = 32

[discovery.youtube]
base_url = "https://www.googleapis.com/youtube/v3"
api_key  = "yt-api-key"               # or env LEADBASE_YOUTUBE_KEY

[discovery.retry]
base_ms = 1000
cap_ms  = 300000
max_attempts = 6

[discovery.breaker]
window = 20
min_calls = 10
failure_ratio = 0.5
open_ms = 30000
half_open_calls = 3

[qualification]
disposable_domains_file = ""  # default list ships built in
internal_domains = []
served_countries = []         # empty = all
rules_version = "2026-11-01"

[priority]
weights = { reach = 40, engagement = 30, activity = 20, completeness = 10 }
thresholds = { a = 70, b = 40 }
refresh_days = 30
)toml";

/// A config with every key set to a value that differs from its default.
const char* const every_key_changed = R"toml(
data_dir = "/var/lib/leadbase"
listen   = "[::1]:9443"

[auth]
tokens = [
  { name = "ops", token = "ops-token-abcdefghijkl", scopes = ["admin", "metrics", "admin"] },
]

[durability]
sync = false

[discovery.instagram]
base_url      = "http://127.0.0.1:9090/v21.0/"
ig_user_id    = "42"
access_token  = "from-file"
media_limit   = 25
timeout_ms    = 1500
max_in_flight = 8

[discovery.youtube]
base_url      = "http://127.0.0.1:9090/youtube/v3"
api_key       = "yt-from-file"
timeout_ms    = 2500
max_in_flight = 4

[discovery.retry]
base_ms      = 200
cap_ms       = 10000
max_attempts = 3

[discovery.breaker]
window          = 50
min_calls       = 5
failure_ratio   = 1
open_ms         = 1000
half_open_calls = 1

[qualification]
disposable_domains_file = "/etc/leadbase/disposable.txt"
internal_domains = ["Example.COM", "corp.example.org"]
served_countries = ["de", "AT"]
rules_version    = "2027-01-01"

[priority]
weights      = { reach = 50, engagement = 25.5, activity = 0, completeness = 24.5 }
thresholds   = { a = 80, b = 80 }
refresh_days = 7

[actors]
passivate_after_ms = 5000
max_live_leads     = 1000
snapshot_every     = 10

[limits]
max_in_flight_appends = 100
max_connections       = 50
io_threads            = 4

[log]
level = "debug"

[journal]
max_batch = 64
)toml";

result<config> parse(const std::string& text) { return parse_config(text, "test.toml", no_env); }

/// Parses `text`, which must fail; returns the message.
std::string error_of(const std::string& text) {
  auto r = parse(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::validation);
  CHECK_THAT(r.err().message, StartsWith("config: "));
  return r.err().message;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("config: the docs/configuration.md example parses, every value lands in the struct", "[config]") {
  auto r = parse(api_md_example);
  INFO((r.ok() ? std::string{} : r.err().message));
  REQUIRE(r.ok());
  const config& c = *r;
  CHECK(c.data_dir == "./data");
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 8080);

  REQUIRE(c.tokens.size() == 3);
  CHECK(c.tokens[0].name == "platform");
  CHECK(c.tokens[0].token == "platform-token-0123456789");
  CHECK(c.tokens[0].scopes == std::set<std::string>{"ingest"});
  CHECK(c.tokens[1].name == "sdr-team");
  CHECK(c.tokens[1].scopes == std::set<std::string>{"read"});
  CHECK(c.tokens[2].name == "auditor");
  CHECK(c.tokens[2].token == "auditor-token-0123456789");
  CHECK(c.tokens[2].scopes == std::set<std::string>{"read", "audit"});
  CHECK(c.sync);

  REQUIRE(c.discovery.instagram.has_value());
  CHECK(c.discovery.instagram->base_url == "https://graph.facebook.com/v21.0");
  CHECK(c.discovery.instagram->ig_user_id == "17841400000000000");
  CHECK(c.discovery.instagram->access_token == "ig-access-token");
  CHECK(c.discovery.instagram->media_limit == 12);
  CHECK(c.discovery.instagram->timeout_ms == 5000);
  CHECK(c.discovery.instagram->max_in_flight == 32);
  REQUIRE(c.discovery.youtube.has_value());
  CHECK(c.discovery.youtube->base_url == "https://www.googleapis.com/youtube/v3");
  CHECK(c.discovery.youtube->api_key == "yt-api-key");
  CHECK(c.discovery.retry.base_ms == 1000);
  CHECK(c.discovery.retry.cap_ms == 300000);
  CHECK(c.discovery.retry.max_attempts == 6);
  CHECK(c.discovery.breaker.window == 20);
  CHECK(c.discovery.breaker.min_calls == 10);
  CHECK(c.discovery.breaker.failure_ratio == 0.5);
  CHECK(c.discovery.breaker.open_ms == 30000);
  CHECK(c.discovery.breaker.half_open_calls == 3);

  CHECK(c.qualification.disposable_domains_file.empty());
  CHECK(c.qualification.internal_domains.empty());
  CHECK(c.qualification.served_countries.empty());
  CHECK(c.qualification.rules_version == "2026-11-01");

  CHECK(c.priority.weight_reach == 40);
  CHECK(c.priority.weight_engagement == 30);
  CHECK(c.priority.weight_activity == 20);
  CHECK(c.priority.weight_completeness == 10);
  CHECK(c.priority.threshold_a == 70);
  CHECK(c.priority.threshold_b == 40);
  CHECK(c.priority.refresh_days == 30);

  CHECK(validate_for_serve(c).ok());
}

TEST_CASE("config: every key, changed from its default, lands in the struct", "[config]") {
  auto r = parse(every_key_changed);
  INFO((r.ok() ? std::string{} : r.err().message));
  REQUIRE(r.ok());
  const config& c = *r;
  CHECK(c.data_dir == "/var/lib/leadbase");
  CHECK(c.listen_host == "::1");
  CHECK(c.listen_port == 9443);
  REQUIRE(c.tokens.size() == 1);
  CHECK(c.tokens[0].scopes == std::set<std::string>{"admin", "metrics"});
  CHECK_FALSE(c.sync);

  REQUIRE(c.discovery.instagram);
  CHECK(c.discovery.instagram->base_url == "http://127.0.0.1:9090/v21.0");  // trailing '/' dropped
  CHECK(c.discovery.instagram->ig_user_id == "42");
  CHECK(c.discovery.instagram->access_token == "from-file");
  CHECK(c.discovery.instagram->media_limit == 25);
  CHECK(c.discovery.instagram->timeout_ms == 1500);
  CHECK(c.discovery.instagram->max_in_flight == 8);
  REQUIRE(c.discovery.youtube);
  CHECK(c.discovery.youtube->base_url == "http://127.0.0.1:9090/youtube/v3");
  CHECK(c.discovery.youtube->api_key == "yt-from-file");
  CHECK(c.discovery.youtube->timeout_ms == 2500);
  CHECK(c.discovery.youtube->max_in_flight == 4);
  CHECK(c.discovery.retry.base_ms == 200);
  CHECK(c.discovery.retry.cap_ms == 10000);
  CHECK(c.discovery.retry.max_attempts == 3);
  CHECK(c.discovery.breaker.window == 50);
  CHECK(c.discovery.breaker.min_calls == 5);
  CHECK(c.discovery.breaker.failure_ratio == 1.0);
  CHECK(c.discovery.breaker.open_ms == 1000);
  CHECK(c.discovery.breaker.half_open_calls == 1);

  CHECK(c.qualification.disposable_domains_file == "/etc/leadbase/disposable.txt");
  CHECK(c.qualification.internal_domains
        == std::vector<std::string>{"example.com", "corp.example.org"});  // lower-cased
  CHECK(c.qualification.served_countries == std::vector<std::string>{"DE", "AT"});  // upper-cased
  CHECK(c.qualification.rules_version == "2027-01-01");

  CHECK(c.priority.weight_reach == 50);
  CHECK(c.priority.weight_engagement == 25.5);
  CHECK(c.priority.weight_activity == 0);
  CHECK(c.priority.weight_completeness == 24.5);
  CHECK(c.priority.threshold_a == 80);
  CHECK(c.priority.threshold_b == 80);
  CHECK(c.priority.refresh_days == 7);

  CHECK(c.actors.passivate_after_ms == 5000);
  CHECK(c.actors.max_live_leads == 1000);
  CHECK(c.actors.snapshot_every == 10);
  CHECK(c.limits.max_in_flight_appends == 100);
  CHECK(c.limits.max_connections == 50);
  CHECK(c.limits.io_threads == 4);
  CHECK(c.log.level == "debug");
  CHECK(c.journal.max_batch == 64);
}

TEST_CASE("config: absent keys take their defaults", "[config]") {
  const config d;  // the struct's defaults
  auto check_defaults = [&](const config& c) {
    CHECK(c.data_dir == "./data");
    CHECK(c.listen_host == "127.0.0.1");
    CHECK(c.listen_port == 8080);
    CHECK(c.tokens.empty());
    CHECK(c.sync);
    CHECK_FALSE(c.discovery.instagram.has_value());  // provider off
    CHECK_FALSE(c.discovery.youtube.has_value());
    CHECK(c.discovery.retry.base_ms == 1000);
    CHECK(c.discovery.retry.cap_ms == 300000);
    CHECK(c.discovery.retry.max_attempts == 6);
    CHECK(c.discovery.breaker.window == 20);
    CHECK(c.discovery.breaker.min_calls == 10);
    CHECK(c.discovery.breaker.failure_ratio == 0.5);
    CHECK(c.discovery.breaker.open_ms == 30000);
    CHECK(c.discovery.breaker.half_open_calls == 3);
    CHECK(c.qualification.disposable_domains_file.empty());
    CHECK(c.qualification.internal_domains.empty());
    CHECK(c.qualification.served_countries.empty());
    CHECK(c.qualification.rules_version == "2026-11-01");
    CHECK(c.priority.weight_reach == 40);
    CHECK(c.priority.weight_engagement == 30);
    CHECK(c.priority.weight_activity == 20);
    CHECK(c.priority.weight_completeness == 10);
    CHECK(c.priority.threshold_a == 70);
    CHECK(c.priority.threshold_b == 40);
    CHECK(c.priority.refresh_days == 30);
    CHECK(c.actors.passivate_after_ms == 60000);
    CHECK(c.actors.max_live_leads == 20000);
    CHECK(c.actors.snapshot_every == 50);
    CHECK(c.limits.max_in_flight_appends == 20000);
    CHECK(c.limits.max_connections == 10000);
    CHECK(c.limits.io_threads == 2);
    CHECK(c.log.level == "info");
    CHECK(c.journal.max_batch == 4096);
  };
  check_defaults(d);

  SECTION("an empty file") {
    auto r = parse("");
    REQUIRE(r.ok());
    check_defaults(*r);
  }
  SECTION("empty sections") {
    auto r = parse("[auth]\n[durability]\n[discovery]\n[discovery.retry]\n[discovery.breaker]\n"
                   "[qualification]\n[priority]\n[actors]\n[limits]\n[log]\n[journal]\n");
    REQUIRE(r.ok());
    check_defaults(*r);
  }
  SECTION("a present but empty provider section turns the provider on with defaults") {
    auto r = parse("[discovery.instagram]\n[discovery.youtube]\n");
    REQUIRE(r.ok());
    REQUIRE(r->discovery.instagram);
    CHECK(r->discovery.instagram->base_url == "https://graph.facebook.com/v21.0");
    CHECK(r->discovery.instagram->ig_user_id == "17841400000000000");
    CHECK(r->discovery.instagram->media_limit == 12);
    CHECK(r->discovery.instagram->timeout_ms == 5000);
    CHECK(r->discovery.instagram->max_in_flight == 32);
    REQUIRE(r->discovery.youtube);
    CHECK(r->discovery.youtube->base_url == "https://www.googleapis.com/youtube/v3");
  }
  SECTION("part of a table keeps the rest at the default") {
    auto r = parse("[priority]\nweights = { reach = 60 }\nthresholds = { b = 30 }\n");
    REQUIRE(r.ok());
    CHECK(r->priority.weight_reach == 60);
    CHECK(r->priority.weight_engagement == 30);
    CHECK(r->priority.threshold_a == 70);
    CHECK(r->priority.threshold_b == 30);
  }
  SECTION("array-of-tables syntax for tokens") {
    auto r = parse("[[auth.tokens]]\nname = \"a\"\ntoken = \"aaaaaaaaaaaaaaaa\"\nscopes = [\"read\"]\n"
                   "[[auth.tokens]]\nname = \"b\"\ntoken = \"bbbbbbbbbbbbbbbb\"\nscopes = [\"ingest\"]\n");
    REQUIRE(r.ok());
    REQUIRE(r->tokens.size() == 2);
    CHECK(r->tokens[1].name == "b");
  }
}

TEST_CASE("config: no tokens loads, but serve refuses it", "[config]") {
  auto r = parse("data_dir = \"x\"\n");
  REQUIRE(r.ok());
  auto s = validate_for_serve(*r);
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code == errc::validation);
  CHECK_THAT(s.err().message, Contains("auth.tokens"));

  SECTION("an unreadable disposable_domains_file is refused too") {
    auto r2 = parse("[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] }]\n"
                    "[qualification]\ndisposable_domains_file = \"/nonexistent/leadbase/d.txt\"\n");
    REQUIRE(r2.ok());
    auto s2 = validate_for_serve(*r2);
    REQUIRE_FALSE(s2.ok());
    CHECK_THAT(s2.err().message, Contains("qualification.disposable_domains_file"));
  }
}

TEST_CASE("config: the listen address", "[config]") {
  auto ok = [](const char* text, const char* host, uint16_t port) {
    auto r = parse_listen(text);
    INFO(text);
    REQUIRE(r.ok());
    CHECK(r->host == host);
    CHECK(r->port == port);
  };
  ok("127.0.0.1:8080", "127.0.0.1", 8080);
  ok("[::1]:8080", "::1", 8080);
  ok("0.0.0.0:1", "0.0.0.0", 1);
  ok("localhost:65535", "localhost", 65535);
  ok("[fe80::1:2]:443", "fe80::1:2", 443);

  for (const char* bad : {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
                          "127.0.0.1:65536", "127.0.0.1:123456", "127.0.0.1:80x", "127.0.0.1:-1",
                          "::1:8080", "[::1]8080", "[::1]", "[]:80", "[zz::1]:80", "a b:80",
                          "127.0.0.1:+80"}) {
    INFO(bad);
    auto r = parse_listen(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    auto m = error_of(std::string{"listen = \""} + bad + "\"");
    CHECK_THAT(m, StartsWith("config: listen: "));
  }
  CHECK_THAT(error_of("listen = \"127.0.0.1:70000\""), Contains("65535"));
  CHECK_THAT(error_of("listen = \"::1:80\""), Contains("brackets"));
}

TEST_CASE("config: an impossible value names its key", "[config]") {
  const std::string tok = "token = \"tttttttttttttttt\"";
  struct bad_case {
    std::string toml;
    std::string key;
  };
  const bad_case cases[] = {
      {"data_dir = \"\"", "data_dir"},
      {"listen = \"127.0.0.1:99999\"", "listen"},
      {"listen = \"nonsense\"", "listen"},
      {"[auth]\ntokens = [{ name = \"a\", token = \"short\", scopes = [\"read\"] }]",
       "auth.tokens[0].token"},
      {"[auth]\ntokens = [{ name = \"a\", token = \"has spaces in it 1234\", scopes = [\"read\"] }]",
       "auth.tokens[0].token"},
      {"[auth]\ntokens = [{ name = \"a\", " + tok + ", scopes = [\"read\", \"write\"] }]",
       "auth.tokens[0].scopes[1]"},
      {"[auth]\ntokens = [{ name = \"a\", " + tok + ", scopes = [] }]", "auth.tokens[0].scopes"},
      {"[auth]\ntokens = [{ name = \"\", " + tok + ", scopes = [\"read\"] }]", "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ " + tok + ", scopes = [\"read\"] }]", "auth.tokens[0].name"},
      // A token's name is the person claims and contacts name: the owner rules.
      {"[auth]\ntokens = [{ name = \" \\u00A0\\u3000\", " + tok + ", scopes = [\"work\"] }]", "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ name = \"me\", " + tok + ", scopes = [\"work\"] }]", "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ name = \"none\", " + tok + ", scopes = [\"work\"] }]", "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ name = \"" + std::string(201, 'x') + "\", " + tok + ", scopes = [\"work\"] }]",
       "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ name = \"a\\u0007b\", " + tok + ", scopes = [\"work\"] }]", "auth.tokens[0].name"},
      {"[auth]\ntokens = [{ name = \"a\", scopes = [\"read\"] }]", "auth.tokens[0].token"},
      {"[auth]\ntokens = [{ name = \"a\", " + tok + " }]", "auth.tokens[0].scopes"},
      {"[auth]\ntokens = [\n{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] },\n"
       "{ name = \"a\", token = \"bbbbbbbbbbbbbbbb\", scopes = [\"read\"] }]",
       "auth.tokens[1].name"},
      {"[auth]\ntokens = [\n{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] },\n"
       "{ name = \"b\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] }]",
       "auth.tokens[1].token"},
      {"[discovery.instagram]\nmedia_limit = 0", "discovery.instagram.media_limit"},
      {"[discovery.instagram]\nmedia_limit = 101", "discovery.instagram.media_limit"},
      {"[discovery.instagram]\ntimeout_ms = 0", "discovery.instagram.timeout_ms"},
      {"[discovery.instagram]\ntimeout_ms = -5", "discovery.instagram.timeout_ms"},
      {"[discovery.instagram]\ntimeout_ms = 4294967296", "discovery.instagram.timeout_ms"},
      {"[discovery.instagram]\nmax_in_flight = 0", "discovery.instagram.max_in_flight"},
      {"[discovery.instagram]\nbase_url = \"ftp://x\"", "discovery.instagram.base_url"},
      {"[discovery.instagram]\nbase_url = \"\"", "discovery.instagram.base_url"},
      {"[discovery.instagram]\nig_user_id = \"\"", "discovery.instagram.ig_user_id"},
      {"[discovery.instagram]\nig_user_id = \"1/2\"", "discovery.instagram.ig_user_id"},
      {"[discovery.youtube]\ntimeout_ms = 0", "discovery.youtube.timeout_ms"},
      {"[discovery.youtube]\nmax_in_flight = 0", "discovery.youtube.max_in_flight"},
      {"[discovery.youtube]\nbase_url = \"googleapis.com\"", "discovery.youtube.base_url"},
      {"[discovery.retry]\nbase_ms = 0", "discovery.retry.base_ms"},
      {"[discovery.retry]\nbase_ms = 5000\ncap_ms = 1000", "discovery.retry.cap_ms"},
      {"[discovery.retry]\ncap_ms = 500", "discovery.retry.cap_ms"},
      {"[discovery.retry]\nmax_attempts = 0", "discovery.retry.max_attempts"},
      {"[discovery.breaker]\nfailure_ratio = 0", "discovery.breaker.failure_ratio"},
      {"[discovery.breaker]\nfailure_ratio = 0.0", "discovery.breaker.failure_ratio"},
      {"[discovery.breaker]\nfailure_ratio = 1.5", "discovery.breaker.failure_ratio"},
      {"[discovery.breaker]\nfailure_ratio = -0.1", "discovery.breaker.failure_ratio"},
      {"[discovery.breaker]\nfailure_ratio = nan", "discovery.breaker.failure_ratio"},
      {"[discovery.breaker]\nwindow = 0", "discovery.breaker.window"},
      {"[discovery.breaker]\nmin_calls = 0", "discovery.breaker.min_calls"},
      {"[discovery.breaker]\nwindow = 5\nmin_calls = 6", "discovery.breaker.min_calls"},
      {"[discovery.breaker]\nopen_ms = 0", "discovery.breaker.open_ms"},
      {"[discovery.breaker]\nhalf_open_calls = 0", "discovery.breaker.half_open_calls"},
      {"[qualification]\nrules_version = \"\"", "qualification.rules_version"},
      {"[qualification]\ninternal_domains = [\"ok.com\", \"not a domain\"]",
       "qualification.internal_domains[1]"},
      {"[qualification]\nserved_countries = [\"DEU\"]", "qualification.served_countries[0]"},
      {"[priority]\nweights = { reach = -1 }", "priority.weights.reach"},
      {"[priority]\nweights = { engagement = -0.5 }", "priority.weights.engagement"},
      {"[priority]\nweights = { activity = inf }", "priority.weights.activity"},
      {"[priority]\nweights = { completeness = -10 }", "priority.weights.completeness"},
      {"[priority]\nweights = { reach = 0, engagement = 0, activity = 0, completeness = 0 }",
       "priority.weights"},
      {"[priority]\nthresholds = { a = 40, b = 70 }", "priority.thresholds.b"},
      {"[priority]\nthresholds = { b = 71 }", "priority.thresholds.b"},
      {"[priority]\nthresholds = { a = 101 }", "priority.thresholds.a"},
      {"[priority]\nthresholds = { b = -1 }", "priority.thresholds.b"},
      {"[priority]\nrefresh_days = 0", "priority.refresh_days"},
      {"[actors]\npassivate_after_ms = 0", "actors.passivate_after_ms"},
      {"[actors]\nmax_live_leads = 0", "actors.max_live_leads"},
      {"[actors]\nsnapshot_every = 0", "actors.snapshot_every"},
      {"[limits]\nmax_in_flight_appends = 0", "limits.max_in_flight_appends"},
      {"[limits]\nmax_connections = 0", "limits.max_connections"},
      {"[limits]\nio_threads = 0", "limits.io_threads"},
      {"[limits]\nio_threads = 1000", "limits.io_threads"},
      {"[log]\nlevel = \"verbose\"", "log.level"},
      {"[log]\nlevel = \"INFO\"", "log.level"},
      {"[journal]\nmax_batch = 0", "journal.max_batch"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    auto m = error_of(c.toml);
    CHECK_THAT(m, StartsWith("config: " + c.key + ": "));
  }
  CHECK(error_of("[discovery.retry]\nbase_ms = 5000\ncap_ms = 1000")
        == "config: discovery.retry.cap_ms: must be >= base_ms (5000), got 1000");
  CHECK_THAT(error_of("[auth]\ntokens = [{ name = \"a\", " + tok + ", scopes = [\"write\"] }]"),
             Contains("unknown scope 'write'"));
  // the secret itself never appears in a message
  auto dup = error_of("[auth]\ntokens = [\n{ name = \"a\", token = \"secretsecretsecret\", scopes = [\"read\"] },\n"
                      "{ name = \"b\", token = \"secretsecretsecret\", scopes = [\"read\"] }]");
  CHECK_THAT(dup, !Contains("secretsecretsecret") && Contains("auth.tokens[0]"));
}

TEST_CASE("config: a wrong type names the key and the expected type", "[config]") {
  struct bad_case {
    std::string toml, key, expected;
  };
  const bad_case cases[] = {
      {"data_dir = 5", "data_dir", "a string"},
      {"listen = 8080", "listen", "a string"},
      {"auth = 1", "auth", "a table"},
      {"[auth]\ntokens = \"x\"", "auth.tokens", "an array"},
      {"[auth]\ntokens = [\"x\"]", "auth.tokens[0]", "a table"},
      {"[auth]\ntokens = [{ name = 1, token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] }]",
       "auth.tokens[0].name", "a string"},
      {"[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = \"read\" }]",
       "auth.tokens[0].scopes", "an array"},
      {"[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [1] }]",
       "auth.tokens[0].scopes[0]", "a string"},
      {"[durability]\nsync = \"yes\"", "durability.sync", "a boolean"},
      {"[durability]\nsync = 1", "durability.sync", "a boolean"},
      {"discovery = []", "discovery", "a table"},
      {"[discovery]\ninstagram = true", "discovery.instagram", "a table"},
      {"[discovery.instagram]\ntimeout_ms = \"5000\"", "discovery.instagram.timeout_ms",
       "an integer"},
      {"[discovery.instagram]\nmedia_limit = 12.0", "discovery.instagram.media_limit",
       "an integer"},
      {"[discovery.instagram]\naccess_token = 42", "discovery.instagram.access_token", "a string"},
      {"[discovery.youtube]\napi_key = false", "discovery.youtube.api_key", "a string"},
      {"[discovery.retry]\ncap_ms = 1979-05-27", "discovery.retry.cap_ms", "an integer"},
      {"[discovery.breaker]\nfailure_ratio = \"0.5\"", "discovery.breaker.failure_ratio",
       "a number"},
      {"[qualification]\ninternal_domains = \"example.com\"", "qualification.internal_domains",
       "an array"},
      {"[qualification]\nserved_countries = [1]", "qualification.served_countries[0]", "a string"},
      {"[qualification]\nrules_version = 2026", "qualification.rules_version", "a string"},
      {"[priority]\nweights = [40, 30, 20, 10]", "priority.weights", "a table"},
      {"[priority]\nweights = { reach = \"40\" }", "priority.weights.reach", "a number"},
      {"[priority]\nthresholds = { a = true }", "priority.thresholds.a", "a number"},
      {"[priority]\nrefresh_days = 30.5", "priority.refresh_days", "an integer"},
      {"[actors]\nsnapshot_every = \"50\"", "actors.snapshot_every", "an integer"},
      {"[limits]\nio_threads = 2.0", "limits.io_threads", "an integer"},
      {"[log]\nlevel = 3", "log.level", "a string"},
      {"log = \"info\"", "log", "a table"},
      {"[journal]\nmax_batch = [1]", "journal.max_batch", "an integer"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    auto m = error_of(c.toml);
    CHECK_THAT(m, StartsWith("config: " + c.key + ": expected " + c.expected));
  }
  CHECK(error_of("[durability]\nsync = \"yes\"")
        == "config: durability.sync: expected a boolean, got a string");
}

TEST_CASE("config: an unknown key anywhere is named by its full path", "[config]") {
  const std::pair<std::string, std::string> cases[] = {
      {"data_dirr = \"x\"", "data_dirr"},
      {"[server]\nport = 1", "server"},
      {"[auth]\nusers = []", "auth.users"},
      {"[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"], "
       "expires = 1 }]",
       "auth.tokens[0].expires"},
      {"[durability]\nfsync = true", "durability.fsync"},
      {"[discovery.tiktok]\nbase_url = \"x\"", "discovery.tiktok"},
      {"[discovery.instagram]\ntimout_ms = 5000", "discovery.instagram.timout_ms"},
      {"[discovery.youtube]\nmedia_limit = 5", "discovery.youtube.media_limit"},
      {"[discovery.retry]\njitter = true", "discovery.retry.jitter"},
      {"[discovery.breaker]\nratio = 0.5", "discovery.breaker.ratio"},
      {"[qualification]\ncountries = []", "qualification.countries"},
      {"[priority]\nweights = { reach = 40, followers = 1 }", "priority.weights.followers"},
      {"[priority.thresholds]\nc = 10", "priority.thresholds.c"},
      {"[priority]\nrefresh = 1", "priority.refresh"},
      {"[actors]\nsnapshot = 1", "actors.snapshot"},
      {"[limits]\nthreads = 1", "limits.threads"},
      {"[log]\nformat = \"json\"", "log.format"},
      {"[journal]\nbatch = 1", "journal.batch"},
      {"[discovery.instagram]\n\"odd key\" = 1", "discovery.instagram.\"odd key\""},
  };
  for (const auto& [toml, key] : cases) {
    INFO(toml);
    auto m = error_of(toml);
    CHECK_THAT(m, StartsWith("config: unknown key '" + key + "'"));
  }
  CHECK(error_of("[discovery.instagram]\ntimout_ms = 5000")
        == "config: unknown key 'discovery.instagram.timout_ms' (did you mean 'timeout_ms'?)");
}

TEST_CASE("config: secrets from the environment", "[config]") {
  std::map<std::string, std::string> vars{{"LEADBASE_INSTAGRAM_TOKEN", "ig-from-env"},
                                          {"LEADBASE_YOUTUBE_KEY", "yt-from-env"}};
  env_lookup env = [&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };

  SECTION("fill empty secrets of enabled providers") {
    auto r = parse_config("[discovery.instagram]\naccess_token = \"\"\n[discovery.youtube]\n", "t",
                          env);
    REQUIRE(r.ok());
    CHECK(r->discovery.instagram->access_token == "ig-from-env");
    CHECK(r->discovery.youtube->api_key == "yt-from-env");
  }
  SECTION("the file wins when it sets the secret") {
    auto r = parse_config("[discovery.instagram]\naccess_token = \"file\"\n"
                          "[discovery.youtube]\napi_key = \"file-key\"\n",
                          "t", env);
    REQUIRE(r.ok());
    CHECK(r->discovery.instagram->access_token == "file");
    CHECK(r->discovery.youtube->api_key == "file-key");
  }
  SECTION("the environment does not turn on an absent provider") {
    auto r = parse_config("", "t", env);
    REQUIRE(r.ok());
    CHECK_FALSE(r->discovery.instagram);
    CHECK_FALSE(r->discovery.youtube);
  }
  SECTION("unset variables leave the secrets empty") {
    auto r = parse_config("[discovery.instagram]\n[discovery.youtube]\n", "t", no_env);
    REQUIRE(r.ok());
    CHECK(r->discovery.instagram->access_token.empty());
    CHECK(r->discovery.youtube->api_key.empty());
  }
}

TEST_CASE("config: a syntax error gives the line and column", "[config]") {
  auto r = parse_config("data_dir = \"./data\"\nlisten = \"127.0.0.1:8080\n", "my.toml", no_env);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::validation);
  CHECK_THAT(r.err().message, StartsWith("config: syntax error at my.toml:2:"));

  auto dup = parse_config("[log]\nlevel = \"info\"\nlevel = \"debug\"\n", "dup.toml", no_env);
  REQUIRE_FALSE(dup.ok());
  CHECK_THAT(dup.err().message, StartsWith("config: syntax error at dup.toml:3:9: "));

  auto bare = parse_config("= 1\n", "", no_env);
  REQUIRE_FALSE(bare.ok());
  CHECK_THAT(bare.err().message, Contains("1:1"));
}

TEST_CASE("config: load_config reads a file", "[config]") {
  SECTION("missing file") {
    auto r = load_config("/nonexistent/leadbase.toml", no_env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::validation);
    CHECK_THAT(r.err().message, Contains("/nonexistent/leadbase.toml"));
  }
  SECTION("a file with a syntax error names the file") {
    char name[] = "/tmp/leadbase-config-test-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    std::FILE* f = fdopen(fd, "w");
    std::fputs("listen = \n", f);
    std::fclose(f);
    auto r = load_config(name, no_env);
    std::remove(name);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.err().message, Contains(std::string{name} + ":1:"));
  }
}

TEST_CASE("config: the dev config file equals default_config_toml() and parses", "[config]") {
  const std::string path = std::string{LEADBASE_SOURCE_DIR} + "/config/leadbase.dev.toml";
  CHECK(read_file(path) == default_config_toml());

  auto r = load_config(path, no_env);
  INFO((r.ok() ? std::string{} : r.err().message));
  REQUIRE(r.ok());
  const config& c = *r;
  CHECK(validate_for_serve(c).ok());
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 8080);
  REQUIRE(c.tokens.size() == 6);
  std::map<std::string, token_entry> by_token;
  for (const auto& t : c.tokens)
    by_token[t.token] = t;
  CHECK(by_token.at("dev-platform-token-0001").scopes == std::set<std::string>{"ingest"});
  CHECK(by_token.at("dev-sdr-token-0001").scopes == std::set<std::string>{"read"});
  CHECK(by_token.at("dev-auditor-token-0001").scopes == std::set<std::string>{"read", "audit"});
  CHECK(by_token.at("dev-admin-token-0001").scopes
        == std::set<std::string>{"admin", "read", "audit", "metrics", "work"});
  CHECK(by_token.at("dev-ana-token-0001").scopes == std::set<std::string>{"read", "work"});
  CHECK(by_token.at("dev-bia-token-0001").scopes == std::set<std::string>{"read", "work"});
  REQUIRE(c.discovery.instagram);
  CHECK(c.discovery.instagram->base_url == "http://127.0.0.1:9090/v21.0");
  REQUIRE(c.discovery.youtube);
  CHECK(c.discovery.youtube->base_url == "http://127.0.0.1:9090/youtube/v3");

  // The dev file's values equal the documented defaults, apart from what is
  // deliberately local: tokens, simulator URLs and dev secrets.
  const config d;
  CHECK(c.data_dir == d.data_dir);
  CHECK(c.sync == d.sync);
  CHECK(c.discovery.retry.cap_ms == d.discovery.retry.cap_ms);
  CHECK(c.discovery.breaker.failure_ratio == d.discovery.breaker.failure_ratio);
  CHECK(c.priority.weight_reach == d.priority.weight_reach);
  CHECK(c.actors.snapshot_every == d.actors.snapshot_every);
  CHECK(c.limits.max_in_flight_appends == d.limits.max_in_flight_appends);
  CHECK(c.log.level == d.log.level);
  CHECK(c.journal.max_batch == d.journal.max_batch);
  CHECK(c.work.claim_ttl_hours == d.work.claim_ttl_hours);
}

TEST_CASE("config: work.claim_ttl_hours, fractional, within (0, 87600]", "[config][work]") {
  const std::string auth = "[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"work\"] }]\n";
  auto dflt = parse_config(auth, "test");
  REQUIRE(dflt);
  CHECK(dflt->work.claim_ttl_hours == 24);
  auto half = parse_config(auth + "[work]\nclaim_ttl_hours = 0.5\n", "test");
  REQUIRE(half);
  CHECK(half->work.claim_ttl_hours == 0.5);
  auto whole = parse_config(auth + "[work]\nclaim_ttl_hours = 48\n", "test");
  REQUIRE(whole);
  CHECK(whole->work.claim_ttl_hours == 48);
  for (const char* bad : {"0", "-1", "87601", "\"24\"", "nan"}) {
    INFO(bad);
    auto r = parse_config(auth + "[work]\nclaim_ttl_hours = " + bad + "\n", "test");
    REQUIRE_FALSE(r);
    CHECK(r.err().message.find("work.claim_ttl_hours") != std::string::npos);
  }
  auto unknown = parse_config(auth + "[work]\nclaim_ttl = 1\n", "test");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.err().message.find("work.claim_ttl") != std::string::npos);
}

// -- refusals at start-up (issue 10, item 14) -------------------------------------

namespace {

const std::string one_token =
    "[auth]\ntokens = [{ name = \"a\", token = \"aaaaaaaaaaaaaaaa\", scopes = [\"read\"] }]\n";

/// validate_for_serve of `text` parsed with `env`; the error message, "" when it passes.
std::string serve_error(const std::string& text, const env_lookup& env = no_env) {
  auto r = parse_config(text, "test.toml", env);
  INFO((r.ok() ? std::string{} : r.err().message));
  REQUIRE(r.ok());
  auto s = validate_for_serve(*r);
  if (s.ok())
    return {};
  CHECK(s.err().code == errc::validation);
  return s.err().message;
}

env_lookup env_with(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

} // namespace

TEST_CASE("config: an enabled provider without its secret stops start-up, naming the key", "[config][secrets]") {
  SECTION("instagram without access_token, in the file or the environment") {
    std::string msg = serve_error(one_token + "[discovery.instagram]\nig_user_id = \"42\"\n");
    CHECK_THAT(msg, StartsWith("config: discovery.instagram.access_token: "));
    CHECK_THAT(msg, Contains("LEADBASE_INSTAGRAM_TOKEN"));
    CHECK_THAT(serve_error(one_token + "[discovery.instagram]\naccess_token = \"\"\n"),
               StartsWith("config: discovery.instagram.access_token: "));
  }
  SECTION("youtube without api_key, in the file or the environment") {
    std::string msg = serve_error(one_token + "[discovery.youtube]\n");
    CHECK_THAT(msg, StartsWith("config: discovery.youtube.api_key: "));
    CHECK_THAT(msg, Contains("LEADBASE_YOUTUBE_KEY"));
  }
  SECTION("instagram without an account id") {
    auto r = parse(one_token + "[discovery.instagram]\naccess_token = \"t\"\nig_user_id = \"\"\n");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.err().message, StartsWith("config: discovery.instagram.ig_user_id: "));
  }
  SECTION("the environment counts") {
    CHECK(serve_error(one_token + "[discovery.instagram]\n[discovery.youtube]\n",
                      env_with({{"LEADBASE_INSTAGRAM_TOKEN", "ig-from-env"}, {"LEADBASE_YOUTUBE_KEY", "yt-env"}}))
              .empty());
    // One of the two set is not enough.
    CHECK_THAT(serve_error(one_token + "[discovery.instagram]\n[discovery.youtube]\n",
                           env_with({{"LEADBASE_INSTAGRAM_TOKEN", "ig-from-env"}})),
               StartsWith("config: discovery.youtube.api_key: "));
  }
  SECTION("a provider that is off needs nothing") {
    CHECK(serve_error(one_token).empty());
    CHECK(serve_error(one_token + "[discovery.retry]\nbase_ms = 5\n").empty());
  }
}

TEST_CASE("config: a file named by a key is size-bounded and must be a regular file", "[config][files]") {
  char name[] = "/tmp/leadbase-domains-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  std::FILE* f = fdopen(fd, "w");
  std::fputs("mailinator.com\n", f);
  std::fclose(f);
  const std::string path = name;
  const std::string text = one_token + "[qualification]\ndisposable_domains_file = \"" + path + "\"\n";

  CHECK(serve_error(text).empty());
  // One byte over the bound (a sparse file: nothing is written).
  std::filesystem::resize_file(path, max_domain_list_bytes + 1);
  std::string msg = serve_error(text);
  CHECK_THAT(msg, StartsWith("config: qualification.disposable_domains_file: "));
  CHECK_THAT(msg, Contains(std::to_string(max_domain_list_bytes)));
  std::filesystem::resize_file(path, max_domain_list_bytes);
  CHECK(serve_error(text).empty());
  std::remove(name);

  // A device would be read for ever.
  CHECK_THAT(serve_error(one_token + "[qualification]\ndisposable_domains_file = \"/dev/zero\"\n"),
             StartsWith("config: qualification.disposable_domains_file: "));
  CHECK_THAT(serve_error(one_token + "[qualification]\ndisposable_domains_file = \"/tmp\"\n"),
             StartsWith("config: qualification.disposable_domains_file: "));
}

TEST_CASE("config: the configuration file itself is size-bounded", "[config][files]") {
  auto r = load_config("/dev/zero", no_env);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.err().message, Contains("/dev/zero"));
}

TEST_CASE("config: rules_version obeys the length and text rules of events", "[config]") {
  CHECK(parse("[qualification]\nrules_version = \"" + std::string(64, 'v') + "\"\n").ok());
  CHECK(parse("[qualification]\nrules_version = \"2026-11-01 \\u00e9dition\"\n").ok());
  for (const std::string& bad : {"\"" + std::string(65, 'v') + "\"",          // 65 characters
                                 std::string("\"2026\\u0007\""),                 // a control character
                                 std::string("\"2026\\u202e10-11\""),           // a bidi override
                                 std::string("\"2026\\u200b\""),                // zero-width space
                                 std::string("\"\\u0085x\"")}) {                // C1
    INFO(bad);
    CHECK_THAT(error_of("[qualification]\nrules_version = " + bad + "\n"),
               StartsWith("config: qualification.rules_version: "));
  }
}
