#!/usr/bin/env bash
# The README's first command, `./scripts/run.sh`, as a new user runs it: in an empty directory,
# twice. The first run must create ./data (saying so on stderr) and print the empty statistics; the
# second must open what the first created, without the note. Usage: readme_first_command_test.sh ROOT
set -euo pipefail

ROOT=$(cd "${1:?usage: readme_first_command_test.sh SOURCE_DIR}" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/home"
cd "$TMP/home"

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}

for run in 1 2; do
  if "$ROOT/scripts/run.sh" >"$TMP/out$run" 2>"$TMP/err$run"; then rc=0; else rc=$?; fi
  check "run $run exits 0 (exit $rc; stderr: $(cat "$TMP/err$run"))" [ "$rc" -eq 0 ]
  check "run $run prints the statistics header" \
    grep -Eq '^collection +documents +document_bytes +memory_bytes +shards$' "$TMP/out$run"
  check "run $run prints the log line" grep -q '^log: ' "$TMP/out$run"
  check "run $run leaves a database in ./data" [ -f data/MANIFEST ]
done
check "the first run says it created the database: $(cat "$TMP/err1")" \
  grep -q "^daas: created an empty database in './data'; add documents with " "$TMP/err1"
check "the first run's stderr is that one line" [ "$(wc -l <"$TMP/err1")" -eq 1 ]
check "the second run creates nothing and says nothing: $(cat "$TMP/err2")" [ ! -s "$TMP/err2" ]

echo "readme first command: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
