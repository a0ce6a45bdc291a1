#!/bin/bash
# End-to-end: keys in a SoftHSM2 token, through a private pcscd with a vpcd reader served by
# docketcard-sim (tests/e2e/pcsc-env.sh). Usage: tests/e2e/token_pcsc_test.sh BUILD_DIR
#   write (-vv), lock and verify the sample holder with every key in a private token (its own
#   SOFTHSM2_CONF in the test's folder): exit 0 each, the card verifies against
#   keys-sample/csca.pem; the APDU traces hold the SCP03 session but never the PIN.
# Needs root (private mount namespace), pcscd, vsmartcard-vpcd, opensc and softhsm2.
set -u

BUILD_DIR=$(cd "${1:?usage: token_pcsc_test.sh BUILD_DIR}" && pwd)
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

pcsc_env_start
W="$PCSC_ENV_DIR"
READER="$PCSC_ENV_READER0"
PIN="Pin-Qz7wXk"
DOCKETCARD_SAMPLE_PIN="$PIN" "$SRC_DIR/keys-sample/provision-softhsm.sh" "$W/site" >/dev/null ||
    pcsc_env_fail "provision-softhsm.sh failed"
export SOFTHSM2_CONF="$W/site/softhsm2.conf"
unset DOCKETCARD_PKCS11_PIN

card_present() { opensc-tool -r 0 -a >/dev/null 2>&1; }
pcsc_env_background "$SIM" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$W/a.card" 2>>"$W/sim.log"
pcsc_env_wait_for card_present || pcsc_env_fail "the card never appeared in '$READER'"

expect 0 "write with token keys" "$DC" write -vv --reader "$READER" --record "$RECORD" --keys "$W/site" --json
grep -q '"state": "PERSONALIZED"' "$W/out" || pcsc_env_fail "write: $(cat "$W/out")"
cat "$W/out" "$W/err" >"$W/trace"
expect 0 "lock with token keys" "$DC" lock -vv --reader "$READER" --keys "$W/site" --yes
cat "$W/out" "$W/err" >>"$W/trace"
expect 0 "verify against the sample CSCA" "$DC" verify -vv --reader "$READER" --record "$RECORD" \
    --csca "$SRC_DIR/keys-sample/csca.pem"
cat "$W/out" "$W/err" >>"$W/trace"
grep -q "VERIFIED" "$W/out" || pcsc_env_fail "verify: $(cat "$W/out")"
grep -q "80 50\|8050" "$W/trace" || pcsc_env_fail "the -vv trace holds no INITIALIZE UPDATE: $(head -n 5 "$W/trace")"
grep -aqF "$PIN" "$W/trace" && pcsc_env_fail "the PIN appears in a -vv trace"
echo "token_pcsc: OK"
