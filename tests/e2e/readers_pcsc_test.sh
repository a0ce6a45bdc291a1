#!/usr/bin/env bash
# End-to-end: `docketcard readers --json` through a private pcscd + vpcd, first with no card,
# then (when docketcard-sim is built) with the emulated card behind vpcd.
# Usage: tests/e2e/readers_pcsc_test.sh BUILD_DIR    (as root; re-runs itself under unshare -m)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pcsc-env.sh
source "$here/pcsc-env.sh"

build="$(cd "${1:?usage: readers_pcsc_test.sh BUILD_DIR}" && pwd)" || { echo "FAIL: no build dir '$1'" >&2; exit 1; }
pcsc_env_enter "${BASH_SOURCE[0]}" "$build"

docketcard="$build/bin/docketcard"
sim="$build/bin/docketcard-sim"
[ -x "$docketcard" ] || pcsc_env_fail "$docketcard is not built"

pcsc_env_start

# Prints the JSON field $2 (a python expression over `r`, the Virtual PCD 00 00 entry) of $1.
reader_field() {
    python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
assert doc["ok"] is True, doc
r = [x for x in doc["readers"] if x["name"] == sys.argv[2]]
assert len(r) == 1, doc
r = r[0]
print(json.dumps(eval(sys.argv[3])))
' "$1" "$PCSC_ENV_READER0" "$2"
}

out="$("$docketcard" readers --json)" || pcsc_env_fail "docketcard readers --json exited $?: $out"
[ "$(reader_field "$out" 'r["card_present"]')" = false ] || pcsc_env_fail "expected no card, got: $out"
[ "$(reader_field "$out" 'r["atr"]')" = null ] || pcsc_env_fail "expected atr null, got: $out"
[ "$(reader_field "$out" 'r["index"]')" = 0 ] || pcsc_env_fail "expected index 0, got: $out"
echo "ok: '$PCSC_ENV_READER0' listed with no card"

if [ ! -x "$sim" ]; then
    echo "note: $sim is not built; card-present part skipped" >&2
    exit 0
fi

card="$PCSC_ENV_DIR/card.bin"
pcsc_env_background "$sim" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$card"
card_present() { "$docketcard" readers --json | grep -q '"card_present": true'; }
pcsc_env_wait_for card_present || pcsc_env_fail "the sim card did not appear in '$PCSC_ENV_READER0'"

out="$("$docketcard" readers --json)" || pcsc_env_fail "docketcard readers --json exited $?: $out"
[ "$(reader_field "$out" 'r["card_present"]')" = true ] || pcsc_env_fail "expected a card, got: $out"
atr="$(reader_field "$out" 'r["atr"]')"
# The same ATR as an in-process blank card (a sim:DIR/ reader, which inserts a new blank card on
# every connection; the card file itself is held by the sim, and a sim:PATH that does not exist is
# no card).
expected="$(python3 -c '
import json, subprocess, sys
doc = json.loads(subprocess.run([sys.argv[1], "readers", "--json", "--reader", "sim:" + sys.argv[2] + "/"],
                                capture_output=True, text=True, check=True).stdout)
print(json.dumps(doc["readers"][0]["atr"]))' "$docketcard" "$PCSC_ENV_DIR/other-cards")" ||
    pcsc_env_fail "cannot read the ATR of an in-process card"
[ "$atr" = "$expected" ] || pcsc_env_fail "ATR $atr differs from the emulated card's $expected"
echo "ok: card present in '$PCSC_ENV_READER0' with ATR $atr"
exit 0
