#!/usr/bin/env bash
# Checks the Prometheus side of leadbase with promtool (Debian package `prometheus`):
#   1. deploy/prometheus/leadbase-alerts.yml parses and its expressions are valid;
#   2. the /metrics text rendered from a populated registry passes `promtool
#      check metrics` (the unit test "[ops]" case for /metrics does this).
# Usage: scripts/check-prometheus.sh [BUILD_DIR]   (default: build)
# Exit 0 when both pass; 77 (ctest's SKIP_RETURN_CODE) when promtool is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
if ! command -v promtool >/dev/null 2>&1; then
  echo "check-prometheus: promtool not installed (apt-get install prometheus); skipped" >&2
  exit 77
fi
echo "== promtool check rules deploy/prometheus/leadbase-alerts.yml"
promtool check rules "$root/deploy/prometheus/leadbase-alerts.yml"
if [[ -x "$build/unit_tests" ]]; then
  echo "== promtool check metrics (via unit_tests)"
  out="$("$build/unit_tests" "[promtool]" 2>&1)" || { echo "$out"; exit 1; }
  echo "$out"
  if grep -q "No tests ran" <<<"$out"; then echo "check-prometheus: the [promtool] test case is missing" >&2; exit 1; fi
else
  echo "check-prometheus: $build/unit_tests not built; metrics check skipped" >&2
fi
