#!/usr/bin/env bash
# End-to-end test of the real `daas` binary: every command, --dir before and after the command,
# exit codes and error messages, imports of JSON Lines and JSON arrays, export -> import round trips
# and persistence across invocations, inputs that change or never end, and errors that echo what
# was typed. Usage: cli_test.sh PATH/TO/daas [SANITIZER]
set -euo pipefail

BIN=${1:?usage: cli_test.sh PATH/TO/daas [SANITIZER]}
SANITIZER=${2:-}  # address or thread in a sanitizer build: no address-space limits there
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")  # absolute: some tests change directory
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
D="$TMP/db"

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}

# run ARGS...: runs daas; sets OUT, ERR and RC without tripping set -e.
run() {
  if "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"; then RC=0; else RC=$?; fi
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

# ok NAME ARGS...: the command succeeds.
ok() {
  local name=$1
  shift
  run "$@"
  if [ "$RC" -eq 0 ]; then pass; else fail "$name: exit $RC, stderr: $ERR"; fi
}

# fails NAME EXIT_CODE STDERR_SUBSTRING ARGS...: the command exits with EXIT_CODE, prints nothing
# on stdout, and stderr contains STDERR_SUBSTRING.
fails() {
  local name=$1 code=$2 pattern=$3
  shift 3
  run "$@"
  if [ "$RC" -ne "$code" ]; then
    fail "$name: exit $RC, expected $code; stderr: $ERR"
  elif [[ "$ERR" != *"$pattern"* ]]; then
    fail "$name: stderr lacks '$pattern': $ERR"
  elif [ -n "$OUT" ]; then
    fail "$name: unexpected stdout: $OUT"
  else
    pass
  fi
}

# same NAME ACTUAL EXPECTED
same() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}

# matches NAME TEXT REGEX
matches() {
  if [[ "$2" =~ $3 ]]; then pass; else fail "$1: '$2' does not match /$3/"; fi
}

# ---- help and version ----
ok "help" --help
for cmd in stats list create drop rename count insert get replace patch delete import export check backup restore compact schema types; do
  [[ "$OUT" == *"  $cmd "* ]] && pass || fail "help lists $cmd"
done
[[ "$OUT" == *"--dir"* && "$OUT" == *"Exit status"* ]] && pass || fail "help names --dir and exit codes"
for cmd in stats list create drop rename count insert get replace patch delete import export check backup restore compact schema types; do
  ok "$cmd --help" "$cmd" --help
  [[ "$OUT" == *"Example"* && "$OUT" == *"daas $cmd"* ]] && pass || fail "$cmd --help has an example"
done
ok "version" --version
matches "version text" "$OUT" '^daas [0-9]+\.[0-9]+\.[0-9]+$'

# ---- no database yet: read commands fail and create nothing ----
fails "list without database" 1 "daas: error: not_found (2): " --dir "$D" list
fails "stats without database" 1 "not_found (2)" --dir "$D"
fails "get without database" 1 "not_found (2)" get users AAAAAAAAAAAAAAAAAAA --dir "$D"
fails "schema (printing) without database" 1 "not_found (2)" --dir "$D" schema
[ ! -e "$D" ] && pass || fail "read commands must not create the database"

# ---- usage errors exit 2 ----
fails "missing argument" 2 "daas: error: invalid_argument (1): " --dir "$D" insert users
fails "unknown command" 2 "invalid_argument (1)" --dir "$D" frobnicate
fails "unknown option" 2 "invalid_argument (1)" --dir "$D" list --bogus
fails "extra argument" 2 "invalid_argument (1)" --dir "$D" count a b
fails "bad batch size" 2 "invalid_argument (1)" --dir "$D" import a f --batch-size lots
fails "empty dir" 2 "invalid_argument (1)" --dir "" list
[ ! -e "$D" ] && pass || fail "usage errors must not create the database"

# ---- insert / get with --dir before and after ----
ok "insert, --dir before" --dir "$D" insert users '{"name":"Ada","age":36,"tags":["x",1.5]}'
ADA=$OUT
matches "insert prints an ID" "$ADA" '^[-0-9A-Za-z_]{19}$'
ok "get, --dir after" get users "$ADA" --dir "$D"
same "get prints the document" "$OUT" '{"name":"Ada","age":36,"tags":["x",1.5]}'
ok "get, --dir= between" get "--dir=$D" users "$ADA"
same "get with --dir=" "$OUT" '{"name":"Ada","age":36,"tags":["x",1.5]}'
ok "insert, --dir after" insert users '{"name":"Bob"}' --dir "$D"
BOB=$OUT
ok "insert from stdin" --dir "$D" insert users - < <(echo '{"name":"Cy"}')
CY=$OUT
ok "count" --dir "$D" count users
same "count after 3 inserts" "$OUT" 3
ok "list" list --dir "$D"
same "insert created the collection" "$OUT" users

