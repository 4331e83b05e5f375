#!/usr/bin/env bash
# Lints docs/openapi.json (served at GET /openapi.json) with Redocly CLI, pinned
# in package.json/package-lock.json and installed into node_modules/ by
# scripts/install-deps.sh (npm ci). Rules: redocly.yaml. Run by ctest as
# openapi_lint; every finding fails it.
#
# Usage: scripts/lint-openapi.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
redocly=node_modules/.bin/redocly
if [[ ! -x "$redocly" ]]; then
  echo "lint-openapi: $redocly is missing: run scripts/install-deps.sh (npm ci)" >&2
  exit 1
fi
# Redocly CLI 2 needs Node.js 20.19 or later; say so rather than fail obscurely.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "lint-openapi: Node.js $(node --version) is too old for @redocly/cli (20.19 or later)" >&2
  exit 1
fi
# No usage report and no update check: the lint reads only the repository.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec "$redocly" lint --config redocly.yaml --format stylish docs/openapi.json
