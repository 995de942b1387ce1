#!/usr/bin/env bash
# Installs every Debian package DaaS needs to build, test and benchmark. Idempotent: packages already
# present are skipped, and `apt-get update` runs once, only when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkgconf clang clang-format clang-tidy libclang-rt-14-dev
  # libraries the engine links
  libsimdjson-dev libmsgpack-cxx-dev libsodium-dev libcli11-dev libfmt-dev libxxhash-dev libre2-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev liblmdb-dev librocksdb-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
echo "setup: all ${#packages[@]} packages present"