# ---- patch / replace / delete ----
ok "patch" --dir "$D" patch users "$ADA" '{"age":37,"tags":null,"address":{"city":"London"}}'
same "patch prints nothing" "$OUT" ""
ok "get patched" --dir "$D" get users "$ADA"
same "merge patch applied" "$OUT" '{"name":"Ada","age":37,"address":{"city":"London"}}'
ok "replace" replace users "$BOB" '{"name":"Robert","v":2}' --dir "$D"
ok "get replaced" --dir "$D" get users "$BOB"
same "replace applied" "$OUT" '{"name":"Robert","v":2}'
ok "delete" --dir "$D" delete users "$CY"
fails "get deleted" 1 "daas: error: not_found (2): " --dir "$D" get users "$CY"
fails "delete deleted" 1 "not_found (2)" --dir "$D" delete users "$CY"
fails "patch deleted" 1 "not_found (2)" --dir "$D" patch users "$CY" '{}'
fails "replace deleted" 1 "not_found (2)" --dir "$D" replace users "$CY" '{}'
# A guessed ID: same shard and slot as a live document, other salt.
# The first 10 characters are salt bits only.
GUESS="AAAAAAAAAA${ADA:10}"
[ "$GUESS" != "$ADA" ] || GUESS="BBBBBBBBBB${ADA:10}"
fails "get guessed ID" 1 "not_found (2)" --dir "$D" get users "$GUESS"
fails "get in other collection" 1 "not_found (2)" --dir "$D" get nosuch "$ADA"
fails "bad ID" 1 "daas: error: invalid_argument (1): document ID must be 19 characters" \
  --dir "$D" get users nope
fails "bad ID character" 1 "invalid character at offset" --dir "$D" get users 'AAAAAAAAAAAAAAAAAA!'
DASH_ID="-${ADA:1}"
run --dir "$D" get users "$DASH_ID"
# An ID starting with '-' is an ID, not an option: not_found (or the document, if it happens to
# be valid for this database), never a usage error.
[ "$RC" -ne 2 ] && pass || fail "ID starting with '-' taken as an option: $ERR"
fails "invalid JSON names the byte" 1 "invalid JSON at byte 5" --dir "$D" insert users '{"a":}'
fails "non-object JSON" 1 "invalid_argument (1)" --dir "$D" insert users '[1,2]'
fails "bad patch JSON" 1 "invalid JSON at byte" --dir "$D" patch users "$ADA" '{"a":1,}'

# ---- collections ----
ok "create" --dir "$D" create empty
fails "create existing" 1 "daas: error: already_exists (3): " --dir "$D" create empty
fails "create bad name" 1 "invalid_argument (1)" --dir "$D" create 9lives
ok "rename" --dir "$D" rename empty vacant
ok "list after rename" --dir "$D" list
same "list is sorted, one per line" "$OUT" "$(printf 'users\nvacant')"
fails "rename onto existing" 1 "already_exists (3)" --dir "$D" rename vacant users
fails "rename missing" 1 "not_found (2)" --dir "$D" rename nosuch other
ok "rename keeps IDs" --dir "$D" rename users people
ok "get after rename" --dir "$D" get people "$ADA"
same "document after rename" "$OUT" '{"name":"Ada","age":37,"address":{"city":"London"}}'
ok "rename back" --dir "$D" rename people users
ok "drop" --dir "$D" drop vacant
fails "drop missing" 1 "not_found (2)" --dir "$D" drop vacant
fails "count missing" 1 "not_found (2)" --dir "$D" count vacant

# ---- stats, the default command ----
ok "stats" --dir "$D" stats
STATS=$OUT
ok "no command is stats" --dir "$D"
same "default command is stats" "$OUT" "$STATS"
matches "stats header" "$(head -1 <<<"$STATS")" '^collection +documents +document_bytes +memory_bytes +shards$'
matches "stats row" "$(sed -n 2p <<<"$STATS")" '^users +2 +[1-9][0-9]* +[0-9]+ +1$'
matches "stats log line" "$(grep '^log:' <<<"$STATS")" '^log: [0-9]+ segment\(s\), [0-9]+ bytes, last LSN [0-9]+ \(durable [0-9]+\)$'
matches "stats checkpoint line" "$(grep '^checkpoint:' <<<"$STATS")" '^checkpoint: LSN [0-9]+, 1 shard file\(s\), [1-9][0-9]* bytes$'

