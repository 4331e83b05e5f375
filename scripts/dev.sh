#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts the
# Creator Discovery simulator and leadbase with the development config, posts
# the demo signups (scripts/demo-signups.jsonl), waits until their enrichment
# has settled, prints where everything is, and keeps running until Ctrl-C.
#
#   scripts/dev.sh [--port N] [--sim-port N] [--data DIR]
#
# Environment (the flags win): PORT (leadbase, default 8080), SIM_PORT (the
# simulator, default 9090), DATA (data directory, default ./data),
# LEADBASE_BIN (use this binary; skips installing and building).
#
# Any step that fails stops the script with one line saying which, and the
# processes it started are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8080}
SIM_PORT=${SIM_PORT:-9090}
DATA=${DATA:-./data}
usage() { echo "usage: scripts/dev.sh [--port N] [--sim-port N] [--data DIR]   (or env PORT, SIM_PORT, DATA)"; }
while (($#)); do
  case $1 in
    --port) PORT=${2:?--port needs a value}; shift 2 ;;
    --sim-port) SIM_PORT=${2:?--sim-port needs a value}; shift 2 ;;
    --data) DATA=${2:?--data needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "dev.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "dev.sh: $*" >&2; exit 1; }
for p in "$PORT" "$SIM_PORT"; do
  [[ $p =~ ^[0-9]+$ ]] && ((p >= 1 && p <= 65535)) || die "not a port: '$p' (1-65535)"
done
[ "$PORT" != "$SIM_PORT" ] || die "PORT and SIM_PORT are both $PORT; choose two ports"

# True when something already accepts connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_in_use "$PORT" && die "port $PORT is already in use (another leadbase?); choose another: PORT=8081 scripts/dev.sh"
port_in_use "$SIM_PORT" && die "port $SIM_PORT (the simulator) is already in use; choose another: SIM_PORT=9091 scripts/dev.sh"

if [ -n "${LEADBASE_BIN:-}" ]; then
  bin=$LEADBASE_BIN
else
  scripts/install-deps.sh || die "installing the dependencies failed (see above)"
  scripts/build.sh leadbase || die "the build failed (see above)"
  bin=./build/leadbase
fi
[ -x "$bin" ] || die "no leadbase binary at $bin"

mkdir -p "$DATA"
base="http://127.0.0.1:$PORT"
# The development config, pointed at this run's simulator port.
config=$(mktemp "${TMPDIR:-/tmp}/leadbase.dev.XXXXXX.toml")
sed "s#127\.0\.0\.1:9090#127.0.0.1:$SIM_PORT#g" config/leadbase.dev.toml >"$config"

sim_pid=""
server_pid=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -f "$config"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" simulate-discovery --listen "127.0.0.1:$SIM_PORT" >"$DATA/simulator.log" 2>&1 &
sim_pid=$!
"$bin" serve --config "$config" --data "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/leadbase.log" 2>&1 &
server_pid=$!

# Both answer, or the first to exit is named.
up=0
for _ in $(seq 1 200); do
  kill -0 "$sim_pid" 2>/dev/null || die "the simulator exited: $(tail -n 1 "$DATA/simulator.log")"
  kill -0 "$server_pid" 2>/dev/null || die "leadbase serve exited: $(tail -n 1 "$DATA/leadbase.log")"
  if port_in_use "$SIM_PORT" && curl -sf -o /dev/null "$base/healthz"; then up=1; break; fi
  sleep 0.1
done
((up)) || die "leadbase did not answer $base/healthz within 20 s"

echo "posting the demo signups (scripts/demo-signups.jsonl)"
leads=()
while IFS= read -r line; do
  [ -z "$line" ] && continue
  lead=$(sed -E 's/.*"lead_id":"([^"]*)".*/\1/' <<<"$line")
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/signups" \
    -H 'Authorization: Bearer dev-platform-token-0001' -H 'Content-Type: application/json' --data-binary "$line") || true
  echo "  $code $lead"
  # 202 stored; 200 already stored by an earlier run on the same data dir.
  [ "$code" = 202 ] || [ "$code" = 200 ] || die "the demo signup of $lead answered ${code:-no HTTP answer}, not 202"
  leads+=("$lead")
done <scripts/demo-signups.jsonl

# Every demo lead readable and its enrichment settled (no call pending, no
# retry scheduled), so the log's positions are the same on every fresh run.
echo "waiting for the demo leads' enrichment to settle"
settled=0
for _ in $(seq 1 300); do
  kill -0 "$server_pid" 2>/dev/null || die "leadbase serve exited: $(tail -n 1 "$DATA/leadbase.log")"
  settled=1
  for lead in "${leads[@]}"; do
    view=$(curl -s "$base/v1/leads/$lead" -H 'Authorization: Bearer dev-sdr-token-0001') || view=""
    if [[ $view != *'"lead_id"'* || $view == *'"state":"pending"'* || $view == *'"state":"retry_scheduled"'* ]]; then
      settled=0
      break
    fi
  done
  ((settled)) && break
  sleep 0.1
done
((settled)) || die "the demo leads' enrichment did not settle within 30 s (see $DATA/simulator.log)"

cat <<TXT

leadbase is running (Ctrl-C to stop)
  console    $base/   paste one of the tokens below into its token box
  API        $base/openapi.json
  simulator  http://127.0.0.1:$SIM_PORT (Creator Discovery stand-in)
  data       $DATA (logs: $DATA/leadbase.log, $DATA/simulator.log)
  demo tokens (public, development only; config/leadbase.dev.toml), name: token  scopes
    platform: dev-platform-token-0001  ingest
    sdr-team: dev-sdr-token-0001       read (the queue, read only)
    ana:      dev-ana-token-0001       read, work (an SDR: claim next, my leads, log contacts)
    bia:      dev-bia-token-0001       read, work (a second SDR: try claiming ana's lead)
    auditor:  dev-auditor-token-0001   read, audit (history, as-of, export, live feed)
    admin:    dev-admin-token-0001     admin, read, audit, metrics, work (alerts, breakers)
  try:
    curl -s $base/v1/leads/demo-ana -H 'Authorization: Bearer dev-sdr-token-0001'
    curl -s '$base/v1/leads?team=sdr' -H 'Authorization: Bearer dev-sdr-token-0001'
TXT
set +e
wait "$server_pid"
code=$?
server_pid=""
[ "$code" = 0 ] || echo "dev.sh: leadbase serve exited with $code: $(tail -n 1 "$DATA/leadbase.log")" >&2
exit "$code"
