#!/usr/bin/env bash
# Checks the Prometheus side of leadbase with promtool (Debian package `prometheus`):
#   1. deploy/prometheus/leadbase-alerts.yml parses and its expressions are valid;
#   2. the alert rules' unit tests: every file in deploy/prometheus/tests/ (one
#      `<RuleName>.test.yml` per alert, promtool `test rules` format: series in,
#      alerts out) passes, and every alert of the rules file has its file;
#   3. the /metrics text rendered from a populated registry passes `promtool
#      check metrics` (the unit test "[ops]" case for /metrics does this).
# Usage: scripts/check-prometheus.sh [BUILD_DIR]   (default: build)
# Exit 0 when all pass; 77 (ctest's SKIP_RETURN_CODE) when promtool is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
if ! command -v promtool >/dev/null 2>&1; then
  echo "check-prometheus: promtool not installed (apt-get install prometheus); skipped" >&2
  exit 77
fi
echo "== promtool check rules deploy/prometheus/leadbase-alerts.yml"
promtool check rules "$root/deploy/prometheus/leadbase-alerts.yml"

tests_dir="$root/deploy/prometheus/tests"
echo "== promtool test rules deploy/prometheus/tests/*"
mapfile -t rule_tests < <(find "$tests_dir" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
if ((${#rule_tests[@]} == 0)); then echo "check-prometheus: no rule tests in $tests_dir" >&2; exit 1; fi
missing=0
while read -r alert; do
  if [[ ! -f "$tests_dir/$alert.test.yml" ]]; then
    echo "check-prometheus: alert $alert has no unit test deploy/prometheus/tests/$alert.test.yml" >&2
    missing=1
  fi
done < <(sed -n 's/^[[:space:]]*-[[:space:]]*alert:[[:space:]]*\([A-Za-z0-9_]*\).*/\1/p' "$root/deploy/prometheus/leadbase-alerts.yml")
((missing == 0)) || exit 1
# The harness itself: a wrong expectation must fail (a promtool that passed
# everything would make every test above meaningless).
probe=$(mktemp -d "${TMPDIR:-/tmp}/leadbase-promtool-XXXXXX")
trap 'rm -rf "$probe"' EXIT
cat >"$probe/wrong.test.yml" <<YAML
rule_files: [$root/deploy/prometheus/leadbase-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'leadbase_log_writable{instance="probe"}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 5m
        alertname: LeadbaseEventLogCannotWrite
        exp_alerts: [{exp_labels: {severity: critical, instance: probe}}]
YAML
if promtool test rules "$probe/wrong.test.yml" >/dev/null 2>&1; then
  echo "check-prometheus: promtool passed a rule test with a wrong expectation" >&2
  exit 1
fi
# rule_files in a test are relative to the test file's folder.
promtool test rules "${rule_tests[@]}"
if [[ -x "$build/unit_tests" ]]; then
  echo "== promtool check metrics (via unit_tests)"
  out="$("$build/unit_tests" "[promtool]" 2>&1)" || { echo "$out"; exit 1; }
  echo "$out"
  if grep -q "No tests ran" <<<"$out"; then echo "check-prometheus: the [promtool] test case is missing" >&2; exit 1; fi
else
  echo "check-prometheus: $build/unit_tests not built; metrics check skipped" >&2
fi
