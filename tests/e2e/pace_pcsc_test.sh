#!/usr/bin/env bash
# End-to-end PACE (Doc 9303 Part 11 4.4) through a private pcscd with vpcd and docketcard-sim:
# write (EF.CardAccess, CAN, CA key) + lock, verify says PACE-CAN, Chip and Active Authentication pass; the CAN
# never appears in a -vv trace; a wrong CAN exits 5; without a CAN PACE runs with the MRZ; a
# pace-only card refuses BAC (GET CHALLENGE 6982, sent by opensc-tool, an independent client);
# a card written as before PACE (--access bac) still verifies with BAC. Prints the APDUs and
# milliseconds of one verification with PACE and with BAC (docs/performance.md).
# Usage: tests/e2e/pace_pcsc_test.sh BUILD_DIR    (as root; re-runs itself under unshare -m)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
# shellcheck source=pcsc-env.sh
source "$here/pcsc-env.sh"

build="$(cd "${1:?usage: pace_pcsc_test.sh BUILD_DIR}" && pwd)" || { echo "FAIL: no build dir '$1'" >&2; exit 1; }
pcsc_env_enter "${BASH_SOURCE[0]}" "$build"

docketcard="$build/bin/docketcard"
sim="$build/bin/docketcard-sim"
record="$src/samples/holder.json"
keys="$src/keys-sample"
csca="$keys/csca.pem"
[ -x "$docketcard" ] || pcsc_env_fail "$docketcard is not built"
[ -x "$sim" ] || pcsc_env_fail "$sim is not built"

expect_exit() {
    local want="$1"
    shift
    out="$("$@" 2>"$PCSC_ENV_DIR/stderr.txt")"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "--- stdout:" >&2
        echo "$out" >&2
        echo "--- stderr:" >&2
        cat "$PCSC_ENV_DIR/stderr.txt" >&2
        pcsc_env_fail "expected exit $want, got $got from: $*"
    fi
}
json_field() {
    python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}
