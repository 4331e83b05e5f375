#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan, into build-fuzz)
# and runs them, each from a copy of its seed corpus fuzz/corpus/TARGET in a
# temporary directory (a run never writes into the repository).
#
#   scripts/fuzz.sh TARGET [SECONDS] [LIBFUZZER_ARGS...]   # one target, default 60 s
#   scripts/fuzz.sh all [SECONDS]                          # every target, SECONDS each
#   scripts/fuzz.sh --build                                # build only
#   scripts/fuzz.sh --list                                 # the target names
#
# Targets: the fuzz/*_fuzz.cpp files (json, http_request, config, event_codec,
# snapshot). fuzz/TARGET.dict, when present, is passed as the dictionary.
# FUZZ_KEEP=1 keeps the work directory (the grown corpus) of a clean run.
# LEADBASE_FUZZ_BUILD overrides the build directory.
#
# Exit: 0 when no target crashed; 1 when one did (a crash, sanitizer report,
# leak, timeout or out-of-memory: its input's path is printed, with the command
# that reproduces it); 2 on a usage or build error.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEADBASE_FUZZ_BUILD:-$root/build-fuzz}"

mapfile -t targets < <(cd "$root/fuzz" && ls -- *_fuzz.cpp | sed 's/_fuzz\.cpp$//')

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

build_targets() {
  if [[ ! -f "$build/build.ninja" ]]; then
    local launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # -O1 without NDEBUG: asserts stay on, and the sanitizer build stays quick.
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DLEADBASE_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      "${launcher[@]}" >/dev/null || { echo "fuzz.sh: cmake failed (is clang installed?)" >&2; return 2; }
  fi
  ninja -C "$build" -j"$(nproc)" "$@" || { echo "fuzz.sh: build failed" >&2; return 2; }
}

# run_one TARGET SECONDS [ARGS...]
run_one() {
  local t=$1 secs=$2
  shift 2
  local bin="$build/fuzz/fuzz_$t"
  [[ -x "$bin" ]] || { echo "fuzz.sh: $bin not built" >&2; return 2; }
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/leadbase-fuzz-$t-XXXXXX")
  mkdir -p "$work/corpus"
  cp -R "$root/fuzz/corpus/$t/." "$work/corpus/"
  local args=(-max_total_time="$secs" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048
              -artifact_prefix="$work/")
  [[ -f "$root/fuzz/$t.dict" ]] && args+=(-dict="$root/fuzz/$t.dict")
  echo "== fuzz_$t for ${secs} s (work dir $work)"
  "$bin" "${args[@]}" "$@" "$work/corpus" >"$work/log" 2>&1
  local rc=$?
  local execs rate units
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  units=$(find "$work/corpus" -type f | wc -l)
  local found=()
  mapfile -t found < <(find "$work" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  if [[ $rc -ne 0 || ${#found[@]} -gt 0 ]]; then
    tail -n 80 "$work/log"
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions"
    for f in "${found[@]}"; do
      echo "fuzz_$t: crash input: $f"
      echo "  reproduce: $bin $f"
    done
    echo "fuzz_$t: full log: $work/log"
    return 1
  fi
  echo "fuzz_$t: ${execs:-?} executions in ${secs} s (${rate:-?}/s), corpus $units inputs, no crash"
  if [[ "${FUZZ_KEEP:-0}" == 1 ]]; then echo "fuzz_$t: kept $work"; else rm -rf "$work"; fi
}

[[ $# -ge 1 ]] || usage
case "$1" in
  --build) build_targets fuzz_all; exit $? ;;
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  -h | --help) usage ;;
esac
which=$1
secs=${2:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || usage
shift $(($# >= 2 ? 2 : 1))
if [[ "$which" == all ]]; then
  build_targets fuzz_all || exit 2
  failed=0
  for t in "${targets[@]}"; do run_one "$t" "$secs" "$@" || failed=1; done
  exit "$failed"
fi
# A loop, not `printf | grep -q`: under pipefail grep -q's early exit can kill
# printf with SIGPIPE and fail a name that is there (seen in CI).
known=0
for t in "${targets[@]}"; do [[ "$t" == "$which" ]] && known=1; done
((known)) || { echo "fuzz.sh: no target '$which' (have: ${targets[*]})" >&2; exit 2; }
build_targets "fuzz_$which" || exit 2
run_one "$which" "$secs" "$@"
