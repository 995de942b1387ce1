#!/bin/sh
# run_fuzz.sh TARGET CORPUS SECONDS WORKDIR
# Runs libFuzzer TARGET for SECONDS over a copy of the committed CORPUS made in WORKDIR: libFuzzer
# writes new inputs into its first corpus directory, and the committed corpus must stay as it is.
# A crash leaves its input in WORKDIR/artifacts/; turn it into a unit test.
set -eu
if [ $# -ne 4 ]; then
  echo "usage: $0 TARGET CORPUS SECONDS WORKDIR" >&2
  exit 2
fi
target=$1
corpus=$2
seconds=$3
work=$4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$corpus"/. "$work/corpus/"
exec "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"