status_of() { json_field "$1" "{c['id']: c['status'] for c in d['checks']}.get('$2')"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

pcsc_env_start
pcsc_env_background "$sim" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$PCSC_ENV_DIR/pace.card"
pcsc_env_background "$sim" --vpcd "127.0.0.1:$((PCSC_ENV_PORT + 1))" --card-file "$PCSC_ENV_DIR/pace-only.card"
two_cards() { [ "$("$docketcard" readers --json | grep -o '"card_present": true' | wc -l)" -ge 2 ]; }
pcsc_env_wait_for two_cards || pcsc_env_fail "the sim cards did not appear"
r0="$PCSC_ENV_READER0" r1="$PCSC_ENV_READER1"
can="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["card_access_number"])' "$record")"

# 1. Default write: EF.CardAccess and the record's CAN; verify opens the chip with PACE-CAN.
expect_exit 0 "$docketcard" write --reader "$r0" --record "$record" --keys "$keys"
expect_exit 0 "$docketcard" lock --reader "$r0" --keys "$keys" --yes
t0=$(now_ms)
expect_exit 0 "$docketcard" verify -v --reader "$r0" --csca "$csca" --record "$record" --json
pace_ms=$(( $(now_ms) - t0 ))
pace_apdus=$(grep -c 'wire  >' "$PCSC_ENV_DIR/stderr.txt")
[ "$(json_field "$out" 'd["access_control"]')" = '"PACE-CAN"' ] || pcsc_env_fail "verify: access_control: $out"
[ "$(status_of "$out" pace)" = '"pass"' ] || pcsc_env_fail "verify: no passing pace check: $out"
[ "$(status_of "$out" bac)" = null ] || pcsc_env_fail "verify: a bac check on a PACE verification: $out"
[ "$(status_of "$out" active-authentication)" = '"pass"' ] || pcsc_env_fail "verify: AA did not pass: $out"
[ "$(status_of "$out" chip-authentication)" = '"pass"' ] || pcsc_env_fail "verify: CA did not pass: $out"
grep -q 'wire  > 0C 22 41 A4' "$PCSC_ENV_DIR/stderr.txt" || pcsc_env_fail "verify -v: no MSE:Set AT for CA on the wire"
[ "$(json_field "$out" 'd["ok"]')" = true ] || pcsc_env_fail "verify: not ok: $out"
grep -q 'wire  > 00 22 C1 A4' "$PCSC_ENV_DIR/stderr.txt" || pcsc_env_fail "verify -v: no MSE:Set AT on the wire"
echo "ok: write + lock, verify through '$r0' says PACE-CAN, chip-authentication and active-authentication pass"

# 2. The CAN is a secret: never in a trace (as digits or as hex), at -v or -vv.
expect_exit 0 "$docketcard" verify -vv --reader "$r0" --csca "$csca" --record "$record"
can_hex="$(printf %s "$can" | xxd -p)"
grep -q 'plain' "$PCSC_ENV_DIR/stderr.txt" || pcsc_env_fail "verify -vv: no plain trace"
grep -qiF -e "$can" -e "$can_hex" "$PCSC_ENV_DIR/stderr.txt" && pcsc_env_fail "verify -vv: the trace shows the CAN"
grep -q 'GENERAL AUTHENTICATE\|86 00 00 Lc=[0-9]* <[0-9]* bytes redacted>' "$PCSC_ENV_DIR/stderr.txt" ||
    pcsc_env_fail "verify -vv: GENERAL AUTHENTICATE is not redacted"
expect_exit 0 "$docketcard" write -vv --reader "sim:$PCSC_ENV_DIR/trace.card" --record "$record" --keys "$keys"
grep -qiF -e "$can" -e "$can_hex" "$PCSC_ENV_DIR/stderr.txt" && pcsc_env_fail "write -vv: the trace shows the CAN"
echo "ok: the CAN appears in no -vv trace of verify or write"

# 3. A wrong CAN: PACE fails, exit 5, the attempts left in the message; the right one works again.
expect_exit 5 "$docketcard" verify --reader "$r0" --csca "$csca" --record "$record" --can 000000
grep -q 'PACE failed: the CAN does not match the card (9 attempts left)' "$PCSC_ENV_DIR/stderr.txt" ||
    pcsc_env_fail "wrong CAN: message: $(cat "$PCSC_ENV_DIR/stderr.txt")"
expect_exit 2 "$docketcard" verify --reader "$r0" --csca "$csca" --record "$record" --can 12345
expect_exit 0 "$docketcard" verify --reader "$r0" --csca "$csca" --record "$record" --can "$can" --json
[ "$(json_field "$out" 'd["access_control"]')" = '"PACE-CAN"' ] || pcsc_env_fail "verify --can: $out"
echo "ok: a wrong CAN exits 5 (9 attempts left), a malformed one 2, the right one passes"

# 4. No CAN (MRZ fields only): PACE with the MRZ; a wrong MRZ exits 5.
expect_exit 0 "$docketcard" read --reader "$r0" --csca "$csca" --document-number DC2600001 \
    --date-of-birth 1986-03-14 --date-of-expiry 2029-01-01 --json
[ "$(json_field "$out" 'd["access_control"]')" = '"PACE-MRZ"' ] || pcsc_env_fail "read (MRZ): $out"
expect_exit 5 "$docketcard" verify --reader "$r0" --csca "$csca" --document-number DC2600001 \
    --date-of-birth 1986-03-15 --date-of-expiry 2029-01-01
grep -q 'PACE failed: the MRZ data does not match the card' "$PCSC_ENV_DIR/stderr.txt" ||
    pcsc_env_fail "wrong MRZ: message: $(cat "$PCSC_ENV_DIR/stderr.txt")"
echo "ok: without a CAN read says PACE-MRZ; a wrong MRZ exits 5"

# 5. A pace-only card: PACE-CAN verifies, BAC is refused with 6982 (opensc-tool, not our client).
expect_exit 0 "$docketcard" write --reader "$r1" --record "$record" --keys "$keys" --access pace-only
expect_exit 0 "$docketcard" lock --reader "$r1" --keys "$keys" --yes
expect_exit 0 "$docketcard" verify --reader "$r1" --csca "$csca" --record "$record" --json
[ "$(json_field "$out" 'd["access_control"]')" = '"PACE-CAN"' ] || pcsc_env_fail "pace-only verify: $out"
bac="$(opensc-tool -r "$r1" -s 00A4040C07A0000002471001 -s 0084000008 2>&1)"
echo "$bac" | grep -q 'SW1=0x69, SW2=0x82' || pcsc_env_fail "pace-only: GET CHALLENGE did not answer 6982: $bac"
echo "ok: a pace-only card verifies with PACE-CAN and refuses BAC (GET CHALLENGE 6982)"

# 6. A card as issued before PACE (no EF.CardAccess) still verifies, with BAC.
expect_exit 0 "$docketcard" write --reader "sim:$PCSC_ENV_DIR/legacy.card" --record "$record" --keys "$keys" --access bac
expect_exit 0 "$docketcard" lock --reader "sim:$PCSC_ENV_DIR/legacy.card" --keys "$keys" --yes
expect_exit 0 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/legacy.card" --csca "$csca" --record "$record" --json
[ "$(json_field "$out" 'd["access_control"]')" = '"BAC"' ] || pcsc_env_fail "legacy verify: $out"
[ "$(status_of "$out" bac)" = '"pass"' ] || pcsc_env_fail "legacy verify: no bac check: $out"
[ "$(status_of "$out" chip-authentication)" = '"n/a"' ] || pcsc_env_fail "legacy verify: CA is not N/A: $out"
expect_exit 0 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/legacy.card" --csca "$csca" --record "$record" \
    --require-docket-card
# One verification of each in-process (sim: reader, no link time): APDUs and milliseconds.
expect_exit 0 "$docketcard" lock --reader "sim:$PCSC_ENV_DIR/trace.card" --keys "$keys" --yes
for kind in legacy trace; do
    t0=$(now_ms)
    expect_exit 0 "$docketcard" verify -v --reader "sim:$PCSC_ENV_DIR/$kind.card" --csca "$csca" --record "$record"
    eval "${kind}_ms=$(( $(now_ms) - t0 ))"
    eval "${kind}_apdus=$(grep -c 'wire  >' "$PCSC_ENV_DIR/stderr.txt")"
done
echo "ok: a card written with --access bac verifies with BAC"
echo "figures: verify through pcscd with PACE-CAN: $pace_apdus APDUs, $pace_ms ms; in-process (sim:): BAC $legacy_apdus APDUs, $legacy_ms ms; PACE-CAN $trace_apdus APDUs, $trace_ms ms"
exit 0
