#!/usr/bin/env bash
# scripts/dev.sh stops at the first failure with one line saying which, and
# never claims to be running when it is not:
#   - its port already taken: exit 1, "port N is already in use", nothing
#     posted, no "leadbase is running", nothing left running;
#   - the simulator's port taken: the same for SIM_PORT;
#   - an unknown argument or a bad port: exit 2 / 1 with the reason.
# Run by ctest: dev_sh_test.sh LEADBASE_BIN.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:?usage: dev_sh_test.sh LEADBASE_BIN}")
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/dev-sh-test.XXXXXX")
holder=""
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

failures=0
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  exit 1
}
# run_dev NAME ENV...: runs dev.sh (at most 60 s) with the environment given;
# stdout+stderr in $work/NAME.out, the exit code in $code.
run_dev() {
  local name=$1
  shift
  set +e
  env "$@" DATA="$work/$name-data" LEADBASE_BIN="$bin" timeout 60 scripts/dev.sh "${dev_args[@]}" >"$work/$name.out" 2>&1
  code=$?
  set -e
}

# Something else listens on the port dev.sh is asked to use.
taken=$(free_port)
"$bin" simulate-discovery --listen "127.0.0.1:$taken" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$taken") 2>/dev/null && break; sleep 0.05; done

dev_args=()
run_dev port_taken PORT="$taken" SIM_PORT="$(free_port)"
out=$(cat "$work/port_taken.out")
[ "$code" = 1 ] || fail "PORT taken: exit $code, expected 1: $out"
grep -q "dev.sh: port $taken is already in use" <<<"$out" || fail "PORT taken: no line naming the port: $out"
grep -q "leadbase is running" <<<"$out" && fail "PORT taken: it still says it is running: $out"
grep -q "posting the demo signups" <<<"$out" && fail "PORT taken: it still posted the demo signups: $out"

run_dev sim_port_taken PORT="$(free_port)" SIM_PORT="$taken"
out=$(cat "$work/sim_port_taken.out")
[ "$code" = 1 ] || fail "SIM_PORT taken: exit $code, expected 1: $out"
grep -q "dev.sh: port $taken (the simulator) is already in use" <<<"$out" || fail "SIM_PORT taken: no line naming the port: $out"
grep -q "leadbase is running" <<<"$out" && fail "SIM_PORT taken: it still says it is running: $out"

run_dev bad_port PORT=99999 SIM_PORT="$(free_port)"
out=$(cat "$work/bad_port.out")
[ "$code" = 1 ] || fail "PORT=99999: exit $code, expected 1: $out"
grep -q "not a port: '99999'" <<<"$out" || fail "PORT=99999: no reason: $out"

dev_args=(--bogus)
run_dev bad_arg
out=$(cat "$work/bad_arg.out")
[ "$code" = 2 ] || fail "--bogus: exit $code, expected 2: $out"
grep -q "unknown argument '--bogus'" <<<"$out" || fail "--bogus: not named: $out"

# dev.sh started nothing that outlived it.
# (Through /proc: procps may not be installed.)
for f in /proc/[0-9]*/cmdline; do
  [ "$f" = "/proc/$$/cmdline" ] && continue
  if grep -qa -- "$work/" "$f" 2>/dev/null && grep -qa -- "serve" "$f" 2>/dev/null; then
    fail "a process dev.sh started is still running: $(tr '\0' ' ' <"$f")"
  fi
done

echo "dev.sh failure checks: $failures failed"
((failures == 0))