# ---- check: verifies the files without opening the database ----
ok "check" --dir "$D" check
matches "check says ok" "$(tail -1 <<<"$OUT")" '^ok: every checksum'
CK="$TMP/checked"
mkdir -p "$CK"
cp -R "$D"/. "$CK"/
printf 'x' >>"$CK/MANIFEST"
run --dir "$CK" check
same "check of a damaged manifest exits 1" "$RC" "1"
matches "check names the file and offset" "$ERR" 'corruption \(11\).*MANIFEST at byte [0-9]+'
fails "check without database" 1 "not_found (2)" --dir "$TMP/none" check
# A stale file of a shard holding as many documents, under the current file's name: a read of the
# shard refuses it (its log position is older than the manifest's), so check must too.
ST="$TMP/stale"
ok "stale: insert" --dir "$ST" insert c '{"v":1}'
STALE_ID=$OUT
cp "$ST"/s00000001-*.shard "$TMP/old.shard"
ok "stale: patch" --dir "$ST" patch c "$STALE_ID" '{"v":2}'
for f in "$ST"/s00000001-*.shard; do cp "$TMP/old.shard" "$f"; done
run --dir "$ST" check
same "check of a stale shard file exits 1" "$RC" "1"
matches "check names the stale file" "$OUT" 'problem +s00000001-[0-9a-f]+\.shard: holds 1 documents up to log record 1, MANIFEST says 1 up to 2'
fails "restore of a stale shard file" 1 "corruption (11)" --dir "$TMP/stale-restored" restore "$ST"
fails "read of a stale shard file" 1 "corruption (11)" --dir "$ST" get c "$STALE_ID"

# ---- backup and restore ----
ok "backup" --dir "$D" backup "$TMP/bk"
ok "restore" --dir "$TMP/restored" restore "$TMP/bk"
ok "count after restore" --dir "$TMP/restored" count users
same "restored count" "$OUT" "$(cd "$TMP" && "$BIN" --dir "$D" count users)"
fails "restore over a database" 1 "already_exists (3)" --dir "$D" restore "$TMP/bk"
fails "backup into a database" 1 "already_exists (3)" --dir "$D" backup "$TMP/restored"
# A directory with DaaS files but neither MANIFEST nor INCOMPLETE may be a database that lost its
# manifest: refused, and nothing in it is touched.
ok "backup again" --dir "$D" backup "$TMP/bk2"
rm "$TMP/bk2/MANIFEST"
BEFORE=$(ls "$TMP/bk2")
ok "insert after backup" --dir "$D" insert scratch '{}'
fails "backup over DaaS files without MANIFEST" 1 "nothing was changed" --dir "$D" backup "$TMP/bk2"
same "nothing deleted" "$(ls "$TMP/bk2")" "$BEFORE"
fails "restore over DaaS files without MANIFEST" 1 "already_exists (3)" --dir "$TMP/bk2" restore "$TMP/bk"
same "nothing deleted by restore" "$(ls "$TMP/bk2")" "$BEFORE"
# The directory of an unfinished backup or restore (INCOMPLETE, copied files, no MANIFEST): open
# refuses it, and a new run clears what the unfinished one left and starts over.
touch "$TMP/bk2/INCOMPLETE"
echo mine >"$TMP/bk2/notes.txt"
fails "open an unfinished backup" 1 "unfinished backup or restore" --dir "$TMP/bk2" count users
ok "backup into an unfinished backup" --dir "$D" backup "$TMP/bk2"
ok "count in the backup" --dir "$TMP/bk2" count users
same "backup count" "$OUT" "$(cd "$TMP" && "$BIN" --dir "$D" count users)"
ok "check of the backup" --dir "$TMP/bk2" check
same "files DaaS does not write are kept" "$(cat "$TMP/bk2/notes.txt")" "mine"
[ ! -e "$TMP/bk2/INCOMPLETE" ] && pass || fail "INCOMPLETE is removed"
rm "$TMP/restored/MANIFEST"
touch "$TMP/restored/INCOMPLETE"
ok "restore into an unfinished restore" --dir "$TMP/restored" restore "$TMP/bk2"
ok "count after restore again" --dir "$TMP/restored" count users
same "restored count again" "$OUT" "$(cd "$TMP" && "$BIN" --dir "$D" count users)"
ok "count of the later insert" --dir "$TMP/restored" count scratch
same "the restore holds the later insert" "$OUT" "1"
ok "drop scratch" --dir "$D" drop scratch

# ---- import: 20,000 lines of JSON Lines ----
seq 1 20000 | awk '{printf "{\"n\":%d,\"name\":\"user%d\",\"tags\":[\"a\",\"b\"],\"score\":%d.5,\"ok\":true}\n", $1, $1, $1}' \
  >"$TMP/big.jsonl"
ok "import 20000 lines" --dir "$D" import big "$TMP/big.jsonl"
matches "import summary" "$OUT" "^imported 20000 documents into 'big' in [0-9]+\.[0-9]{2} s \([0-9,]+ docs/s\)$"
same "no progress line when stderr is not a terminal" "$ERR" ""
ok "count imported" count big --dir "$D"
same "imported count" "$OUT" 20000

