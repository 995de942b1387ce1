#!/usr/bin/env bash
# `daas backup` and `daas restore` killed with SIGKILL at random moments of their copy, once or twice
# in a row, then run again into the same directory: the run must succeed and leave a database that
# passes `daas check` and holds every document (backup.h: a target holds a MANIFEST only once its
# copy is complete and checked). A kill that lands after the copy finished leaves a finished
# database, which must hold every document too.
# Usage: backup_kill_test.sh PATH/TO/daas. DAAS_KILL_SEED (default: random, printed) and
# DAAS_KILL_CYCLES (default 6 per command; more until two kills cut a copy short) control the run.
set -euo pipefail

BIN=${1:?usage: backup_kill_test.sh PATH/TO/daas}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SEED=${DAAS_KILL_SEED:-$((($(date +%s%N) / 1000) % 1000000))}
CYCLES=${DAAS_KILL_CYCLES:-6}
RANDOM=$SEED
echo "backup_kill_test: seed $SEED (DAAS_KILL_SEED=$SEED replays it), $CYCLES cycles per command"

failed=0
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A database big enough that a copy takes a while: 4 shard files of about 9 MB.
N=200000
PAD=$(printf 'x%.0s' $(seq 150))
seq 1 "$N" | awk -v pad="$PAD" '{printf "{\"i\":%d,\"pad\":\"%s\"}\n", $1, pad}' >"$TMP/docs.jsonl"
"$BIN" import c "$TMP/docs.jsonl" --dir "$TMP/db" >/dev/null

# expect_whole NAME DIR COUNT: DIR is a database that passes check and holds COUNT documents.
expect_whole() {
  local out
  if ! out=$("$BIN" check --dir "$2" 2>&1); then
    fail "$1: check: $out"
  elif ! out=$("$BIN" count c --dir "$2" 2>&1) || [ "$out" != "$3" ]; then
    fail "$1: count gives '$out', expected $3"
  fi
}

sleep_ms() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

# run_killed DELAY_MS MARKER CMD...: starts CMD and kills it with SIGKILL DELAY_MS later; with a
# MARKER path, DELAY_MS after MARKER exists (the copy has begun, or an earlier one was cut).
run_killed() {
  local delay=$1 marker=$2
  shift 2
  "$@" >/dev/null 2>&1 &
  local pid=$!
  if [ -n "$marker" ]; then
    while [ ! -e "$marker" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.002; done
  fi
  sleep_ms "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

"$BIN" backup "$TMP/bk" --dir "$TMP/db" >/dev/null
expect_whole "first backup" "$TMP/bk" "$N"
docs=$N  # in the database

# kill_runs TARGET CMD...: runs CMD once or twice, each killed at a random moment, half of them
# during the copy into TARGET. Sets KILLED_AT to the delays.
kill_runs() {
  local target=$1 delay
  shift
  KILLED_AT=""
  for _ in $(seq $((1 + RANDOM % 2))); do
    if [ $((RANDOM % 2)) -eq 0 ]; then
      delay=$((RANDOM % span))
      KILLED_AT="$KILLED_AT $delay ms"
      run_killed "$delay" "" "$@"
    else
      delay=$((RANDOM % (copy_span / 2 + 1)))
      KILLED_AT="$KILLED_AT $delay ms into the copy"
      run_killed "$delay" "$target/INCOMPLETE" "$@"
    fi
  done
}

for command in backup restore; do
  if [ "$command" == restore ]; then
    # Restores are killed copying bk, and run again from bk2, which holds more: leftovers of the
    # one must not mix with the other.
    "$BIN" backup "$TMP/bk2" --dir "$TMP/db" >/dev/null
    expect_whole "second backup" "$TMP/bk2" "$docs"
    timed=("$BIN" restore "$TMP/bk" --dir "$TMP/timed")
  else
    timed=("$BIN" backup "$TMP/timed" --dir "$TMP/db")
  fi
  # How long one uncut run takes, and its copy (from INCOMPLETE to MANIFEST): the kills are spread
  # over them.
  start=$(now_ms)
  "${timed[@]}" >/dev/null &
  pid=$!
  while [ ! -e "$TMP/timed/INCOMPLETE" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.002; done
  copy_start=$(now_ms)
  while [ ! -e "$TMP/timed/MANIFEST" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.002; done
  copy_span=$(($(now_ms) - copy_start + 10))
  wait "$pid"
  span=$(($(now_ms) - start + 50))
  rm -rf "$TMP/timed"
  unfinished=0
  cycle=0
  # At least CYCLES cycles, and more (up to 3 times as many) until two kills cut a copy short.
  while [ "$cycle" -lt "$CYCLES" ] || { [ "$unfinished" -lt 2 ] && [ "$cycle" -lt $((3 * CYCLES)) ]; }; do
    cycle=$((cycle + 1))
    target="$TMP/$command-$cycle"
    if [ "$command" == backup ]; then
      kill_runs "$target" "$BIN" backup "$target" --dir "$TMP/db"
      killed_count=$docs
    else
      kill_runs "$target" "$BIN" restore "$TMP/bk" --dir "$target"
      killed_count=$N
    fi
    name="$command cycle $cycle (killed after$KILLED_AT; a run takes ${span} ms, its copy ${copy_span})"
    if [ -e "$target/MANIFEST" ]; then
      echo "$name: finished before the kill"
      expect_whole "$name, finished before the kill" "$target" "$killed_count"
      continue
    fi
    if [ -e "$target/INCOMPLETE" ]; then
      echo "$name: left an unfinished copy: $(ls "$target" | tr '\n' ' ')"
      unfinished=$((unfinished + 1))
    else
      echo "$name: killed before its copy began"
    fi
    if [ "$command" == backup ]; then
      # The database moves on before the backup is run again.
      "$BIN" insert c '{"late":true}' --dir "$TMP/db" >/dev/null
      docs=$((docs + 1))
      out=$("$BIN" backup "$target" --dir "$TMP/db" 2>&1) && rc=0 || rc=$?
      want=$docs
    else
      out=$("$BIN" restore "$TMP/bk2" --dir "$target" 2>&1) && rc=0 || rc=$?
      want=$("$BIN" count c --dir "$TMP/bk2")
    fi
    if [ "$rc" -ne 0 ]; then
      fail "$name: the run after the kill failed: $out"
      continue
    fi
    expect_whole "$name, run again" "$target" "$want"
    [ ! -e "$target/INCOMPLETE" ] || fail "$name: INCOMPLETE is left after the run"
  done
  echo "$command: $unfinished of $cycle cycles left an unfinished copy"
  [ "$unfinished" -gt 0 ] || fail "$command: no kill landed during a copy (runs take ${span} ms)"
done
# The killed backups never hurt the database they copied.
expect_whole "the database backed up" "$TMP/db" "$docs"

if [ "$failed" -ne 0 ]; then
  echo "backup_kill_test: $failed failure(s), seed $SEED" >&2
  exit 1
fi
echo "backup_kill_test: ok"
