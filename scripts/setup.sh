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
# Node.js and npm, for the TypeScript compiler the tests use (tests/types): Debian's, unless the
# machine already has a node and npm of its own.
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

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

# TypeScript compiler for the test that type-checks generated declarations (tests/types/). Skipped
# when node_modules already matches the committed lock file (its hash is recorded after install).
types_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/types"
lock_hash=$(sha256sum "$types_dir/package-lock.json" | cut -d' ' -f1)
stamp="$types_dir/node_modules/.daas-lock-sha256"
if [ -x "$types_dir/node_modules/.bin/tsc" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  echo "setup: tests/types node_modules up to date"
else
  echo "setup: npm ci --prefix tests/types"
  npm ci --prefix "$types_dir" --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >"$stamp"
fi
