#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts the
# Creator Discovery simulator and leadbase with the development config (data
# under ./data, http://127.0.0.1:8080), posts a few demo signups, and keeps
# running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh leadbase
mkdir -p data
bin=./build/leadbase

"$bin" simulate-discovery --listen 127.0.0.1:9090 >data/simulator.log 2>&1 &
sim_pid=$!
"$bin" serve --config config/leadbase.dev.toml &
server_pid=$!
trap 'kill -TERM $server_pid $sim_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:8080/healthz >/dev/null && break
  sleep 0.1
done
echo "posting demo signups"
while IFS= read -r line; do
  [ -z "$line" ] && continue
  curl -s -o /dev/null -w "  %{http_code} POST /v1/signups\n" -X POST http://127.0.0.1:8080/v1/signups \
    -H 'Authorization: Bearer dev-platform-token-0001' -H 'Content-Type: application/json' --data-binary "$line"
done < scripts/demo-signups.jsonl
cat <<'TXT'

leadbase is running on http://127.0.0.1:8080 (Ctrl-C to stop). Try:
  curl -s http://127.0.0.1:8080/v1/leads/demo-ana -H 'Authorization: Bearer dev-sdr-token-0001'
  curl -s http://127.0.0.1:8080/v1/leads/demo-ana/history -H 'Authorization: Bearer dev-auditor-token-0001'
TXT
wait $server_pid
