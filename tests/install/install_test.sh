#!/usr/bin/env bash
# DaaS built, installed and used the way an application does it (docs/install.md), with g++ and
# warnings as errors, so the build stays clean with the compiler Debian ships:
#   1. a fresh Release build of SOURCE_DIR (no tests), `cmake --install`ed into a temporary prefix;
#   2. a C program built through `pkg-config --cflags --libs daas` (libdaas.so), and again against
#      libdaas.a with `pkg-config --static`;
#   3. tests/install/consumer through find_package(daas): C++ on daas::daas, C on daas::daas_static
#      and daas::daas_shared;
#   4. the same consumer with DaaS as a subproject (add_subdirectory).
# Every program opens a database in its own directory, inserts a document, reads it back, reopens
# the database and reads it again, and prints "c: ok" / "c++: ok" only if all of that worked.
#   install_test.sh SOURCE_DIR WORK_DIR     (WORK_DIR is emptied first)
set -euo pipefail

src=$(cd "$1" && pwd)
work=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
jobs=$(nproc)

# g++ explicitly: it is the compiler this test keeps warning-free (the presets use clang).
compilers=(-DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++)
if command -v ccache >/dev/null; then
  compilers+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# Paths under ccache's base_dir are hashed relative to the compiler's working directory. With it at
# the common ancestor of the source and work directories, the subproject build below (whose DaaS
# objects have the same compile commands, relative to its build directory, as the first build's)
# is served from the first build's objects, and runs in other checkouts of the same layout share
# them too.
base=$src
while [[ "$work/" != "$base/"* ]]; do base=$(dirname "$base"); done
if [ "$base" != / ]; then export CCACHE_BASEDIR=$base; fi

step() { echo "=== install_test [${SECONDS}s]: $*"; }
fail() {
  echo "install_test: FAILED: $*" >&2
  exit 1
}
# expect_ok PROGRAM DB_DIR WANT: runs PROGRAM on a fresh DB_DIR; its output must be WANT.
expect_ok() {
  local out
  out=$("$1" "$2") || fail "$1 exited with $?"
  [ "$out" = "$3" ] || fail "$1 printed '$out', want '$3'"
  echo "$1: $out"
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

step "configure DaaS with g++, as a user would"
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDAAS_BUILD_TESTS=OFF \
  -DDAAS_WERROR=ON "${compilers[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "configure"; }
step "build DaaS (-j${jobs})"
cmake --build "$work/build" -j "$jobs"
step "install into $work/prefix"
cmake --install "$work/build" --prefix "$work/prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install"; }

prefix=$work/prefix
pc=$(find "$prefix" -name daas.pc)
[ -n "$pc" ] || fail "no daas.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in include/daas/daas.h include/daas/daas.hpp include/daas/status.h include/daas/options.h \
  include/daas/doc_id.h bin/daas; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done
for f in libdaas.a libdaas.so libdaas.so.0 cmake/daas/daasConfig.cmake \
  cmake/daas/daasConfigVersion.cmake; do
  [ -e "$libdir/$f" ] || fail "$(basename "$libdir")/$f was not installed"
done
soname=$(readelf -d "$libdir/libdaas.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libdaas.so.0 ] || fail "libdaas.so has soname '$soname', want libdaas.so.0"
exported=$(nm -D --defined-only "$libdir/libdaas.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
  grep -v '^daas_' || true)
[ -z "$exported" ] || fail "libdaas.so exports more than daas_*: $(echo "$exported" | head -5)"
"$prefix/bin/daas" --help >/dev/null || fail "the installed daas command does not run"

step "C through pkg-config (libdaas.so)"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's output is a list of words
gcc -std=c11 -Wall -Wextra -Werror "$here/consumer/app.c" -o "$work/pc_shared" \
  $(pkg-config --cflags --libs daas)
needed "$work/pc_shared" | grep -qx libdaas.so.0 || fail "pc_shared does not load libdaas.so.0"
LD_LIBRARY_PATH="$libdir" expect_ok "$work/pc_shared" "$work/db_pc_shared" "c: ok"

step "C through pkg-config --static (libdaas.a and its Libs.private)"
# The archive named first, then what --static lists; --as-needed drops the libdaas.so that -ldaas
# would otherwise add, so the program must run on the archive alone.
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Werror "$here/consumer/app.c" -o "$work/pc_static" \
  $(pkg-config --cflags daas) -Wl,--as-needed "$libdir/libdaas.a" $(pkg-config --static --libs daas)
if needed "$work/pc_static" | grep -q libdaas; then fail "pc_static loads libdaas.so"; fi
expect_ok "$work/pc_static" "$work/db_pc_static" "c: ok"

# run_consumer BUILD_DIR: runs the consumer's three programs.
run_consumer() {
  expect_ok "$1/app_cxx" "$1/db_cxx" "c++: ok"
  expect_ok "$1/app_c_static" "$1/db_c_static" "c: ok"
  expect_ok "$1/app_c_shared" "$1/db_c_shared" "c: ok"  # finds libdaas.so by its build RPATH
}

step "C and C++ through find_package(daas) (CMAKE_PREFIX_PATH=prefix)"
cmake -S "$here/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" "${compilers[@]}" >"$work/consumer.log" ||
  { cat "$work/consumer.log"; fail "configure the find_package consumer"; }
cmake --build "$work/consumer" -j "$jobs"
run_consumer "$work/consumer"

step "C and C++ with DaaS as a subproject (add_subdirectory)"
cmake -S "$here/consumer" -B "$work/subproject" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DDAAS_SOURCE_DIR="$src" -DDAAS_WERROR=ON "${compilers[@]}" >"$work/subproject.log" ||
  { cat "$work/subproject.log"; fail "configure the add_subdirectory consumer"; }
for option in DAAS_BUILD_TESTS DAAS_INSTALL; do
  grep -qx "$option:BOOL=OFF" "$work/subproject/CMakeCache.txt" ||
    fail "$option is not OFF by default in a subproject"
done
cmake --build "$work/subproject" -j "$jobs"
run_consumer "$work/subproject"

step "done"
