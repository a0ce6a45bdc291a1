#!/bin/bash
# The shared journal against a real PostgreSQL server: a private cluster made with initdb in a
# temporary folder, run as an unprivileged user (nobody, when this runs as root), listening only
# on a Unix socket in that folder, stopped at the end. The system cluster is never touched.
# Usage: tests/journal/pg_journal_test.sh DOCKETCARD SOURCE_DIR
#   0. a URI with a password is refused (exit 2) without echoing it; no schema: exit 8; --init
#      creates version 1, again says current; a station refuses a schema version it does not know
#   1. three `issue` processes on one input, each on its own sim:DIR/ reader, issue every holder
#      exactly once between them
#   2. the schema refuses a second verified card for a document number by hand-written SQL, even
#      with triggers off (the partial unique index)
#   3. one of three stations SIGKILLed mid-card: when its lease (2 s) expires the others take its
#      record over (its attempt spoiled, serial kept) and finish; restarted, it issues nothing and
#      sets the taken-over card aside
#   4. a station stopped (SIGSTOP) past its lease, its record taken over, then continued: it does
#      not finish that card and says so (exit 8)
#   5. the server restarted mid-batch: the stations stop with exit 8, nothing is reported verified
#      that the server did not commit, and a rerun finishes every holder exactly once
#   6. two stations racing for the last record: one card, one station issues it, the other skips
#   7. six SIGKILLs at random moments, then a rerun: every holder once, every card file journaled
#   8. an ordinary role whose password is only in PGPASSFILE (scram-sha-256)
# Exit 77 (ctest SKIP) only when the PostgreSQL server binaries are not installed.
set -u
DC=${1:?usage: pg_journal_test.sh DOCKETCARD SOURCE_DIR}
SRC=$(cd "${2:?usage: pg_journal_test.sh DOCKETCARD SOURCE_DIR}" && pwd)
fail() { echo "pg_journal_test: FAIL: $*" >&2; exit 1; }

PGBIN=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PGBIN="$d"; done
if [ -z "$PGBIN" ]; then
    echo "pg_journal_test: SKIP: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql"
    exit 77
fi
PSQL="$PGBIN/psql"
[ -x "$PSQL" ] || PSQL=$(command -v psql) || fail "no psql"

