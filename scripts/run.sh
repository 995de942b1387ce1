#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds DaaS (release) and runs the daas command in the current
# directory (so ./data is the data directory of wherever it is run from).
#   scripts/run.sh                          daas stats on ./data (creates it if missing)
#   scripts/run.sh insert users '{"a":1}'   any daas command; --dir DIR picks another directory
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"${root}/scripts/setup.sh" >/dev/null
# Presets are read from the working directory: configure and build from the source tree.
(cd "${root}" && cmake --preset release >/dev/null &&
  cmake --build --preset release -j "$(nproc)" --target daas >/dev/null)
exec "${root}/build/release/src/cli/daas" "$@"
