#!/usr/bin/env bash
# Keeps the README's walk-through true: starts scripts/dev.sh on free ports
# with a fresh data dir, runs every command of the README's
# `<!-- walkthrough:http -->` block as written (port 8080 replaced by the
# test's), stops dev.sh, runs the `<!-- walkthrough:offline -->` block
# (./build/leadbase and ./data replaced), and checks each command against the
# `#=>` line that follows it in the README:
#   #=> CODE TEXT      the HTTP status, and the body
#   #=> exit N TEXT    the exit code, and stdout+stderr
# TEXT is matched with `…` as a wildcard: the pieces between them appear in
# that order, the first at the start and the last at the end (unless TEXT
# starts or ends with `…`). Run by ctest: readme_walkthrough.sh LEADBASE_BIN.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:?usage: readme_walkthrough.sh LEADBASE_BIN}")
cd "$root"

work=$(mktemp -d "${TMPDIR:-/tmp}/readme-walkthrough.XXXXXX")
dev_pid=""
stop_dev() {
  [ -n "$dev_pid" ] || return 0
  # dev.sh runs in its own process group (setsid): TERM it; its trap stops
  # the server and the simulator. Then make sure nothing of the group is left.
  kill -TERM -- "-$dev_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 -- "-$dev_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$dev_pid" 2>/dev/null || true
  wait "$dev_pid" 2>/dev/null || true
  dev_pid=""
}
trap 'stop_dev; rm -rf "$work"' EXIT

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port found" >&2
  exit 1
}
port=$(free_port)
sim_port=$(free_port)
while [ "$sim_port" = "$port" ]; do sim_port=$(free_port); done
data="$work/data"

# The lines of the fenced block after the marker `<!-- walkthrough:NAME -->`.
block() {
  awk -v m="<!-- walkthrough:$1 -->" '
    $0 == m { found = 1; next }
    found == 1 && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' README.md
}

failures=0
checked=0
# match TEXT PATTERN: `…` is a wildcard (see above).
match() {
  local text=$1 pattern=$2 piece rest first=1
  local -a pieces=()
  local anchored_end=1
  [[ $pattern == *… ]] && anchored_end=0
  while [[ $pattern == *…* ]]; do
    pieces+=("${pattern%%…*}")
    pattern=${pattern#*…}
  done
  pieces+=("$pattern")
  rest=$text
  for piece in "${pieces[@]}"; do
    if ((first)); then
      first=0
      [[ $rest == "$piece"* ]] || return 1
      rest=${rest#"$piece"}
      continue
    fi
    [ -z "$piece" ] && continue
    [[ $rest == *"$piece"* ]] || return 1
    rest=${rest#*"$piece"}
  done
  # The last piece must end the text (a later occurrence may: try the last one).
  if ((anchored_end)) && [ -n "${pieces[-1]}" ] && ((${#pieces[@]} > 1)); then
    [[ $text == *"${pieces[-1]}" ]] || return 1
  fi
  return 0
}

fail() {
  echo "FAILED: $1" >&2
  failures=$((failures + 1))
}

# run_block NAME: each command (the lines since the previous `#=>`, prose
# comments dropped) is run with bash in the clone's root, then checked.
run_block() {
  local name=$1 cmd="" line expect status got out
  local n=0
  while IFS= read -r line; do
    if [[ $line == '#=> '* ]]; then
      expect=${line#'#=> '}
      n=$((n + 1))
      checked=$((checked + 1))
      if [[ $name == http ]]; then
        cmd=${cmd//127.0.0.1:8080/127.0.0.1:$port}
        # curl as written, with the status and the body captured.
        got=$(cd "$root" && curl() { command curl -o "$work/body" -w '%{http_code}' "$@"; } && eval "$cmd") || true
        out=$(cat "$work/body" 2>/dev/null || true)
        rm -f "$work/body"
        status=${expect%% *}
        text=${expect#"$status"}
        text=${text# }
      else
        cmd=${cmd//.\/build\/leadbase/$bin}
        cmd=${cmd//.\/data/$data}
        set +e
        out=$(cd "$root" && eval "$cmd" 2>&1)
        got=$?
        set -e
        expect=${expect#exit }
        status=${expect%% *}
        text=${expect#"$status"}
        text=${text# }
      fi
      echo "[$name $n] $(head -n 1 <<<"$cmd" | sed 's/^ *//') -> $got"
      if [ "$got" != "$status" ]; then
        fail "[$name $n] expected $status, got $got: ${cmd}
  output: $out"
      elif [ -n "$text" ] && ! match "$out" "$text"; then
        fail "[$name $n] the output does not match the README's:
  README: $text
  actual: $out"
      fi
      cmd=""
      continue
    fi
    [[ $line =~ ^[[:space:]]*# ]] && continue   # prose
    [[ -z ${line// /} ]] && continue
    cmd+="$line"$'\n'
  done < <(block "$name")
  ((n > 0)) || fail "the README has no commands in its walkthrough:$name block"
}

started=$(date +%s)
PORT=$port SIM_PORT=$sim_port DATA=$data LEADBASE_BIN=$bin setsid scripts/dev.sh >"$work/dev.out" 2>&1 &
dev_pid=$!
for _ in $(seq 1 300); do
  grep -q "leadbase is running" "$work/dev.out" && break
  kill -0 "$dev_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "leadbase is running" "$work/dev.out"; then
  echo "scripts/dev.sh did not come up:" >&2
  cat "$work/dev.out" >&2
  exit 1
fi
grep -q "console    http://127.0.0.1:$port/" "$work/dev.out" || fail "dev.sh's banner does not name the console URL"
grep -q "dev-sdr-token-0001" "$work/dev.out" || fail "dev.sh's banner does not name the demo tokens"

run_block http
stop_dev
run_block offline

echo "README walk-through: $checked commands checked, $failures failed, $(($(date +%s) - started)) s"
((failures == 0))
