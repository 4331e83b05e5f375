#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (the README's second
# command, and what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 900
