#!/usr/bin/env bash
# Fails when any C/C++ source of the project is not clang-format clean (.clang-format at the root).
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.h' '*.hpp' '*.cc' '*.c' | grep -v '^build/')
if [ ${#files[@]} -eq 0 ]; then echo "no sources found"; exit 1; fi
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
