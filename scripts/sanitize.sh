#!/usr/bin/env bash
# Builds the tests and the server with a sanitizer and runs the unit and
# end-to-end suites under it. The e2e suite starts `leadbase` (and the
# simulator) as child processes: their reports go to files too, so a report
# from any process fails the run.
#
#   scripts/sanitize.sh address     # AddressSanitizer (+ LeakSanitizer), into build-address
#   scripts/sanitize.sh undefined   # UndefinedBehaviorSanitizer, into build-undefined
#
# Not part of CI (a sanitizer build takes 10-15 minutes on 2 cores); run it
# after changes to actors, storage or the codecs. Exit code: non-zero on a
# build failure, a failing test or any sanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
kind=${1:-address}
case "$kind" in
  address | undefined) ;;
  *) echo "usage: scripts/sanitize.sh address|undefined" >&2; exit 2 ;;
esac
dir="build-$kind"
reports=$(mktemp -d "${TMPDIR:-/tmp}/leadbase-$kind-XXXXXX")

cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEADBASE_WERROR=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=$kind -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$kind" >/dev/null || exit 1
ninja -C "$dir" -j"$(nproc)" leadbase unit_tests e2e_tests || exit 1

export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/report"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/report"
failed=0
"$dir/unit_tests" || failed=1
"$dir/e2e_tests" || failed=1
if compgen -G "$reports/report*" >/dev/null; then
  echo "sanitizer reports (in $reports):"
  grep -h -E "ERROR: |runtime error|SUMMARY" "$reports"/report* | sort | uniq -c | head -40
  failed=1
else
  rmdir "$reports"
fi
[ "$failed" -eq 0 ] && echo "scripts/sanitize.sh $kind: clean"
exit "$failed"