# ---- schema and types ----
S="$TMP/schemadb"
printf '%s\n' '{"collections": {"people": {"version": 1, "fields": {"name": {"type": "string", "required": true}, "age": {"type": "int", "min": 0, "default": 1}}}}}' >"$TMP/daas.schema.json"
ok "schema apply" --dir "$S" schema "$TMP/daas.schema.json"
same "schema apply output" "$OUT" "people: schema version 1 applied"
ok "schema apply again" --dir "$S" schema "$TMP/daas.schema.json"
same "schema unchanged" "$OUT" "people: unchanged (version 1)"
ok "insert under a schema" --dir "$S" insert people '{"name":"ann"}'
ok "defaults applied" --dir "$S" export people
same "exported with default" "$OUT" '{"name":"ann","age":1}'
fails "insert breaking the schema" 1 "schema_violation (5)" --dir "$S" insert people '{"age":-1}'
[[ "$ERR" == *"validation_required"* && "$ERR" == *"validation_min"* ]] && pass || fail "both violations named: $ERR"
ok "schema print" --dir "$S" schema
matches "schema printed" "$OUT" '^\{"collections":\{"people":\{"version":1,'
ok "types" --dir "$S" types
[[ "$OUT" == *"export interface PeopleRecord"* && "$OUT" == *"export interface PeopleCreate"* ]] && pass || fail "types output: $OUT"
printf '%s\n' '{"collections": {"x": {"fields": {"a": {"type": "nope"}}}}}' >"$TMP/bad.schema.json"
fails "bad schema file" 1 "collections.x.fields.a.type" --dir "$S" schema "$TMP/bad.schema.json"

# ---- compact (the space it gives back is tested in the engine's tests) ----
ok "compact" --dir "$D" compact
matches "compact output" "$OUT" '^compacted: shard files and log [0-9]+ -> [0-9]+ bytes$'
ok "count after compact" count big --dir "$D"
same "count unchanged by compact" "$OUT" 20000

# ---- import: a JSON array, from a file and from stdin ----
printf '[\n  {"k":1,"s":"a,]}"},\n  {"k":2,"nested":{"x":[1,2,{"y":null}]}},\n  {"k":3}\n]\n' >"$TMP/arr.json"
ok "import JSON array" --dir "$D" import arr "$TMP/arr.json" --batch-size 2
matches "array summary" "$OUT" "^imported 3 documents into 'arr' in "
ok "export array" --dir "$D" export arr
same "array round trip" "$OUT" "$(printf '%s\n' '{"k":1,"s":"a,]}"}' '{"k":2,"nested":{"x":[1,2,{"y":null}]}}' '{"k":3}')"
ok "import from stdin" --dir "$D" import arr - < "$TMP/arr.json"
ok "count after stdin import" --dir "$D" count arr
same "stdin import count" "$OUT" 6
ok "import empty file" --dir "$D" import none /dev/null
matches "empty import summary" "$OUT" "^imported 0 documents into 'none'"
fails "import missing file" 1 "not_found (2)" --dir "$D" import arr "$TMP/nosuch.jsonl"

# ---- import errors: the prefix before a bad document stays ----
{
  seq 1 25 | awk '{printf "{\"n\":%d}\n", $1}'
  echo '{"n":26,}'
  echo '{"n":27}'
} >"$TMP/bad.jsonl"
BAD_OFFSET=$(head -25 "$TMP/bad.jsonl" | wc -c)
fails "import bad line" 1 "line 26: invalid JSON at byte" --dir "$D" import partial "$TMP/bad.jsonl" --batch-size 10
[[ "$ERR" == *"25 documents before it were imported into 'partial' and stay"* ]] && pass \
  || fail "import error says how many were imported: $ERR"
BYTE=$(sed -n 's/.*invalid JSON at byte \([0-9]*\).*/\1/p' <<<"$ERR")
[ -n "$BYTE" ] && [ "$BYTE" -ge "$BAD_OFFSET" ] && [ "$BYTE" -lt $((BAD_OFFSET + 10)) ] && pass \
  || fail "bad byte offset $BYTE is not inside line 26 (starts at $BAD_OFFSET)"
ok "count after failed import" --dir "$D" count partial
same "documents before the bad line stay" "$OUT" 25
printf '[{"a":1},{"a":2},{"a":]' >"$TMP/bad.json"
fails "import bad array" 1 "array element 2: invalid JSON at byte 22" --dir "$D" import badarr "$TMP/bad.json"
[[ "$ERR" == *"2 documents before it were imported"* ]] && pass || fail "array prefix count: $ERR"

