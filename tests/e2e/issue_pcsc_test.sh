#!/bin/bash
# End-to-end: `docketcard issue` on a PC/SC reader (a private pcscd with vpcd, tests/e2e/pcsc-env.sh)
# served by docketcard-sim, the test playing the operator who inserts and removes cards.
# Usage: tests/e2e/issue_pcsc_test.sh BUILD_DIR
#   A 2-holder batch on "Virtual PCD 00 00". The first card is torn mid-write (docketcard-sim
#   --tear-after 16, inside DG2: the sim exits, so the card leaves the reader); the batch journals it spoiled
#   and asks for a new card; the test inserts new blank cards (a fresh sim with a new card file)
#   each time the batch asks, and removes each card when asked.
#   Expected: exit 0; the journal holds 3 attempts: DC2600001 spoiled (with its serial), then
#   DC2600001 and DC2600002 verified.
# Needs root (private mount namespace), pcscd, vsmartcard-vpcd and opensc. Every wait is bounded.
set -u

BUILD_DIR=$(cd "${1:?usage: issue_pcsc_test.sh BUILD_DIR}" && pwd)
SRC_DIR=${DOCKETCARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# A port of our own (pcsc-env.sh keeps one set before it is sourced).
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

# Two holders with absolute photo paths.
head -n 2 "$SRC_DIR/samples/holders.jsonl" | sed "s|\"photos/|\"$SRC_DIR/samples/photos/|" >"$W/holders.jsonl"

start_sim() {
    local file="$1"
    shift
    "$SIM" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$file" "$@" 2>>"$W/sim.log" &
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

# wait_events NAME COUNT: until the issue --json stream holds COUNT events NAME.
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

"$DC" issue --input "$W/holders.jsonl" --reader "$READER" --keys "$KEYS" --csca "$KEYS/csca.pem" \
    --journal "$W/j.db" --json >"$W/out" 2>"$W/err" &
ISSUE_PID=$!
PCSC_ENV_BG_PIDS+=("$ISSUE_PID")

# Card 1 is torn during the write: the sim exits with code 3 (docs/sim.md).
wait_events waiting_for_card 1
start_sim "$W/card1.card" --tear-after 16
rc=0
deadline=$((SECONDS + PCSC_ENV_TIMEOUT))
while kill -0 "$SIM_PID" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && show_and_fail "the torn sim did not exit"
    sleep 0.2
done
wait "$SIM_PID" || rc=$?
SIM_PID=""
[ "$rc" = 3 ] || show_and_fail "docketcard-sim exited $rc, expected 3 (torn)"

# The batch asks for a new card for the same holder; then for holder 2.
for n in 2 3; do
    wait_events waiting_for_card "$n"
    start_sim "$W/card$n.card"
    wait_events remove_card "$n"
    stop_sim
done

deadline=$((SECONDS + PCSC_ENV_TIMEOUT))
while kill -0 "$ISSUE_PID" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && show_and_fail "docketcard issue did not end"
    sleep 0.2
done
rc=0
wait "$ISSUE_PID" || rc=$?
ISSUE_PID=""
[ "$rc" = 0 ] || show_and_fail "docketcard issue exited $rc, expected 0"

[ "$(events spoiled)" = 1 ] || show_and_fail "expected 1 spoiled event"
[ "$(events verified)" = 2 ] || show_and_fail "expected 2 verified events"
grep '"event":"spoiled"' "$W/out" | grep -q '"document_number":"DC2600001"' || show_and_fail "the spoiled card is not DC2600001's"
grep '"event":"batch_done"' "$W/out" | grep -q '"outcome":"complete"' || show_and_fail "no batch_done complete"

"$DC" journal --journal "$W/j.db" --csv >"$W/journal.csv" || pcsc_env_fail "docketcard journal failed"
rows=$(tail -n +2 "$W/journal.csv" | tr -d '\r')
[ "$(echo "$rows" | wc -l)" = 3 ] || pcsc_env_fail "expected 3 attempts: $rows"
echo "$rows" | sed -n 1p | grep -q '^1,DC2600001,spoiled,Virtual PCD 00 00,[0-9A-F]\{20\},' ||
    pcsc_env_fail "attempt 1 is not DC2600001 spoiled with a serial: $rows"
echo "$rows" | sed -n 2p | grep -q '^2,DC2600001,verified,' || pcsc_env_fail "attempt 2: $rows"
echo "$rows" | sed -n 3p | grep -q '^3,DC2600002,verified,' || pcsc_env_fail "attempt 3: $rows"

echo "issue_pcsc: OK"