T=$(mktemp -d /tmp/dk-pg.XXXXXX)
chmod 755 "$T"
PIDS=()
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
cleanup() {
    for f in "$T"/*.pid; do [ -s "$f" ] && { kill -CONT "$(cat "$f")"; kill -9 "$(cat "$f")"; } 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
mkdir "$T/pg"
[ "$(id -u)" = 0 ] && chown nobody "$T/pg"
as_pg "$PGBIN/initdb" -D "$T/pg/data" -U docketcard --auth=trust -E UTF8 --no-sync >"$T/initdb.log" 2>&1 ||
    fail "initdb: $(cat "$T/initdb.log")"
start_pg() {
    as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 30 \
        -o "-k $T/pg -c listen_addresses='' -c fsync=off" start >/dev/null || fail "pg_ctl start: $(tail -5 "$T/pg/server.log")"
}
start_pg
sql() { "$PSQL" -h "$T/pg" -U docketcard -d "$DB" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
new_db() {
    DB=$1
    "$PSQL" -h "$T/pg" -U docketcard -d postgres -X -q -c "CREATE DATABASE $DB" || fail "create database $DB"
    URI="postgresql://docketcard@/$DB?host=$T/pg"
    "$DC" journal --journal "$URI" --init >"$T/init.out" 2>&1 || fail "--init $DB: $(cat "$T/init.out")"
}

K="$SRC/keys-sample"
holders() { head -n "$1" "$SRC/samples/holders.jsonl" | sed "s|\"photos/|\"$SRC/samples/photos/|"; }
holders 12 >"$T/h12.jsonl"
holders 1 >"$T/h1.jsonl"
N=12
# issue NAME INPUT [more options]: one station on its own sim folder, --json events to T/NAME.out.
issue() {
    local name=$1 input=$2
    shift 2
    mkdir -p "$T/cards-$name"
    "$DC" issue --json --input "$input" --reader "sim:$T/cards-$name/" --keys "$K" --csca "$K/csca.pem" \
        --journal "$URI" --reports "$T/reports" --station "$name" --lease-seconds 2 "$@" \
        >>"$T/$name.out" 2>>"$T/$name.err" &
    local pid=$!
    echo "$pid" >"$T/$name.pid"
    wait "$pid"
}
# The docketcard process of a station started with `issue NAME ... &` (not its subshell).
dc_pid() {
    for _ in $(seq 1 100); do
        [ -s "$T/$1.pid" ] && { cat "$T/$1.pid"; return; }
        sleep 0.02
    done
    fail "station $1 did not start"
}
# Every holder of the input verified on exactly one card, no card in progress.
exactly_once() {
    local n=$1 what=$2
    [ "$(sql "SELECT count(*) FROM attempts WHERE state = 'verified'")" = "$n" ] ||
        fail "$what: $(sql "SELECT count(*) FROM attempts WHERE state = 'verified'") verified attempts, expected $n"
    [ "$(sql "SELECT count(DISTINCT record_id) FROM attempts WHERE state = 'verified'")" = "$n" ] ||
        fail "$what: a record verified twice"
    [ "$(sql "SELECT count(*) FROM attempts WHERE state IN ('writing', 'written', 'locked')")" = 0 ] ||
        fail "$what: attempts left in progress: $(sql "SELECT id, station, state FROM attempts WHERE state IN ('writing', 'written', 'locked')")"
    # Every verified card is a LOCKED card file in the folder of the station that made it.
    local files
    files=$(sql "SELECT count(*) FROM attempts WHERE state = 'verified'")
    [ "$(sql "SELECT count(DISTINCT card_serial) FROM attempts WHERE state = 'verified'")" = "$files" ] ||
        fail "$what: one card serial on two verified attempts"
}

# 0. URI checks and the schema.
DB=none
set +e
"$DC" journal --journal "postgresql://docketcard:s3cret@/x?host=$T/pg" >"$T/o" 2>"$T/e"; rc=$?
: # (no set -e: every failure is checked and named)
[ "$rc" = 2 ] || fail "password in URI: exit $rc: $(cat "$T/e")"
grep -q "holds a password" "$T/e" && grep -q "pgpass" "$T/e" || fail "password in URI: message: $(cat "$T/e")"
grep -q s3cret "$T/e" "$T/o" && fail "the password was printed"
set +e
"$DC" issue --input "$T/h1.jsonl" --reader "sim:$T/x/" --keys "$K" --csca "$K/csca.pem" --reports "$T/r" \
    --journal "postgresql://docketcard@/x?host=$T/pg&password=s3cret" >"$T/o" 2>"$T/e"; rc=$?
: # (no set -e: every failure is checked and named)
[ "$rc" = 2 ] || fail "issue, password in URI: exit $rc: $(cat "$T/e")"
grep -q s3cret "$T/e" "$T/o" && fail "issue printed the password"
"$PSQL" -h "$T/pg" -U docketcard -d postgres -X -q -c "CREATE DATABASE site"
DB=site
URI="postgresql://docketcard@/site?host=$T/pg"
set +e
"$DC" journal --journal "$URI" >"$T/o" 2>"$T/e"; rc=$?
: # (no set -e: every failure is checked and named)
[ "$rc" = 8 ] && grep -q "has no docketcard schema; create it once with" "$T/e" || fail "no schema: exit $rc: $(cat "$T/e")"
"$DC" journal --journal "$URI" --init >"$T/o" 2>&1 || fail "--init: $(cat "$T/o")"
[ "$(cat "$T/o")" = "journal $URI: schema version 1 created" ] || fail "--init said: $(cat "$T/o")"
"$DC" journal --journal "$URI" --init >"$T/o" 2>&1 || fail "--init again: $(cat "$T/o")"
[ "$(cat "$T/o")" = "journal $URI: schema version 1, already current" ] || fail "--init again said: $(cat "$T/o")"
sql "UPDATE docketcard_schema SET version = 2"
set +e
issue early "$T/h1.jsonl"; rc=$?
: # (no set -e: every failure is checked and named)
[ "$rc" = 8 ] && grep -q "has schema version 2, newer than this docketcard knows (1)" "$T/early.err" ||
    fail "unknown schema: exit $rc: $(cat "$T/early.err")"
sql "UPDATE docketcard_schema SET version = 1"
echo "pg_journal_test: 0 ok (URI, schema)"

# 1. Three stations, one input.
t0=$(date +%s%N)
for s in a b c; do issue "$s" "$T/h12.jsonl" & PIDS+=($!); done
for p in "${PIDS[@]}"; do wait "$p" || fail "station exit $? ($(cat "$T"/*.err))"; done
PIDS=()
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exactly_once $N "three stations"
[ "$(sql "SELECT count(*) FROM attempts")" = $N ] || fail "three stations: $(sql "SELECT count(*) FROM attempts") attempts for $N holders"
per=$(sql "SELECT string_agg(station || ' ' || n, ', ' ORDER BY station) FROM (SELECT station, count(*) n FROM attempts GROUP BY station) s")
[ "$(sql "SELECT count(DISTINCT station) FROM attempts")" -ge 2 ] || fail "three stations: one station did everything ($per)"
issued=$(cat "$T"/{a,b,c}.out | grep -c '"event":"verified"')
[ "$issued" = $N ] || fail "three stations reported $issued verified cards, expected $N"
"$DC" journal --journal "$URI" >"$T/site.txt" || fail "journal site view"
grep -qE "^stations running: none$" "$T/site.txt" || fail "site view: $(cat "$T/site.txt")"
grep -qF "$N records, $N card attempts: pending 0, rejected 0, writing 0, written 0, locked 0, verified $N, spoiled 0, superseded 0" "$T/site.txt" ||
    fail "site view summary: $(cat "$T/site.txt")"
[ "$(grep -cE '^[abc] +sim:' "$T/site.txt")" = "$(sql "SELECT count(DISTINCT station) FROM attempts")" ] || fail "site rows: $(cat "$T/site.txt")"
"$DC" journal --journal "$URI" --csv >"$T/site.csv" || fail "journal --csv"
head -n 1 "$T/site.csv" | grep -q '^station,reader,writing,written,locked,verified,spoiled,superseded,cards_per_hour,last_finished_at' ||
    fail "site csv: $(cat "$T/site.csv")"
"$DC" journal --journal "$URI" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert sum(r["cards"] for r in d["site"]) == '$N', d["site"]' ||
    fail "site json"
set +e
"$DC" journal --journal "$URI" --watch 1 </dev/null >"$T/o" 2>"$T/e"; rc=$?
: # (no set -e: every failure is checked and named)
[ "$rc" = 2 ] && grep -q "needs a terminal" "$T/e" || fail "--watch without a terminal: exit $rc $(cat "$T/e")"
# On a terminal (script(1) gives it one): the view is redrawn every second.
if command -v script >/dev/null; then
    # 4.5 s: at least two redraws even when a loaded machine delays the start by a second; at most
    # five (one a second, and the first at once): not a busy loop.
    timeout 4.5 script -qfc "'$DC' journal --journal '$URI' --watch 1" /dev/null >"$T/watch.out" 2>&1
    n=$(grep -c "(every 1 s; Ctrl-C to stop)" "$T/watch.out")
    [ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "--watch 1 on a terminal drew $n times in 4.5 s: $(head -c 600 "$T/watch.out")"
    grep -q "verified $N, spoiled 0" "$T/watch.out" || fail "--watch view: $(head -c 600 "$T/watch.out")"
fi
echo "pg_journal_test: 1 ok (3 stations, $N holders exactly once in $ms ms: $per)"

# 2. Hand-written SQL cannot make a second valid card.
ins="INSERT INTO attempts(record_id, batch_id, holder_batch, station, reader, record_digest, card_serial, state) SELECT record_id, batch_id, holder_batch, 'hand', 'hand', record_digest, 'FFEE01', 'verified' FROM attempts WHERE state = 'verified' ORDER BY id LIMIT 1"
out=$(sql "$ins" 2>&1) && fail "hand insert of a verified attempt was accepted"
echo "$out" | grep -q "journal rule: an attempt starts in state writing" || fail "hand insert: $out"
out=$(sql "SET session_replication_role = replica; $ins" 2>&1) && fail "hand insert with triggers off was accepted"
echo "$out" | grep -q 'duplicate key value violates unique constraint "attempts_one_verified_per_record"' || fail "hand insert, triggers off: $out"
out=$(sql "DELETE FROM attempts" 2>&1) && fail "delete accepted"
echo "$out" | grep -q "journal rule: attempts are never deleted" || fail "delete: $out"
echo "pg_journal_test: 2 ok (hand-written SQL refused)"

# 3. A station SIGKILLed mid-card; lease expiry lets the others finish; restarted, it issues nothing.
new_db kill
: >"$T/a.out"; : >"$T/b.out"; : >"$T/c.out"
for s in a b c; do rm -rf "$T/cards-$s" "$T/$s.pid"; done
issue a "$T/h12.jsonl" & pa=$!
issue b "$T/h12.jsonl" & pb=$!
issue c "$T/h12.jsonl" & pc=$!
PIDS=("$pa" "$pb" "$pc")
for _ in $(seq 1 400); do
    [ "$(sql "SELECT count(*) FROM attempts WHERE station = 'b' AND card_serial IS NOT NULL AND state IN ('writing', 'written', 'locked')")" -ge 1 ] && break
    sleep 0.01
done
kill -9 "$(dc_pid b)"
wait "$pb" 2>/dev/null
victim=$(sql "SELECT id FROM attempts WHERE station = 'b' AND state IN ('writing', 'written', 'locked') ORDER BY id LIMIT 1")
[ -n "$victim" ] || fail "station b was not killed mid-card"
vserial=$(sql "SELECT coalesce(card_serial, '') FROM attempts WHERE id = $victim")
wait "$pa" || fail "station a after b was killed: exit $? $(cat "$T/a.err")"
wait "$pc" || fail "station c after b was killed: exit $? $(cat "$T/c.err")"
PIDS=()
exactly_once $N "b killed"
st=$(sql "SELECT state || ' ' || coalesce(card_serial, '-') || ' ' || (taken_over_by IS NOT NULL) FROM attempts WHERE id = $victim")
[ "$st" = "spoiled ${vserial:--} true" ] || fail "b's attempt $victim after the takeover: $st"
sql "SELECT error FROM attempts WHERE id = $victim" | grep -q "^taken over by station [ac]: the lease of station b (batch [0-9]*) expired at " ||
    fail "takeover reason: $(sql "SELECT error FROM attempts WHERE id = $victim")"
: >"$T/b.out"
issue b "$T/h12.jsonl" || fail "b restarted: exit $? $(cat "$T/b.err")"
grep -q '"event":"batch_done","exit_code":0' "$T/b.out" || grep -q '"exit_code":0' "$T/b.out" || fail "b restarted: $(tail -1 "$T/b.out")"
tail -n 1 "$T/b.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["issued"] == 0 and d["skipped"] == '$N', d' ||
    fail "b restarted issued something: $(tail -n 1 "$T/b.out")"
if [ -n "$vserial" ]; then
    grep '"event":"spoiled"' "$T/b.out" | grep -q "\"serial\":\"$vserial\"" || fail "b restarted did not set card $vserial aside: $(cat "$T/b.out")"
    ls "$T/cards-b/spoiled/" | grep -q . || fail "no card in cards-b/spoiled"
fi
exactly_once $N "b restarted"
echo "pg_journal_test: 3 ok (b killed on attempt $victim card ${vserial:-unread}, taken over; restart issued 0)"

# 4. A station stopped past its lease comes back after the takeover: it must not finish the card.
new_db pause
: >"$T/d.out"; : >"$T/d.err"; : >"$T/e.out"
rm -rf "$T/cards-d" "$T/cards-e" "$T/d.pid"
issue d "$T/h12.jsonl" & pd=$!
PIDS=("$pd")
for _ in $(seq 1 400); do
    [ "$(sql "SELECT count(*) FROM attempts WHERE station = 'd' AND card_serial IS NOT NULL AND state IN ('writing', 'written')")" -ge 1 ] && break
    sleep 0.01
done
kill -STOP "$(dc_pid d)"
paused=$(sql "SELECT id FROM attempts WHERE station = 'd' AND state IN ('writing', 'written', 'locked') ORDER BY id LIMIT 1")
[ -n "$paused" ] || { kill -CONT "$(dc_pid d)"; fail "d was not paused mid-card"; }
sleep 3
issue e "$T/h12.jsonl" || fail "e after d paused: exit $? $(cat "$T/e.err")"
kill -CONT "$(dc_pid d)"
set +e
wait "$pd"; rc=$?
: # (no set -e: every failure is checked and named)
PIDS=()
[ "$rc" = 8 ] || fail "d continued after its lease expired: exit $rc, expected 8 $(cat "$T/d.err")"
grep -qE "lost its lease|was taken over by station e|connection to the server was lost" "$T/d.err" || fail "d did not say why it stopped: $(cat "$T/d.err")"
[ "$(sql "SELECT state FROM attempts WHERE id = $paused")" = spoiled ] || fail "d's paused attempt: $(sql "SELECT state FROM attempts WHERE id = $paused")"
exactly_once $N "d paused"
echo "pg_journal_test: 4 ok (d paused on attempt $paused, came back: $(grep -oE "lost its lease|was taken over by station e|connection to the server was lost" "$T/d.err" | head -n 1))"

# 5. The server restarted mid-batch.
new_db restart
for s in a b c; do rm -rf "$T/cards-$s"; : >"$T/$s.out"; : >"$T/$s.err"; done
issue a "$T/h12.jsonl" & pa=$!
issue b "$T/h12.jsonl" & pb=$!
issue c "$T/h12.jsonl" & pc=$!
PIDS=("$pa" "$pb" "$pc")
for _ in $(seq 1 400); do
    [ "$(sql "SELECT count(*) FROM attempts WHERE state = 'verified'")" -ge 3 ] && break
    sleep 0.02
done
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m fast -w stop >/dev/null || fail "pg_ctl stop"
codes=""
for p in "$pa" "$pb" "$pc"; do
    set +e
    wait "$p"; rc=$?
    : # (no set -e: every failure is checked and named)
    codes="$codes $rc"
    [ "$rc" = 8 ] || [ "$rc" = 0 ] || fail "a station exited $rc when the server went away $(cat "$T"/[abc].err)"
done
PIDS=()
echo "$codes" | grep -q 8 || fail "no station noticed the server going away (exits:$codes)"
grep -h "connection to the server was lost\|cannot connect\|could not" "$T"/[abc].err | head -n 1 | grep -q . || fail "exit 8 without a reason: $(cat "$T"/[abc].err)"
start_pg
before=$(sql "SELECT count(*) FROM attempts WHERE state = 'verified'")
# Every card a station reported verified is verified in the journal.
for s in a b c; do
    grep '"event":"verified"' "$T/$s.out" | grep -oE '"serial":"[0-9A-F]+"' | cut -d'"' -f4 | while read -r serial; do
        [ "$(sql "SELECT state FROM attempts WHERE card_serial = '$serial'")" = verified ] || fail "$s reported $serial verified; the journal says $(sql "SELECT state FROM attempts WHERE card_serial = '$serial'")"
    done || exit 1
done
for s in a b c; do issue "$s" "$T/h12.jsonl" & PIDS+=($!); done
for p in "${PIDS[@]}"; do wait "$p" || fail "rerun after the restart: exit $? $(cat "$T"/[abc].err)"; done
PIDS=()
exactly_once $N "server restarted"
echo "pg_journal_test: 5 ok (server stopped after $before verified, exits:$codes; rerun finished $N exactly once)"

# 6. Two stations racing for the last record.
new_db race
for s in x y; do rm -rf "$T/cards-$s"; : >"$T/$s.out"; : >"$T/$s.err"; done
issue x "$T/h1.jsonl" & px=$!
issue y "$T/h1.jsonl" & py=$!
PIDS=("$px" "$py")
wait "$px" || fail "race x: exit $? $(cat "$T/x.err")"
wait "$py" || fail "race y: exit $? $(cat "$T/y.err")"
PIDS=()
exactly_once 1 "race"
[ "$(sql "SELECT count(*) FROM attempts")" = 1 ] || fail "race: $(sql "SELECT count(*) FROM attempts") attempts for the last record"
got=$(for s in x y; do tail -n 1 "$T/$s.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["issued"], d["skipped"])'; done | sort | tr '\n' ' ')
[ "$got" = "0 1 1 0 " ] || fail "race: issued/skipped per station: $got"
echo "pg_journal_test: 6 ok (race for the last record: one card)"

# 7. SIGKILL at random moments, then the same command again: no holder lost or duplicated, and
#    the journal agrees with the card files (every card made is journaled with its serial).
new_db kills
rm -rf "$T/cards-k"; : >"$T/k.out"; : >"$T/k.err"
holders 21 >"$T/h21.jsonl"
kills=""
for i in 1 2 3 4 5 6; do
    rm -f "$T/k.pid"
    issue k "$T/h21.jsonl" & pk=$!
    PIDS=("$pk")
    ms_wait=$(( (RANDOM % 500) + 150 ))
    sleep "$(printf '0.%03d' "$ms_wait")"
    kill -9 "$(dc_pid k)" 2>/dev/null && kills="$kills ${ms_wait}ms"
    wait "$pk" 2>/dev/null
    PIDS=()
done
issue k "$T/h21.jsonl" || fail "k after the kills: exit $? $(tail -n 3 "$T/k.err")"
exactly_once 21 "random kills"
files=$(find "$T/cards-k" -name '*.card' | wc -l)
good=$(find "$T/cards-k" -maxdepth 1 -name '*.card' | wc -l)
journaled=$(sql "SELECT count(*) FROM attempts WHERE card_serial IS NOT NULL")
[ "$files" = "$journaled" ] || fail "random kills: $files card files, $journaled attempts with a card serial"
[ "$good" = 21 ] || fail "random kills: $good card files outside spoiled/, expected the 21 verified ones"
echo "pg_journal_test: 7 ok (SIGKILL at$kills; $files cards made, all journaled, 21 verified)"

# 8. An ordinary role (no superuser) whose password is only in PGPASSFILE: --init and a batch work;
#    without the password file the connection is refused (exit 8) and says where to put it.
printf 'local all docketcard trust\nlocal all all scram-sha-256\n' >"$T/pg/data/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" reload >/dev/null || fail "pg_ctl reload"
sleep 0.5
DB=postgres
sql "CREATE ROLE station LOGIN PASSWORD 'pw-from-pgpass'" >/dev/null
sql "CREATE DATABASE sdb OWNER station" >/dev/null
printf '*:*:sdb:station:pw-from-pgpass\n' >"$T/pgpass"
chmod 600 "$T/pgpass"
URI="postgresql://station@/sdb?host=$T/pg"
rc=0; "$DC" journal --journal "$URI" --init >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 8 ] && grep -q "pgpass" "$T/e" || fail "no password file: exit $rc $(cat "$T/e")"
export PGPASSFILE="$T/pgpass"
"$DC" journal --journal "$URI" --init >"$T/o" 2>&1 || fail "--init as an ordinary role: $(cat "$T/o")"
rm -rf "$T/cards-r"; : >"$T/r.out"; : >"$T/r.err"
issue r "$T/h1.jsonl" || fail "issue as an ordinary role: exit $? $(cat "$T/r.err")"
DB=sdb
exactly_once 1 "ordinary role"
grep -q "pw-from-pgpass" "$T/r.out" "$T/r.err" "$T/o" && fail "the password was printed"
unset PGPASSFILE
echo "pg_journal_test: 8 ok (an ordinary role, password from PGPASSFILE only)"

echo "pg_journal_test: ok"
