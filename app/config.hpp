#pragma once
// The configuration file (docs/configuration.md), parsed and
// validated in one place. The option structs of the other layers are composed
// here, not redefined: discovery::options, qualification_options,
// priority_options.
//
// Operation: parse_config() reads TOML text into a `config`, starting from the
// defaults below; every key is optional except that `serve` needs at least one
// token (validate_for_serve). The first problem found stops the parse and is
// returned as errc::validation with a message that names the key by its full
// dotted path, e.g.
//   config: discovery.retry.cap_ms: must be >= base_ms
//   config: unknown key 'discovery.instagram.timout_ms' (did you mean 'timeout_ms'?)
//   config: auth.tokens[1].token: must be at least 16 characters
//   config: syntax error at leadbase.toml:3:7: ...
// Limitations: toml++ is used only inside app/config.cpp (via app/config_reader.hpp; header-only,
// TOML_EXCEPTIONS 0); nothing here throws.
#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/options.hpp"
#include "events/errc.hpp"
#include "events/qualification_options.hpp"
#include "projections/priority_options.hpp"

namespace leadbase {

/// The scopes a bearer token may carry ([auth] tokens = [{ scopes = [...] }]).
inline constexpr std::array<std::string_view, 6> known_scopes{"ingest", "read", "work", "audit", "admin",
                                                              "metrics"};

/// The log levels accepted by [log] level (spdlog's names).
inline constexpr std::array<std::string_view, 7> known_log_levels{
    "trace", "debug", "info", "warn", "error", "critical", "off"};

/// One entry of [auth] tokens.
struct token_entry {
  std::string name, token;          // both unique across the list; token >= 16 chars
  std::set<std::string> scopes;     // non-empty subset of known_scopes
};

/// [actors] — lead actor lifetime.
struct actor_options {
  uint32_t passivate_after_ms = 60000;  // an idle lead actor stops after this
  uint32_t max_live_leads = 20000;      // live lead actors before the idlest are passivated
  uint32_t snapshot_every = 50;         // events between two snapshots of a lead
};

/// [limits] — back-pressure and threads.
struct limits_options {
  uint32_t max_in_flight_appends = 20000;  // beyond this, ingest answers 503 + Retry-After
  uint32_t max_connections = 10000;        // concurrent HTTP connections
  uint32_t io_threads = 2;                 // HTTP io_context threads (1..256)
  uint32_t header_timeout_ms = 5000;       // a request header must be complete by then, else closed
  uint32_t idle_timeout_ms = 30000;        // an idle keep-alive connection is closed after this
  uint32_t max_body_bytes_in_flight = 64u << 20;     // request bodies held at once; beyond, 503
  uint32_t max_output_bytes_in_flight = 256u << 20;  // answer bytes clients have not taken; beyond, 503
  uint32_t max_stream_subscribers = 1000;  // GET /v1/feed/stream at once; beyond, 503
};

/// [storage] — the event log's share of the machine.
struct storage_options {
  uint32_t max_open_files = 512;     // table files RocksDB keeps open (counted in the descriptor budget)
  uint32_t min_free_disk_mb = 256;   // start-up, verify and erasures refuse with less free space; 0: no check
};

/// [log]
struct log_options {
  std::string level = "info";  // one of known_log_levels
};

/// [journal] — group commit.
struct journal_options {
  uint32_t max_batch = 4096;  // events per synced WriteBatch at most
};

/// [backup] — online backups (POST /v1/admin/backups).
struct backup_options {
  std::string dir = "./backups";  // one sub-directory per backup (storage/backup.hpp)
  uint32_t keep = 7;              // newest verified backups kept; older ones pruned after a new one verified
};

/// [work] — working the leads (docs/domain.md "Working the leads").
struct work_options {
  double claim_ttl_hours = 24;  // a claim with no contact by its owner lapses after this (fractional allowed)
};

/// Everything in the configuration file, with its defaults.
struct config {
  std::string data_dir = "./data";
  std::string listen_host = "127.0.0.1";  // from listen = "HOST:PORT" or "[V6]:PORT"
  uint16_t listen_port = 8080;
  std::vector<token_entry> tokens;         // [auth] tokens; no default
  bool sync = true;                        // [durability] sync
  leadbase::discovery::options discovery;  // [discovery.*]; absent provider section = off
  qualification_options qualification;     // [qualification]
  priority_options priority;               // [priority]
  actor_options actors;                    // [actors]
  limits_options limits;                   // [limits]
  storage_options storage;                 // [storage]
  log_options log;                         // [log]
  journal_options journal;                 // [journal]
  backup_options backup;                   // [backup]
  work_options work;                       // [work]
};

/// Looks up an environment variable; returns nullptr when unset.
using env_lookup = std::function<const char*(const char*)>;

/// Parses and validates TOML text. `source_name` names the text in syntax
/// errors (usually the file path). Secrets left empty in an enabled provider
/// section are taken from `env` (default: std::getenv):
/// LEADBASE_INSTAGRAM_TOKEN -> discovery.instagram.access_token,
/// LEADBASE_YOUTUBE_KEY -> discovery.youtube.api_key. The environment never
/// turns on a provider whose section is absent.
result<config> parse_config(std::string_view toml_text, std::string_view source_name,
                            const env_lookup& env = {});

/// Every key the loader accepts, as full dotted paths ("log.level",
/// "discovery.breaker.window", "auth.tokens[].scopes"), sorted; tables are
/// named by their keys. Taken from the loader's own lists of allowed keys,
/// so a key added there is here too (docs/configuration.md is checked
/// against it).
std::vector<std::string> known_config_keys();

/// Reads the file at `path` and calls parse_config on it.
result<config> load_config(const std::string& path, const env_lookup& env = {});

/// The most a file named by a key may hold (qualification.disposable_domains_file:
/// a list of a million domains fits), and the configuration file itself.
inline constexpr std::uintmax_t max_domain_list_bytes = std::uintmax_t{16} << 20;
inline constexpr std::uintmax_t max_config_file_bytes = std::uintmax_t{1} << 20;

/// What `serve` needs beyond a valid file: at least one token; every enabled
/// provider with its secret (from the file or the environment) and account
/// id; files named by keys readable, regular and within their size bound.
/// The error names the key.
status validate_for_serve(const config& cfg);

/// A listen address, as in `listen = "127.0.0.1:8080"` or `--listen [::1]:8080`.
struct listen_address {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
};

/// Parses "HOST:PORT" or "[IPV6]:PORT" (port 1..65535). The error message
/// (code validation) says what is wrong, without a key name.
result<listen_address> parse_listen(std::string_view text);

/// A complete, commented configuration for local development (the simulator
/// and demo tokens); identical to config/leadbase.dev.toml.
std::string default_config_toml();

} // namespace leadbase
