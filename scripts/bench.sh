#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them in sequence with their defaults,
# then prints a summary of the ratio lines.
#
#   scripts/bench.sh                 # all six; memory_bench with 1M signups, rebuild/read with 1M leads
#   MEMORY_SIGNUPS=100000 scripts/bench.sh   # quicker memory run
#   LEADS=100000 scripts/bench.sh             # quicker rebuild_bench and read_bench
#   BUILD_DIR=build-bench scripts/bench.sh
#
# Takes about 5-8 minutes on the 2-core machine (build excluded): fold ~40 s,
# append ~60-90 s, ingest ~55 s, memory with 1M signups ~2-4 min, rebuild with 1M
# leads ~3-4 min (most of it loading), read ~1-2 min (it reuses rebuild_bench's
# data dir, which is deleted afterwards).
# The figures are ratios against references measured in the same run; note the
# load average each benchmark prints. Exit code: non-zero if a benchmark failed to run.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
MEMORY_SIGNUPS=${MEMORY_SIGNUPS:-1000000}
LEADS=${LEADS:-1000000}
JOBS=${JOBS:-2}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/leadbase-bench-XXXXXX")

started=$(date +%s)
echo "== scripts/bench.sh: building ($BUILD_DIR, Release) =="
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
ninja -C "$BUILD_DIR" -j"$JOBS" leadbase fold_bench append_bench ingest_bench memory_bench rebuild_bench read_bench ||
  exit 1
built=$(date +%s)
echo "build: $((built - started)) s; nproc $(nproc); load average $(cut -d' ' -f1-3 /proc/loadavg)"

failed=()
run() {
  local name=$1; shift
  echo
  local t0; t0=$(date +%s)
  "$BUILD_DIR/$name" "$@" 2>&1 | tee "$OUT/$name.txt"
  local rc=${PIPESTATUS[0]}
  echo "[$name: exit $rc, $(( $(date +%s) - t0 )) s]" | tee -a "$OUT/$name.txt"
  [ "$rc" -eq 0 ] || failed+=("$name")
}

run fold_bench
run append_bench
run ingest_bench
run memory_bench --signups="$MEMORY_SIGNUPS"
# rebuild_bench keeps its data dir (rebuilt) so read_bench needs no second load.
run rebuild_bench --leads="$LEADS" --keep="$OUT/leads-data"
if [ -d "$OUT/leads-data" ]; then
  run read_bench --leads="$LEADS" --data="$OUT/leads-data"
else
  run read_bench --leads="$LEADS"
fi
rm -rf "$OUT/leads-data"

echo
echo "== summary (full output in $OUT) =="
for f in fold_bench append_bench ingest_bench memory_bench rebuild_bench read_bench; do
  [ -f "$OUT/$f.txt" ] || continue
  echo "-- $f"
  grep -E '^machine:|^  .*(/| = ).*[0-9]+\.[0-9]+x|^\[' "$OUT/$f.txt" | grep -v '^  \$' | sed 's/^/  /'
done
echo "total: $(( $(date +%s) - started )) s (build $((built - started)) s)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed to run: ${failed[*]}"
  exit 1
fi
