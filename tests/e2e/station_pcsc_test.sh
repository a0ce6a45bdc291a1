#!/bin/bash
# End-to-end: the operator's station moments through a private pcscd with a vpcd reader served
# by docketcard-sim (tests/e2e/pcsc-env.sh). Usage: tests/e2e/station_pcsc_test.sh BUILD_DIR
#   1. write --wait 1 on an empty reader: exit 4 after about 1 s, naming the reader and the wait
#   2. write --wait 20 with the card put in 2 s later (docketcard-sim started late): exit 0,
#      "waiting for a card in 'Virtual PCD 00 00' (20 s)" said once; --json says nothing before
#      the result (lock --wait --json)
#   3. a card put in right after another was pulled is written by the first write (3 swaps)
#   4. serial: readers --json carries "identity" (null behind vpcd); --reader serial:VALUE that no
#      reader has is exit 4 listing the readers and their identities
# Needs root (private mount namespace), pcscd, vsmartcard-vpcd and opensc.
set -u

BUILD_DIR=$(cd "${1:?usage: station_pcsc_test.sh BUILD_DIR}" && pwd)
SRC_DIR=${DOCKETCARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
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
start_sim() {
    "$SIM" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$1" 2>>"$W/sim.log" &
    SIM_PID=$!
    PCSC_ENV_BG_PIDS+=("$SIM_PID")
}
kill_sim() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    SIM_PID=""
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 1. --wait 1 on an empty reader.
t0=$(ms)
expect 4 "write --wait 1 on an empty reader" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS" --wait 1
took=$(( $(ms) - t0 ))
grep -qF "docketcard: error: no card in reader '$READER' after 1 s (--wait 1). Put a card on the reader and run the command again." "$W/err" ||
    pcsc_env_fail "--wait 1: $(cat "$W/err")"
[ "$took" -ge 900 ] && [ "$took" -lt 5000 ] || pcsc_env_fail "--wait 1 returned after $took ms, expected about 1000"
# Without --wait, an empty reader is exit 4 at once (the settling window: about 2 s at most).
expect 4 "write without --wait on an empty reader" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS"
grep -q "SCARD_E_NO_SMARTCARD (there is no card in the reader)" "$W/err" || pcsc_env_fail "no --wait: $(cat "$W/err")"

# 2. The card appears 2 s after write --wait started.
"$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS" --wait 20 >"$W/late.out" 2>"$W/late.err" &
dc=$!
sleep 2
start_sim "$W/late.card"
wait "$dc"
rc=$?
[ "$rc" = 0 ] || { cat "$W/late.err" >&2; pcsc_env_fail "write --wait 20 with a late card: exit $rc"; }
[ "$(grep -c "^docketcard: waiting for a card in '$READER' (20 s)$" "$W/late.err")" = 1 ] ||
    pcsc_env_fail "the wait was not announced once: $(cat "$W/late.err")"
grep -q "personalized for document DC2600001" "$W/late.out" || pcsc_env_fail "late write: $(cat "$W/late.out")"
kill_sim
pcsc_env_wait_for bash -c '! opensc-tool -r 0 -a' || pcsc_env_fail "the card did not leave"
"$DC" lock --reader "$READER" --keys "$KEYS" --yes --wait 20 --json >"$W/late.json" 2>"$W/late.err" &
dc=$!
sleep 1
start_sim "$W/late.card"
wait "$dc" || pcsc_env_fail "lock --wait --json: exit $?: $(cat "$W/late.err")"
[ -s "$W/late.err" ] && pcsc_env_fail "--json printed on stderr while waiting: $(cat "$W/late.err")"
grep -q '"locked": true' "$W/late.json" || pcsc_env_fail "lock --wait --json: $(cat "$W/late.json")"

# 3. Swaps: once pcscd has seen the card pulled, another is put in and the write starts at once,
# without --wait: connect rides out the reader's settling window (attempts in the -v trace).
retried=0
for n in 1 2 3; do
    kill_sim
    pcsc_env_wait_for bash -c '! opensc-tool -r 0 -a' || pcsc_env_fail "the card did not leave"
    start_sim "$W/swap-$n.card"
    expect 0 "write right after swap $n" "$DC" write --reader "$READER" --record "$RECORD" --keys "$KEYS" -v
    grep -q "personalized for document DC2600001" "$W/out" || pcsc_env_fail "swap $n: $(cat "$W/out")"
    grep -q "connect: reader '$READER' connected on attempt" "$W/err" && retried=$((retried + 1))
done
echo "station_pcsc: $retried of 3 swaps needed more than one connection attempt"

# 4. Reader identity.
expect 0 "readers --json" "$DC" readers --json
grep -q '"identity": null' "$W/out" || pcsc_env_fail "readers --json has no identity: $(cat "$W/out")"
expect 4 "write --reader serial:NOPE" "$DC" write --reader serial:NOPE --record "$RECORD" --keys "$KEYS"
grep -qF "no PC/SC reader has the identity 'NOPE'; the readers are:" "$W/err" || pcsc_env_fail "serial: $(cat "$W/err")"
grep -qF "0: $READER  (no identity)" "$W/err" || pcsc_env_fail "serial: reader list: $(cat "$W/err")"
kill_sim

echo "station_pcsc: OK"
