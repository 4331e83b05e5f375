// app/default_config.cpp — the built-in development configuration (see
// config.hpp default_config_toml()), kept apart from the loader: it is data.
#include <string>

#include "app/config.hpp"

namespace leadbase {

std::string default_config_toml() {
  // Keep identical to config/leadbase.dev.toml (tests/app/config_test.cpp checks it).
  return R"toml(# leadbase — configuration for LOCAL DEVELOPMENT (every key: docs/configuration.md).
#
# Start the Instagram Graph API simulator, then the service:
#   leadbase simulate-discovery --listen 127.0.0.1:9090
#   leadbase serve --config config/leadbase.dev.toml
#
# Every key is optional except [auth] tokens; an unknown key, a wrong type or
# an impossible value stops start-up with a message that names the key.
# This file equals default_config_toml() in app/default_config.cpp (a test checks it).

data_dir = "./data"               # the event log, projections and snapshots
listen   = "127.0.0.1:8080"       # HOST:PORT, or [IPV6]:PORT such as "[::1]:8080"

[auth]
# Bearer tokens; scopes: ingest, read, work, audit, admin, metrics. The token's
# name is the acting person of the work endpoints (claims, contacts).
# DEVELOPMENT ONLY: these tokens are public. Never use them in production;
# generate long random ones (e.g. `openssl rand -hex 32`).
tokens = [
  { name = "platform", token = "dev-platform-token-0001", scopes = ["ingest"] },
  { name = "sdr-team", token = "dev-sdr-token-0001",      scopes = ["read"] },
  { name = "auditor",  token = "dev-auditor-token-0001",  scopes = ["read", "audit"] },
  { name = "admin",    token = "dev-admin-token-0001",    scopes = ["admin", "read", "audit", "metrics", "work"] },
  { name = "ana",      token = "dev-ana-token-0001",      scopes = ["read", "work"] },
  { name = "bia",      token = "dev-bia-token-0001",      scopes = ["read", "work"] },
]

[durability]
sync = true                       # acknowledged = on disk (fsync, group commit)

# Creator Discovery: a provider whose section is absent is off.
[discovery.instagram]
base_url      = "http://127.0.0.1:9090/v21.0"   # the simulator; production: https://graph.facebook.com/v21.0
ig_user_id    = "17841400000000000"
access_token  = "dev-simulator-access-token"    # DEVELOPMENT ONLY; in production leave "" and set env LEADBASE_INSTAGRAM_TOKEN
media_limit   = 12                # recent media per profile (1..100)
timeout_ms    = 5000              # per request
max_in_flight = 32                # concurrent requests to the provider

[discovery.youtube]
base_url      = "http://127.0.0.1:9090/youtube/v3"  # production: https://www.googleapis.com/youtube/v3
api_key       = "dev-simulator-api-key"         # DEVELOPMENT ONLY; in production leave "" and set env LEADBASE_YOUTUBE_KEY
timeout_ms    = 5000
max_in_flight = 32

[discovery.retry]                 # exponential back-off with jitter
base_ms      = 1000
cap_ms       = 300000             # must be >= base_ms
max_attempts = 6                  # then the enrichment has finally failed

[discovery.breaker]               # per provider
window          = 20              # calls looked at
min_calls       = 10              # before the breaker may open (<= window)
failure_ratio   = 0.5             # in (0, 1]
open_ms         = 30000           # open, then half-open
half_open_calls = 3               # trial calls while half-open

[qualification]
disposable_domains_file = ""      # extra domains, one a line; the default list ships built in
internal_domains = []             # e.g. ["example.com"]: staff sign-ups
served_countries = []             # ISO 3166-1 alpha-2 codes; empty = all
rules_version    = "2026-11-01"

[priority]
weights      = { reach = 40, engagement = 30, activity = 20, completeness = 10 }
thresholds   = { a = 70, b = 40 } # A >= a, B >= b, else C (b <= a, both 0..100)
refresh_days = 30                 # enrich again after this many days

# -- further keys (docs/configuration.md) ----------------------------
[actors]
passivate_after_ms = 60000        # an idle lead actor stops after this
max_live_leads     = 20000        # then the idlest are passivated
snapshot_every     = 50           # events between two snapshots of a lead

[limits]
max_in_flight_appends = 20000     # beyond this, ingest answers 503 with Retry-After
max_connections       = 10000     # concurrent HTTP connections; must fit the descriptor budget (README)
io_threads            = 2         # HTTP threads (1..256)

[storage]
max_open_files   = 512            # table files RocksDB keeps open (64..1000000)
min_free_disk_mb = 256            # start-up, verify and erasures refuse with less free disk; 0 = no check

[log]
level = "info"                    # trace, debug, info, warn, error, critical, off

[journal]
max_batch = 4096                  # events per synced write batch at most

[backup]                          # online backups: POST /v1/admin/backups
dir  = "./backups"                # one sub-directory per backup
keep = 7                          # newest verified backups kept; older ones pruned after a new one verified

[work]                            # working the leads (claims, contacts)
claim_ttl_hours = 24              # a claim with no contact by its owner lapses after this (may be fractional)
)toml";
}

} // namespace leadbase
