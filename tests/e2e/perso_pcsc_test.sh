#!/bin/bash
# End-to-end: docketcard write and lock through a private pcscd with a vpcd reader served by
# docketcard-sim (tests/e2e/pcsc-env.sh). Usage: tests/e2e/perso_pcsc_test.sh BUILD_DIR
#   1. write + lock the sample holder on a blank card: exit 0 both; docketcard-sim --link
#      contact-312k prints the session's projected card time when it stops
#   2. write on the locked card: exit 7, the card file unchanged (sha256 before/after)
#   3. a card torn mid-write (docketcard-sim --tear-after N): write exits 4 with the "removed
#      during personalization" message; the sim restarted on the same card file; the same write
#      exits 0 and the card ends PERSONALIZED
# Needs root (private mount namespace), pcscd, vsmartcard-vpcd and opensc.
set -u

BUILD_DIR=$(cd "${1:?usage: perso_pcsc_test.sh BUILD_DIR}" && pwd)
SRC_DIR=${DOCKETCARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# A port of its own (vpcd ports are not namespaced), kept across the re-exec.
export PCSC_ENV_PORT=${PCSC_ENV_PORT:-$((36000 + $$ % 20000))}
# shellcheck source=tests/e2e/pcsc-env.sh
. "$SRC_DIR/tests/e2e/pcsc-env.sh"
pcsc_env_enter "$0" "$@"

DC="$BUILD_DIR/bin/docketcard"
SIM="$BUILD_DIR/bin/docketcard-sim"
[ -x "$DC" ] || pcsc_env_fail "$DC is not built"
[ -x "$SIM" ] || pcsc_env_fail "$SIM is not built"
RECORD="$SRC_DIR/samples/holder.json"
KEYS="$SRC_DIR/keys-sample"

pcsc_env_start
W="$PCSC_ENV_DIR"
READER="$PCSC_ENV_READER0"
SIM_PID=""

card_present() { opensc-tool -r 0 -a >/dev/null 2>&1; }

# start_sim CARD_FILE [sim options...]: runs docketcard-sim and waits until reader 0 shows the card.
start_sim() {
    local file="$1"
    shift
    "$SIM" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$file" "$@" 2>>"$W/sim.log" &
    SIM_PID=$!
    PCSC_ENV_BG_PIDS+=("$SIM_PID")
    pcsc_env_wait_for card_present || pcsc_env_fail "the card of $file never appeared in '$READER'"
}

stop_sim() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    SIM_PID=""
    pcsc_env_wait_for bash -c '! opensc-tool -r 0 -a' || pcsc_env_fail "the card did not leave '$READER'"
}


# 1. write + lock (the sim accounts the session on the contact-312k link model).
start_sim "$W/a.card" --link contact-312k
expect 0 "write on a blank card" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS" --json
grep -q '"state": "PERSONALIZED"' "$W/out" || pcsc_env_fail "write --json: state is not PERSONALIZED: $(cat "$W/out")"
grep -q '"resumed": false' "$W/out" || pcsc_env_fail "write --json: resumed is not false"
expect 0 "write again on the complete card" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS"
grep -q "already holds the complete personalization of document DC2600001" "$W/out" ||
    pcsc_env_fail "second write: $(cat "$W/out")"
expect 2 "lock without a terminal and without --yes" "$DC" lock --reader "$READER" --keys "$KEYS"
grep -q "pass --yes" "$W/err" || pcsc_env_fail "lock without --yes: $(cat "$W/err")"
expect 0 "lock" "$DC" lock --reader "$READER" --keys "$KEYS" --yes
grep -q "locked (state LOCKED)" "$W/out" || pcsc_env_fail "lock: $(cat "$W/out")"
if "$DC" verify --help >/dev/null 2>&1; then
    expect 0 "verify of the locked card" "$DC" verify --reader "$READER" --record "$RECORD" --csca "$KEYS/csca.pem"
fi

# 2. write on the locked card: exit 7, card file unchanged.
stop_sim
grep -Eq "^docketcard-sim: projected card time on contact-312k: [0-9]+\.[0-9]{3} s for [0-9]+ commands \(transfer [0-9.]+ s, block gaps [0-9.]+ s, chip [0-9.]+ s, [1-9][0-9]* page writes [0-9.]+ s\)$" "$W/sim.log" ||
    pcsc_env_fail "docketcard-sim --link printed no projection: $(cat "$W/sim.log")"
before=$(sha256sum "$W/a.card" | cut -d' ' -f1)
start_sim "$W/a.card"
expect 7 "write on a locked card" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS"
grep -q "the card is locked; it cannot be written again; set it aside" "$W/err" ||
    pcsc_env_fail "write on a locked card: $(cat "$W/err")"
stop_sim
after=$(sha256sum "$W/a.card" | cut -d' ' -f1)
[ "$before" = "$after" ] || pcsc_env_fail "the locked card file changed ($before -> $after)"


# 3. torn mid-write (command 16: inside DG2), then the same write finishes the card.
start_sim "$W/b.card" --tear-after 16
expect 4 "write on a card torn mid-write" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS"
grep -q "the card was removed during personalization; it is incomplete (state PERSONALIZING). Put it back and run the same write command to finish it, or set it aside." "$W/err" ||
    pcsc_env_fail "torn write: $(cat "$W/err")"
stop_sim
start_sim "$W/b.card"
expect 0 "write again after the tear" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS" --json
grep -q '"state": "PERSONALIZED"' "$W/out" || pcsc_env_fail "write after tear: $(cat "$W/out")"
grep -q '"resumed": true' "$W/out" || pcsc_env_fail "write after tear did not resume: $(cat "$W/out")"
stop_sim

echo "perso_pcsc: OK"
