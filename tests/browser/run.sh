#!/usr/bin/env bash
# The browser suite (ctest `browser`): starts the real server and the Creator
# Discovery simulator with the demo signups (scripts/dev.sh, on free ports and
# a temporary data dir), then drives the console in headless Debian chromium
# with playwright-core (tests/browser/*.test.mjs). Screenshots of each screen
# go to BUILD_DIR/browser-screenshots.
#
#   tests/browser/run.sh BUILD_DIR
#
# Needs /usr/bin/chromium and node_modules/playwright-core, both installed by
# scripts/install-deps.sh (apt's chromium, the npm packages pinned by
# package-lock.json); without them it fails saying so.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: tests/browser/run.sh BUILD_DIR}" && pwd)"
chromium=${CHROMIUM:-/usr/bin/chromium}

[ -x "$chromium" ] || { echo "browser: no chromium at $chromium (scripts/install-deps.sh installs it)" >&2; exit 1; }
[ -d "$root/node_modules/playwright-core" ] ||
  { echo "browser: node_modules/playwright-core is missing (scripts/install-deps.sh runs npm ci)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d "${TMPDIR:-/tmp}/leadbase-browser-XXXXXX")
port=$(free_port)
sim_port=$(free_port)
while [ "$sim_port" = "$port" ]; do sim_port=$(free_port); done
dev_pid=""
cleanup() {
  if [ -n "$dev_pid" ] && kill -0 "$dev_pid" 2>/dev/null; then
    kill -TERM "$dev_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$dev_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$dev_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

LEADBASE_BIN="$build/leadbase" PORT=$port SIM_PORT=$sim_port DATA="$work/data" \
  "$root/scripts/dev.sh" >"$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 600); do
  grep -q "leadbase is running" "$work/dev.log" && break
  kill -0 "$dev_pid" 2>/dev/null || { echo "browser: dev.sh stopped:" >&2; cat "$work/dev.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "leadbase is running" "$work/dev.log" || { echo "browser: dev.sh did not start in 60 s:" >&2; cat "$work/dev.log" >&2; exit 1; }

status=0
for t in "$root"/tests/browser/*.test.mjs; do
  echo "== $(basename "$t")"
  BASE="http://127.0.0.1:$port" SHOTS="$build/browser-screenshots" CHROMIUM="$chromium" \
    timeout 170 node "$t" || status=1
done
if [ $status -ne 0 ]; then
  echo "--- the server's log ends with:"
  tail -n 30 "$work/data/leadbase.log" || true
fi
exit $status
