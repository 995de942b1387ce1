#!/usr/bin/env bash
# Builds the release preset and runs the side-by-side workload, the cold-start workload and the
# micro benchmarks, writing bench/results/<date>.json, <date>-coldstart.json and <date>-micro.json.
# Arguments are passed to daas_workload, e.g.
#   bench/run.sh --docs 100000
# Environment: DAAS_CONFIGURE_ARGS adds cmake configure arguments (e.g. -DDAAS_BUILD_TESTS=OFF),
# DAAS_COLDSTART_ARGS arguments for daas_coldstart (e.g. "--runs 10"), DAAS_BENCH_COLDSTART=0 skips
# the cold-start workload (its cold cache state needs root, to drop the page cache), and
# DAAS_BENCH_MICRO=0 skips the micro benchmarks.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# shellcheck disable=SC2086  # word splitting of the extra arguments is intended
cmake --preset release ${DAAS_CONFIGURE_ARGS:-} >/dev/null
cmake --build --preset release -j2 --target daas_workload daas_coldstart daas_micro

# Numbers taken on a busy machine are not comparable: say so up front.
cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c / 2) }'; then
  echo "run.sh: warning: load average is $load on $cores cores; results will be noisy" >&2
fi

mkdir -p bench/results
stamp=$(date +%Y-%m-%d)
out="bench/results/$stamp.json"
if [ -e "$out" ]; then
  stamp=$(date +%Y-%m-%d-%H%M%S)
  out="bench/results/$stamp.json"
fi
label="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown) $(date -u +%FT%TZ)"

build/release/bench/workloads/daas_workload --json "$out" --label "$label" "$@"
echo "run.sh: wrote $out" >&2

if [ "${DAAS_BENCH_COLDSTART:-1}" != 0 ]; then
  # shellcheck disable=SC2086  # word splitting of the extra arguments is intended
  build/release/bench/workloads/daas_coldstart --json "bench/results/$stamp-coldstart.json" \
    --label "$label" ${DAAS_COLDSTART_ARGS:-}
  echo "run.sh: wrote bench/results/$stamp-coldstart.json" >&2
fi

if [ "${DAAS_BENCH_MICRO:-1}" != 0 ]; then
  build/release/bench/micro/daas_micro --benchmark_out="bench/results/$stamp-micro.json" \
    --benchmark_out_format=json
  echo "run.sh: wrote bench/results/$stamp-micro.json" >&2
fi