# ---- export -> import round trip ----
ok "export" --dir "$D" export big
printf '%s\n' "$OUT" >"$TMP/export1.jsonl"
same "export line count" "$(wc -l <"$TMP/export1.jsonl")" 20000
ok "export -o" --dir "$D" export big -o "$TMP/export2.jsonl"
same "export -o prints nothing" "$OUT" ""
cmp -s "$TMP/export1.jsonl" "$TMP/export2.jsonl" && pass || fail "export -o equals stdout export"
ok "re-import" --dir "$D" import big2 "$TMP/export1.jsonl"
ok "count re-imported" --dir "$D" count big2
same "round trip count" "$OUT" 20000
"$BIN" --dir "$D" export big2 >"$TMP/export3.jsonl"
cmp -s <(sort "$TMP/export1.jsonl") <(sort "$TMP/export3.jsonl") && pass || fail "round trip content"
cmp -s <(sort "$TMP/big.jsonl") <(sort "$TMP/export1.jsonl") && pass || fail "export matches the source file"

# ---- export --ids ----
ok "export --ids" --dir "$D" export users --ids
same "export --ids lines" "$(wc -l <<<"$OUT")" 2
bad_lines=0
while IFS= read -r line; do
  if [[ "$line" =~ ^\{\"id\":\"([-0-9A-Za-z_]{19})\",\"document\":(\{.*\})\}$ ]]; then
    id=${BASH_REMATCH[1]}
    doc=${BASH_REMATCH[2]}
    run --dir "$D" get users "$id"
    [ "$RC" -eq 0 ] && [ "$OUT" == "$doc" ] || bad_lines=$((bad_lines + 1))
  else
    bad_lines=$((bad_lines + 1))
  fi
done <<<"$("$BIN" --dir "$D" export users --ids)"
same "export --ids lines name their documents" "$bad_lines" 0
first_id=$("$BIN" --dir "$D" export users --ids | head -1 | sed 's/^{"id":"\([^"]*\)".*/\1/')
second_id=$("$BIN" --dir "$D" export users --ids | sed -n 2p | sed 's/^{"id":"\([^"]*\)".*/\1/')
[[ "$first_id" != "$second_id" ]] && pass || fail "export --ids gives distinct IDs"

# ---- persistence across invocations, and the default --dir ----
mkdir "$TMP/cwd"
if (cd "$TMP/cwd" && "$BIN" insert things '{"x":1}' >"$TMP/out" 2>"$TMP/err"); then pass; else fail "insert with default dir"; fi
[ -d "$TMP/cwd/data" ] && pass || fail "default --dir is ./data"
THING=$(cat "$TMP/out")
if (cd "$TMP/cwd" && "$BIN" get things "$THING" >"$TMP/out" 2>"$TMP/err"); then pass; else fail "get with default dir"; fi
same "persisted in ./data" "$(cat "$TMP/out")" '{"x":1}'
ok "get after many invocations" --dir "$D" get users "$ADA"
same "still there" "$OUT" '{"name":"Ada","age":37,"address":{"city":"London"}}'
ok "final list" --dir "$D" list
same "final collections" "$OUT" "$(printf 'arr\nbadarr\nbig\nbig2\nnone\npartial\nusers')"

# ---- a database open in another process is busy ----
# `import -` opens the database, then blocks reading standard input (a FIFO we hold open), keeping
# the directory locked. We wait until it holds the LOCK file, watching /proc so as not to race it.
mkfifo "$TMP/fifo"
exec 3<>"$TMP/fifo"
"$BIN" --dir "$D" import held - <"$TMP/fifo" >"$TMP/held.out" 2>&1 3>&- &
holder=$!
for _ in $(seq 1 300); do
  if ls -l "/proc/$holder/fd" 2>/dev/null | grep -q "/LOCK\$"; then break; fi
  sleep 0.1
done
fails "second process gets busy" 1 "daas: error: busy (9): " --dir "$D" list
# Deleting LOCK from under the open database lets no second writer in: the directory itself is
# locked too. Before, both imports succeeded and one's acknowledged documents vanished.
rm "$D/LOCK"
fails "second writer after LOCK is deleted gets busy" 1 "daas: error: busy (9): " \
  --dir "$D" import held2 "$TMP/big.jsonl"
printf '{"v":1}\n{"v":2}\n' >&3
exec 3>&-  # end of input: the holder imports its two documents and exits
if wait "$holder"; then pass; else fail "holder: $(cat "$TMP/held.out")"; fi
ok "free again after the first exits" --dir "$D" count held
same "held import finished" "$OUT" 2
fails "the refused writer created nothing" 1 "not_found (2)" --dir "$D" count held2
ok "check after the deleted LOCK" --dir "$D" check

# ---- progress line on a terminal (when `script` can provide one) ----
if command -v script >/dev/null 2>&1; then
  script -qec "'$BIN' --dir '$D' import tty '$TMP/big.jsonl'" "$TMP/tty.log" >/dev/null 2>&1 || true
  if grep -q "importing into 'tty': " "$TMP/tty.log" && grep -q "imported 20000 documents into 'tty'" "$TMP/tty.log"; then
    pass
  else
    fail "import on a terminal: $(cat "$TMP/tty.log")"
  fi
fi

# ---- the main job: `daas` alone on the default ./data, as scripts/run.sh runs it first ----
mkdir "$TMP/fresh"
(cd "$TMP/fresh" && "$BIN" >"$TMP/out" 2>"$TMP/err") && RC=0 || RC=$?
same "daas in an empty directory exits 0 ($(cat "$TMP/err"))" "$RC" 0
[ -f "$TMP/fresh/data/MANIFEST" ] && pass || fail "daas in an empty directory creates ./data"
same "it says so, in one line on stderr" "$(cat "$TMP/err")" \
  "daas: created an empty database in './data'; add documents with \`daas insert COLLECTION JSON\` or \`daas import COLLECTION FILE\`"
matches "and prints the empty statistics" "$(head -1 "$TMP/out")" '^collection +documents +document_bytes +memory_bytes +shards$'
(cd "$TMP/fresh" && "$BIN" >"$TMP/out" 2>"$TMP/err") && RC=0 || RC=$?
same "the second run exits 0" "$RC" 0
same "the second run creates nothing and says nothing" "$(cat "$TMP/err")" ""
# Only the main job on the default directory creates: an explicit command or --dir does not, and
# neither does a ./data that holds something else.
mkdir "$TMP/fresh2"
(cd "$TMP/fresh2" && "$BIN" stats >"$TMP/out" 2>"$TMP/err") && RC=0 || RC=$?
same "daas stats on a missing ./data fails" "$RC" 1
[[ "$(cat "$TMP/err")" == *"not_found (2)"* && ! -e "$TMP/fresh2/data" ]] && pass \
  || fail "daas stats on a missing ./data: not_found and nothing created: $(cat "$TMP/err")"
mkdir -p "$TMP/fresh2/data" && echo notes >"$TMP/fresh2/data/notes.txt"
(cd "$TMP/fresh2" && "$BIN" >"$TMP/out" 2>"$TMP/err") && RC=0 || RC=$?
same "daas on a ./data holding other files fails" "$RC" 1
[[ "$(cat "$TMP/err")" == *"not_found (2)"* && ! -e "$TMP/fresh2/data/MANIFEST" ]] && pass \
  || fail "daas leaves a ./data of other files alone: $(cat "$TMP/err")"

# ---- bad option values are usage errors ----
printf '{"a":1}\n{"a":2}\n' >"$TMP/two.jsonl"
for value in -1 -5 0 99999999999999999999999 1000001 1.5 ''; do
  fails "--batch-size '$value'" 2 "--batch-size: must be a whole number from 1 to 1,000,000" \
    --dir "$TMP/opts" import a "$TMP/two.jsonl" --batch-size "$value"
done
[ ! -e "$TMP/opts" ] && pass || fail "a bad --batch-size must not create the database"
ok "--batch-size 1" --dir "$TMP/opts" import a "$TMP/two.jsonl" --batch-size 1
ok "--batch-size 1000000" --dir "$TMP/opts" import a "$TMP/two.jsonl" --batch-size 1000000

# ---- input that is not JSON says so ----
fails "insert of a bad literal" 1 "invalid_argument (1): invalid JSON at byte 0: invalid literal" \
  --dir "$TMP/opts" insert a nope
fails "insert of a bad number" 1 "invalid JSON at byte 0: invalid number" --dir "$TMP/opts" insert a 12x

# ---- a collection name starting with '-' is a name ----
fails "create -abc" 1 "invalid_argument (1): invalid collection name '-abc'" --dir "$TMP/opts" create -abc
fails "count -abc" 1 "not_found (2): no collection '-abc'" --dir "$TMP/opts" count -abc
fails "insert -abc" 1 "invalid collection name '-abc'" --dir "$TMP/opts" insert -abc '{}'
fails "rename to -abc" 1 "invalid collection name '-abc'" --dir "$TMP/opts" rename a -abc
fails "export -abc" 1 "no collection '-abc'" --dir "$TMP/opts" export -abc --ids

# ---- errors are one line, whatever the user typed ----
run --dir "$TMP/opts" create $'two\nlines'
same "a name with a newline: exit 1" "$RC" 1
same "a name with a newline: one line" "$ERR" \
  "daas: error: invalid_argument (1): invalid collection name 'two\\nlines': use 1 to 128 letters, digits or '_', starting with a letter"
run --dir "$TMP/opts" import $'a\rb' "$TMP/no"$'\n'"such.jsonl"
same "a path with a newline: one line" "$(wc -l <"$TMP/err")" 1

# ---- export touches its output only once there is something to write ----
echo precious >"$TMP/users.jsonl"
fails "export of a missing collection" 1 "not_found (2)" --dir "$TMP/opts" export nosuch -o "$TMP/users.jsonl"
same "export of a missing collection leaves the file alone" "$(cat "$TMP/users.jsonl")" precious
ok "create an empty collection" --dir "$TMP/opts" create empty
ok "export of an empty collection" --dir "$TMP/opts" export empty -o "$TMP/users.jsonl"
[ -f "$TMP/users.jsonl" ] && [ ! -s "$TMP/users.jsonl" ] && pass || fail "export of an empty collection empties the file"

# ---- a full disk is resource_exhausted ----
fails "export to a full disk" 1 "daas: error: resource_exhausted (8): writing the export: write '/dev/full': No space left on device" \
  --dir "$TMP/opts" export a -o /dev/full

# Standard output that cannot be written fails the command, whatever it printed: an insert's new ID
# lost to a full disk is an error (the document is stored).
for args in "insert a {}" "count a" "list" "export a" "check" "backup $TMP/full-bk"; do
  # shellcheck disable=SC2086  # the arguments are split on purpose
  if "$BIN" --dir "$TMP/opts" $args >/dev/full 2>"$TMP/err"; then RC=0; else RC=$?; fi
  same "$args to a full standard output: exit 1" "$RC" 1
  matches "$args to a full standard output: says so" "$(cat "$TMP/err")" \
    '^daas: error: resource_exhausted \(8\): writing (standard output|the export to standard output) failed: No space left on device$'
done

# ---- arguments that look like the tool's own placeholders, or a short option's attached value ----
if timeout 10 "$BIN" --dir "$TMP/opts" create $'-\x1f0\x1f' >"$TMP/out" 2>"$TMP/err"; then RC=0; else RC=$?; fi
same "a name that looks like a placeholder: refused, not looping" "$RC" 1
fails "export -o ''" 2 "--output: must not be empty" --dir "$TMP/opts" export a -o ''
ok "export -oFILE" --dir "$TMP/opts" export -o"$TMP/attached.jsonl" a
same "export -oFILE writes FILE" "$(wc -l <"$TMP/attached.jsonl")" "$(wc -l <"$TMP/two.jsonl" | awk '{print $1 * 2 + 1}')"

# ---- import: an input file that changes while it is read ----
# The importer is frozen (SIGSTOP) once it has committed its first batches, the file is changed,
# and the importer goes on: the change happens while it is reading the file, every time.
# change_while_importing NAME CHANGE: imports $TMP/changing.jsonl into a new database, running
# CHANGE (a shell command) while it is frozen; sets RC, ERR, FROZEN_AT (its read position then).
seq 1 400000 | awk '{printf "{\"n\":%d,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n", $1}' \
  >"$TMP/changing.orig"
CHANGING_SIZE=$(stat -c %s "$TMP/changing.orig")
change_while_importing() {
  local name=$1 change=$2 db="$TMP/changedb-$1" used=0 fd=""
  cp "$TMP/changing.orig" "$TMP/changing.jsonl"
  "$BIN" --dir "$db" import changing "$TMP/changing.jsonl" --batch-size 1000 >"$TMP/out" 2>"$TMP/err" &
  local importer=$!
  for _ in $(seq 1 3000); do
    used=$(du -sb "$db" 2>/dev/null | cut -f1 || true)
    [ "${used:-0}" -gt 1000000 ] && break
    sleep 0.01
  done
  kill -STOP "$importer"
  for f in /proc/"$importer"/fd/*; do
    if [ "$(readlink "$f")" == "$TMP/changing.jsonl" ]; then fd=${f##*/}; fi
  done
  FROZEN_AT=""
  if [ -n "$fd" ]; then
    FROZEN_AT=$(sed -n 's/^pos:[[:space:]]*//p' "/proc/$importer/fdinfo/$fd" 2>/dev/null || true)
  fi
  eval "$change"
  kill -CONT "$importer"
  if wait "$importer"; then RC=0; else RC=$?; fi
  ERR=$(cat "$TMP/err")
  CHANGED_DB=$db
}
change_while_importing shrink 'truncate -s 1000 "$TMP/changing.jsonl"'
[ -n "$FROZEN_AT" ] && [ "$FROZEN_AT" -gt 0 ] && [ "$FROZEN_AT" -lt "$CHANGING_SIZE" ] && pass \
  || fail "the importer was frozen in the middle of its input (read position '$FROZEN_AT' of $CHANGING_SIZE)"
same "an input that shrinks: exit 1, no signal ($ERR)" "$RC" 1
matches "an input that shrinks: a clear error" "$ERR" \
  "^daas: error: aborted \(10\): '$TMP/changing.jsonl' shrank from $CHANGING_SIZE to 1000 bytes while it was being imported \(the read ended at byte [0-9]+\); [0-9]+ documents before it were imported into 'changing' and stay$"
IMPORTED=$(sed -n 's/.*; \([0-9]*\) documents before it were imported.*/\1/p' <<<"$ERR")
ok "count after a shrink" --dir "$CHANGED_DB" count changing
same "what the error counts stays imported" "$OUT" "${IMPORTED:-?}"
[ "${IMPORTED:-0}" -gt 0 ] && pass || fail "documents before the shrink were imported: $ERR"
ok "check after a shrink" --dir "$CHANGED_DB" check
change_while_importing grow 'echo "{\"late\":1}" >>"$TMP/changing.jsonl"'
same "an input that grows: exit 1 ($ERR)" "$RC" 1
matches "an input that grows: a clear error" "$ERR" \
  "^daas: error: aborted \(10\): '$TMP/changing.jsonl' grew from $CHANGING_SIZE bytes while it was being imported"

# ---- import: endless and unbounded inputs are read in bounded pieces ----
# NUL bytes are not JSON: refused at once, within an address-space limit the old whole-input read
# ran out of. (Sanitizers reserve terabytes of address space, so there the limit is left out.)
if [ -z "$SANITIZER" ]; then
  (ulimit -v 262144 && exec timeout 60 "$BIN" --dir "$TMP/zero" import z /dev/zero) >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
else
  timeout 60 "$BIN" --dir "$TMP/zero" import z /dev/zero >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
fi
same "import /dev/zero fails" "$RC" 1
same "import /dev/zero: a clear error" "$(cat "$TMP/err")" \
  "daas: error: invalid_argument (1): '/dev/zero': line 1: invalid JSON at byte 0: unescaped control character 0x00; nothing was imported into 'z'"
# An endless stream of valid documents is imported as it arrives, in bounded memory, until killed:
# the database grows while the input never ends, and what was committed survives kill -9.
MAX_RSS_KIB=262144
if [ -n "$SANITIZER" ]; then MAX_RSS_KIB=2097152; fi  # sanitizers' shadow memory counts too
yes '{"a":1}' | "$BIN" --dir "$TMP/endless" import e - >/dev/null 2>&1 &
importer=$!
used=0
rss_kib=0
for _ in $(seq 1 2000); do
  used=$(du -sb "$TMP/endless" 2>/dev/null | cut -f1 || true)
  [ "${used:-0}" -gt 4000000 ] && break
  # An importer that holds the input instead of importing it is stopped early, before it hurts.
  rss_kib=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$importer/status" 2>/dev/null || true)
  [ "${rss_kib:-0}" -gt "$MAX_RSS_KIB" ] && break
  sleep 0.01
done
peak_kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$importer/status" 2>/dev/null || true)
kill -9 "$importer" 2>/dev/null || true
wait "$importer" 2>/dev/null || true
[ "${used:-0}" -gt 4000000 ] && pass || fail "an endless input is imported as it arrives (database at $used bytes)"
[ -n "$peak_kib" ] && [ "$peak_kib" -lt "$MAX_RSS_KIB" ] && pass \
  || fail "an endless input is imported in bounded memory (peak ${peak_kib:-?} KiB)"
ok "count after kill -9 of an endless import" --dir "$TMP/endless" count e
[ "${OUT:-0}" -ge 10000 ] && pass || fail "documents committed before kill -9 stay: $OUT"

# ---- import: running out of memory ----
# Wherever memory runs out (the import's own buffers or inside the database), the error is
# resource_exhausted and says how many documents were imported, and exactly those are stored.
if [ -z "$SANITIZER" ]; then
  awk 'BEGIN { for (i = 0; i < 800000; i++) printf "{\"i\":%d,\"name\":\"%040d\",\"tags\":[\"a\",\"b\"]}\n", i, i }' \
    >"$TMP/oom.jsonl"
  (ulimit -v 400000 && exec "$BIN" --dir "$TMP/oom" import big "$TMP/oom.jsonl" --batch-size 1000000) \
    >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
  ERR=$(cat "$TMP/err")
  same "import out of memory: exit 1 ($ERR)" "$RC" 1
  matches "import out of memory: resource_exhausted, with the count" "$ERR" \
    "^daas: error: resource_exhausted \(8\): out of memory .*; (nothing was imported|[0-9,]+ documents? before it (was|were) imported) into 'big'"
  said=0
  if [[ "$ERR" =~ \;\ ([0-9,]+)\ documents?\ before ]]; then said=${BASH_REMATCH[1]//,/}; fi
  ok "check after running out of memory" --dir "$TMP/oom" check
  run --dir "$TMP/oom" count big
  if [ "$said" -eq 0 ]; then
    [ "$RC" -ne 0 ] || [ "$OUT" = 0 ] && pass || fail "nothing imported, yet $OUT stored"
  else
    same "import out of memory: the count it gave is what is stored" "$OUT" "$said"
  fi
  rm -f "$TMP/oom.jsonl"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
