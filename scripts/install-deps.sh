#!/usr/bin/env bash
# Installs what leadbase needs on Debian 12, from Debian's packages only.
# Idempotent: packages already present are left alone.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev librocksdb-dev rocksdb-tools libflatbuffers-dev flatbuffers-compiler
  libboost-dev libspdlog-dev catch2 rapidjson-dev libtomlplusplus-dev libcli11-dev
  libssl-dev libsodium-dev
  curl wrk prometheus
  python3                # scripts/check-layers.py (ctest "layers")
  clang libclang-rt-dev  # the fuzz targets (fuzz/, scripts/fuzz.sh): clang and its libFuzzer runtime
)
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
