#pragma once
// The real peer for ingest_bench: PostgreSQL doing the same work per signup as
// leadbase, in one synchronous transaction, with no HTTP in front of it.
//
// Per signup, as an event-sourced service on Postgres would do it
// (Message DB's write_message: an advisory lock on the stream, the next
// position read under it, one insert per event with a unique message id):
// three events on the lead's stream (signed_up, qualified, and the enrichment
// request), plus the queue row the SDR console reads, with its score,
// signup-time, followers and full-text indexes. synchronous_commit stays on
// and fsync stays on: an acknowledged signup is on disk, as in leadbase with
// [durability] sync = true.
//
// The cluster is a temporary one (initdb into the benchmark's temp dir, a
// Unix socket only, no TCP), started and stopped by the benchmark; pgbench
// drives it with the same number of clients as wrk has connections. Where
// PostgreSQL's binaries are absent the peer is skipped with a message.
// PostgreSQL refuses to run as root, so as root the cluster runs as the
// `postgres` user (Debian's package creates it) through runuser.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "benchmarks/bench_util.hpp"

namespace bench {

struct postgres_peer_result {
  bool ran = false;      // false: skipped (see `skipped`) or failed (see `error`)
  std::string skipped;   // why it did not run, when PostgreSQL is not installed
  std::string error;     // what failed
  std::string version;   // "PostgreSQL 15.x"
  std::string command;   // the pgbench command
  double tps = 0;        // signups per second (transactions, without connection time)
  double latency_ms = 0; // pgbench's average latency
  uint64_t transactions = 0;
};

/// The directory holding initdb, pg_ctl and postgres: the PATH's, or the
/// newest under /usr/lib/postgresql (Debian keeps them off the PATH).
inline std::string postgres_bindir() {
  if (on_path("initdb") && on_path("pg_ctl")) {
    auto out = run_capture("dirname \"$(readlink -f \"$(command -v pg_ctl)\")\"");
    if (out.exit_code == 0 && !out.text.empty()) return out.text.substr(0, out.text.find('\n'));
  }
  auto out = run_capture("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1");
  if (out.exit_code == 0 && !out.text.empty()) return out.text.substr(0, out.text.find('\n'));
  return {};
}

/// The schema: Message DB's messages table and write_message, reduced to what
/// a write needs, and the queue table with the console's indexes.
inline const char* postgres_peer_schema() {
  return R"SQL(
CREATE TABLE messages (
  global_position bigserial PRIMARY KEY,
  position bigint NOT NULL,
  time timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
  stream_name text NOT NULL,
  type text NOT NULL,
  data jsonb,
  metadata jsonb,
  id uuid NOT NULL UNIQUE
);
CREATE UNIQUE INDEX messages_stream ON messages (stream_name, position);

CREATE FUNCTION write_message(_id uuid, _stream_name text, _type text, _data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE _next bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(_stream_name));
  SELECT coalesce(max(position) + 1, 0) INTO _next FROM messages WHERE stream_name = _stream_name;
  INSERT INTO messages (id, stream_name, position, type, data) VALUES (_id, _stream_name, _next, _type, _data);
  RETURN _next;
END $$;

CREATE TABLE queue (
  lead_id text PRIMARY KEY,
  team text NOT NULL,
  level text NOT NULL,
  score double precision NOT NULL,
  signed_up_at timestamptz NOT NULL,
  followers bigint,
  search tsvector NOT NULL
);
CREATE INDEX queue_by_score ON queue (team, level, score DESC, lead_id);
CREATE INDEX queue_by_signup ON queue (signed_up_at);
CREATE INDEX queue_by_followers ON queue (followers);
CREATE INDEX queue_search ON queue USING gin (search);
)SQL";
}

/// One signup, one transaction: three events on the lead's stream and its
/// queue row. The lead id is random (64 clients never collide in practice).
inline const char* postgres_peer_script() {
  return R"SQL(\set n random(1, 9000000000000000000)
BEGIN;
SELECT write_message(gen_random_uuid(), 'lead-' || :n, 'signed_up', jsonb_build_object('lead_id', 'u-' || :n, 'email', 'creator' || :n || '@example.com', 'name', 'Creator ' || :n, 'phone', '+5511999990000', 'instagram', 'creator' || :n, 'country', 'BR', 'signup_source', 'organic', 'occurred_at', now()));
SELECT write_message(gen_random_uuid(), 'lead-' || :n, 'qualified', jsonb_build_object('team', 'sdr', 'level', 'high', 'reasons', jsonb_build_array('has_instagram', 'country_br'), 'rules_version', 'v1'));
SELECT write_message(gen_random_uuid(), 'lead-' || :n, 'enrichment_requested', jsonb_build_object('network', 'instagram', 'handle', 'creator' || :n, 'attempt', 1));
INSERT INTO queue (lead_id, team, level, score, signed_up_at, followers, search)
  VALUES ('u-' || :n, 'sdr', 'high', random() * 100, now(), NULL, to_tsvector('simple', 'Creator ' || :n || ' creator' || :n || '@example.com creator' || :n));
COMMIT;
)SQL";
}

/// Starts a temporary cluster under `dir`, loads the schema, runs pgbench for
/// `seconds` with `clients` clients, stops the cluster. Never throws.
inline postgres_peer_result run_postgres_peer(const std::string& dir, int clients, int threads, double seconds) {
  postgres_peer_result r;
  const std::string bin = postgres_bindir();
  if (bin.empty() || !on_path("pgbench") || !on_path("psql")) {
    r.skipped = "PostgreSQL is not installed (apt-get install postgresql postgresql-contrib)";
    return r;
  }
  const bool as_root = ::geteuid() == 0;
  if (as_root && run_capture("id -u postgres").exit_code != 0) {
    r.skipped = "running as root and there is no 'postgres' user to run the cluster as";
    return r;
  }
  const std::string as_pg = as_root ? "runuser -u postgres -- " : "";
  const std::string pgdir = dir + "/pg", sock = dir + "/pg-sock", log = dir + "/pg.log";
  std::error_code ec;
  std::filesystem::create_directories(sock, ec);
  if (as_root) {
    // The temp dir is root's 0700: let postgres through to its own folders.
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::replace, ec);
    std::filesystem::create_directories(pgdir, ec);
    run_capture("chown postgres: '" + pgdir + "' '" + sock + "'");
    run_capture("touch '" + log + "' && chown postgres: '" + log + "'");
  }
  const std::string port = std::to_string(free_port());
  auto init = run_capture(as_pg + "'" + bin + "/initdb' -D '" + pgdir + "' -U postgres --auth=trust -E UTF8 --no-locale");
  if (init.exit_code != 0) {
    r.error = "initdb failed: " + init.text.substr(init.text.size() > 600 ? init.text.size() - 600 : 0);
    return r;
  }
  // Durable as leadbase is: fsync and synchronous_commit stay on (the defaults).
  const std::string opts = "-c listen_addresses='' -k " + sock + " -p " + port +
                           " -c max_connections=" + std::to_string(clients + 10) +
                           " -c shared_buffers=256MB -c wal_buffers=16MB -c max_wal_size=4GB";
  auto start = run_capture(as_pg + "'" + bin + "/pg_ctl' -D '" + pgdir + "' -l '" + log + "' -w -t 60 -o \"" +
                           opts + "\" start");
  if (start.exit_code != 0) {
    r.error = "pg_ctl start failed: " + tail_of_file(log, 600);
    return r;
  }
  const std::string conn = " -h '" + sock + "' -p " + port + " -U postgres ";
  const std::string schema_file = dir + "/peer-schema.sql", script_file = dir + "/peer-signup.sql";
  write_file(schema_file, postgres_peer_schema());
  write_file(script_file, postgres_peer_script());
  auto version = run_capture("psql -X -q -t -A" + conn + "-d postgres -c 'SHOW server_version'");
  if (version.exit_code == 0) r.version = "PostgreSQL " + version.text.substr(0, version.text.find('\n'));
  auto schema = run_capture("psql -X -q -v ON_ERROR_STOP=1" + conn + "-d postgres -f '" + schema_file + "'");
  if (schema.exit_code != 0) {
    r.error = "the schema did not load: " + schema.text;
  } else {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.0f", seconds);
    r.command = "pgbench -n -c " + std::to_string(clients) + " -j " + std::to_string(threads) + " -T " + secs +
                " -f peer-signup.sql" + conn + "postgres";
    auto run = run_capture("pgbench -n -c " + std::to_string(clients) + " -j " + std::to_string(threads) + " -T " +
                           secs + " -f '" + script_file + "'" + conn + "postgres");
    if (run.exit_code != 0) {
      r.error = "pgbench failed: " + run.text.substr(run.text.size() > 800 ? run.text.size() - 800 : 0);
    } else {
      const auto number_after = [&](const std::string& label) {
        const auto at = run.text.find(label);
        return at == std::string::npos ? 0.0 : std::strtod(run.text.c_str() + at + label.size(), nullptr);
      };
      r.tps = number_after("tps = ");
      r.latency_ms = number_after("latency average = ");
      r.transactions = static_cast<uint64_t>(number_after("number of transactions actually processed: "));
      r.ran = r.tps > 0;
      if (!r.ran) r.error = "pgbench printed no tps: " + run.text;
    }
  }
  run_capture(as_pg + "'" + bin + "/pg_ctl' -D '" + pgdir + "' -m fast -w stop");
  return r;
}

inline void print_postgres_peer(const postgres_peer_result& r) {
  if (!r.skipped.empty()) {
    std::printf("  (d) PostgreSQL peer: skipped: %s\n", r.skipped.c_str());
  } else if (!r.ran) {
    std::printf("  (d) PostgreSQL peer: FAILED: %s\n", r.error.c_str());
  } else {
    std::printf("  (d) %s, one synchronous transaction per signup (3 events + queue row), no HTTP:\n"
                "      %.0f signups/s, average latency %.2f ms, %llu signups   [%s]\n",
                r.version.c_str(), r.tps, r.latency_ms, static_cast<unsigned long long>(r.transactions),
                r.command.c_str());
  }
}

} // namespace bench
