#!/bin/bash
# End-to-end (issue 13): a batch killed after journaling a card on a PC/SC reader and before
# journaling its serial left that card in the reader. The rerun finds it there, journals its
# serial on the attempt, spoils it and asks the operator to put it on the spoiled pile; then it
# issues the holder on a new card. Usage: tests/e2e/resume_pcsc_test.sh BUILD_DIR
#   The killed run is made by hand: holder 1 issued on a sim:DIR/ reader, then the attempt of
#   holder 2 on "Virtual PCD 00 00" without serial written into the SQLite journal (python3).
# Needs root (private mount namespace), pcscd, vsmartcard-vpcd and opensc. Every wait is bounded.
set -u

BUILD_DIR=$(cd "${1:?usage: resume_pcsc_test.sh BUILD_DIR}" && pwd)
SRC_DIR=${DOCKETCARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export PCSC_ENV_PORT=${PCSC_ENV_PORT:-$((36000 + $$ % 20000))}
export PCSC_ENV_TIMEOUT=${PCSC_ENV_TIMEOUT:-60}
# shellcheck source=tests/e2e/pcsc-env.sh
. "$SRC_DIR/tests/e2e/pcsc-env.sh"
pcsc_env_enter "$0" "$@"

DC="$BUILD_DIR/bin/docketcard"
SIM="$BUILD_DIR/bin/docketcard-sim"
[ -x "$DC" ] || pcsc_env_fail "$DC is not built"
[ -x "$SIM" ] || pcsc_env_fail "$SIM is not built"
KEYS="$SRC_DIR/keys-sample"

pcsc_env_start
W="$PCSC_ENV_DIR"
READER="$PCSC_ENV_READER0"
SIM_PID=""
ISSUE_PID=""
head -n 2 "$SRC_DIR/samples/holders.jsonl" | sed "s|\"photos/|\"$SRC_DIR/samples/photos/|" >"$W/holders.jsonl"
head -n 1 "$W/holders.jsonl" >"$W/holder1.jsonl"

start_sim() {
    "$SIM" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$1" 2>>"$W/sim.log" &
    SIM_PID=$!
    PCSC_ENV_BG_PIDS+=("$SIM_PID")
}
stop_sim() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    SIM_PID=""
}
show_and_fail() {
    echo "--- issue stdout:" >&2; cat "$W/out" >&2
    echo "--- issue stderr:" >&2; cat "$W/err" >&2
    pcsc_env_fail "$*"
}
events() {
    local n
    n=$(grep -c "\"event\":\"$1\"" "$W/out" 2>/dev/null)
    echo "${n:-0}"
}
wait_events() {
    local deadline=$((SECONDS + PCSC_ENV_TIMEOUT))
    until [ "$(events "$1")" -ge "$2" ]; do
        [ "$SECONDS" -ge "$deadline" ] && show_and_fail "no $2 '$1' events within ${PCSC_ENV_TIMEOUT}s"
        kill -0 "$ISSUE_PID" 2>/dev/null || show_and_fail "docketcard issue exited early (waiting for $2 '$1')"
        sleep 0.2
    done
}

# The killed run: holder 1 issued; holder 2's attempt on the PC/SC reader journaled, no serial.
"$DC" issue --input "$W/holder1.jsonl" --reader "sim:$W/pre/" --keys "$KEYS" --csca "$KEYS/csca.pem" \
    --journal "$W/j.db" >"$W/pre.out" 2>&1 || pcsc_env_fail "the first batch: $(cat "$W/pre.out")"
python3 - "$W/j.db" "$READER" <<'PY' || pcsc_env_fail "could not write the killed attempt into the journal"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
t = "2026-12-03T10:00:00.000Z"
db.execute("INSERT INTO batches(station, input, pid, started_at) VALUES ('test', 'holders.jsonl', 999999, ?)", (t,))
batch = db.execute("SELECT max(id) FROM batches").fetchone()[0]
db.execute("INSERT INTO records(document_number, source, digest, state, problems, batch_id, registered_at, "
           "updated_at) VALUES ('DC2600002', 'holders.jsonl:2', ?, 'pending', '', ?, ?, ?)", ("0" * 64, batch, t, t))
rec = db.execute("SELECT id FROM records WHERE document_number = 'DC2600002'").fetchone()[0]
db.execute("INSERT INTO attempts(record_id, batch_id, station, reader, record_digest, state, started_at, updated_at, "
           "source) VALUES (?, ?, 'test', ?, ?, 'writing', ?, ?, 'holders.jsonl:2')", (rec, batch, sys.argv[2], "0" * 64, t, t))
db.commit()
PY

# The card of that attempt is still in the reader.
start_sim "$W/left.card"
deadline=$((SECONDS + 20))
until opensc-tool -r 0 -a >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && pcsc_env_fail "the card did not appear in $READER"
    sleep 0.2
done

"$DC" issue --input "$W/holders.jsonl" --reader "$READER" --keys "$KEYS" --csca "$KEYS/csca.pem" \
    --journal "$W/j.db" --json >"$W/out" 2>"$W/err" &
ISSUE_PID=$!
PCSC_ENV_BG_PIDS+=("$ISSUE_PID")
# Resume: the card left in the reader is spoiled; the operator removes it.
wait_events remove_card 1
stop_sim
# Holder 2 on a new card.
wait_events waiting_for_card 1
start_sim "$W/new.card"
wait_events remove_card 2
stop_sim
deadline=$((SECONDS + PCSC_ENV_TIMEOUT))
while kill -0 "$ISSUE_PID" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && show_and_fail "docketcard issue did not end"
    sleep 0.2
done
rc=0
wait "$ISSUE_PID" || rc=$?
ISSUE_PID=""
[ "$rc" = 0 ] || show_and_fail "docketcard issue exited $rc, expected 0"

left=$(grep '"event":"spoiled"' "$W/out" | grep -oE '"serial":"[0-9A-F]+"' | cut -d'"' -f4)
[ -n "$left" ] || show_and_fail "no spoiled event with the serial of the card left in the reader"
grep '"event":"remove_card"' "$W/out" | head -n 1 | grep -q "SPOILED pile" || show_and_fail "the operator was not asked to put the card on the spoiled pile"
"$DC" journal --journal "$W/j.db" --csv >"$W/journal.csv" || pcsc_env_fail "docketcard journal failed"
rows=$(tail -n +2 "$W/journal.csv" | tr -d '\r')
[ "$(echo "$rows" | wc -l)" = 3 ] || pcsc_env_fail "expected 3 attempts: $rows"
echo "$rows" | sed -n 2p | grep -q "^2,DC2600002,spoiled,$READER,$left,.*interrupted before the card serial was read; card $left, left in reader $READER, was found on resume: put it on the spoiled pile" ||
    pcsc_env_fail "attempt 2 is not spoiled with the serial of the card left in the reader: $rows"
echo "$rows" | sed -n 3p | grep -q "^3,DC2600002,verified,$READER," || pcsc_env_fail "attempt 3: $rows"
echo "$rows" | sed -n 3p | grep -q ",$left," && pcsc_env_fail "the card left in the reader was verified: $rows"

echo "resume_pcsc: OK"
