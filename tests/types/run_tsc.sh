#!/usr/bin/env bash
# run_tsc.sh TOOL SOURCE_DIR WORK_DIR
# Generates schema.d.ts from SOURCE_DIR/sample_schema.json with TOOL, then runs
# `tsc --noEmit --strict` on good.ts (must pass) and on bad.ts (must fail with exactly one error per
# line marked with an "error:" comment).
set -euo pipefail
tool=$1
src=$2
work=$3
tsc="$src/node_modules/.bin/tsc"
if [ ! -x "$tsc" ]; then
  echo "types_tsc: $tsc missing: scripts/setup.sh installs it" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
"$tool" "$src/sample_schema.json" >"$work/schema.d.ts"
cp "$src/good.ts" "$src/bad.ts" "$work/"
cd "$work"
flags=(--noEmit --strict --target es2020 --module commonjs --skipLibCheck false)

if ! "$tsc" "${flags[@]}" good.ts; then
  echo "types_tsc: good.ts must type-check against the generated declarations" >&2
  cat schema.d.ts >&2
  exit 1
fi

expected=$(grep -c '// error:' bad.ts)
set +e
output=$("$tsc" "${flags[@]}" bad.ts)
status=$?
set -e
echo "$output"
if [ $status -eq 0 ]; then
  echo "types_tsc: bad.ts must not type-check" >&2
  exit 1
fi
# Each error names its line; every marked line must have one, and no other line any.
marked=$(grep -n '// error:' bad.ts | cut -d: -f1 | sort -n | uniq)
failed=$(echo "$output" | grep -oE '^bad\.ts\(([0-9]+),' | sed -E 's/bad\.ts\(([0-9]+),/\1/' | sort -n | uniq)
if [ "$marked" != "$failed" ]; then
  echo "types_tsc: lines with errors ($(echo $failed)) differ from marked lines ($(echo $marked))" >&2
  exit 1
fi
echo "types_tsc: good.ts passes; bad.ts fails on all $expected marked lines"
