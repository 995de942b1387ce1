#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every DaaS test suite: a release build, a debug build with
# ASan+UBSan (and the fuzz targets briefly over their corpora), and a TSan build. Each prints ctest's
# summary; the script fails if any suite fails.
#   scripts/test.sh                 all three builds
#   scripts/test.sh release asan    only these presets
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then presets=(release asan tsan); fi

jobs=$(nproc)
failed=()
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== ${preset}: test"
  # TSan reports races as failures of the test that ran into them (halt_on_error keeps it loud).
  if ! TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
       ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
       UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
       ctest --preset "${preset}" -j "${jobs}" --timeout 900; then
    failed+=("${preset}")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed: ${presets[*]}"
