#!/usr/bin/env bash
# Soak run of the crash tests: runs `e2e_tests "[crash]"` N times (default 10),
# each run with LEADBASE_CRASH_CYCLES kill/restart cycles (default 5) in each of
# the two crash tests (concurrent signups and batches; and mixed load: signups
# with enrichment against a simulator failing 30% of its calls, batches and
# erasures) and its own random seed, stopping at the first failure and printing
# the seed that reproduces it (LEADBASE_CRASH_SEED=... e2e_tests "[crash]").
# 100 SIGKILL cycles under mixed load: LEADBASE_CRASH_CYCLES=10 scripts/crash-loop.sh 10
#
#   scripts/crash-loop.sh [N]              # uses ./build/e2e_tests
#   E2E_TESTS=./build-e2e/e2e_tests scripts/crash-loop.sh 50
#   LEADBASE_CRASH_CYCLES=20 scripts/crash-loop.sh 5
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-10}"
if ! [[ "$runs" =~ ^[0-9]+$ ]] || [ "$runs" -lt 1 ]; then
  echo "usage: $0 [N]   (N >= 1 runs of the [crash] test)" >&2
  exit 2
fi
bin="${E2E_TESTS:-./build/e2e_tests}"
if [ ! -x "$bin" ]; then
  echo "crash-loop: $bin not found; build it first (ninja -C build e2e_tests leadbase)" >&2
  exit 2
fi

start=$(date +%s)
for i in $(seq 1 "$runs"); do
  seed="${LEADBASE_CRASH_SEED_BASE:-$RANDOM$RANDOM}"
  [ -n "${LEADBASE_CRASH_SEED_BASE:-}" ] && seed=$((LEADBASE_CRASH_SEED_BASE + i))
  echo "crash-loop: run $i/$runs (LEADBASE_CRASH_SEED=$seed)"
  if ! LEADBASE_CRASH_CYCLES="${LEADBASE_CRASH_CYCLES:-5}" LEADBASE_CRASH_SEED="$seed" "$bin" "[crash]"; then
    echo "crash-loop: run $i/$runs FAILED; reproduce with: LEADBASE_CRASH_SEED=$seed $bin \"[crash]\"" >&2
    exit 1
  fi
done
cycles="${LEADBASE_CRASH_CYCLES:-5}"
echo "crash-loop: $runs runs passed ($((runs * cycles)) SIGKILL cycles in each crash test) in $(( $(date +%s) - start )) s"
