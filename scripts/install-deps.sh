#!/usr/bin/env bash
# Installs what leadbase needs on Debian 12: Debian's packages, and the npm
# development tools of package.json (the OpenAPI linter, playwright-core for the
# browser tests) into node_modules/.
# Idempotent: what is already present is left alone.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev librocksdb-dev rocksdb-tools libflatbuffers-dev flatbuffers-compiler
  libboost-dev libspdlog-dev catch2 rapidjson-dev libtomlplusplus-dev libcli11-dev
  libssl-dev libsodium-dev
  curl wrk prometheus
  python3                # scripts/check-layers.py (ctest "layers")
  clang libclang-rt-dev  # the fuzz targets (fuzz/, scripts/fuzz.sh): clang and its libFuzzer runtime
  python3 universal-ctags  # scripts/check-size.py (ctest sizes) and the function extents it reads
  chromium  # tests/browser (ctest browser): the console in a real browser, driven by playwright-core
  postgresql  # the real peer of benchmarks/ingest_bench (a temporary cluster it starts itself)
)
# Node.js and npm run the OpenAPI linter (scripts/lint-openapi.sh). A machine
# that has them already (from any source) keeps its own; otherwise Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "installing: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm tools pinned by package-lock.json, without running any package's install
# scripts; again only when node_modules/ is missing or the lockfile changed since.
cd "$(dirname "$0")/.."
stamp=node_modules/.leadbase-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "installing: node_modules (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi
