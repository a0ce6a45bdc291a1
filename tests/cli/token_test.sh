#!/bin/bash
# Keys in a SoftHSM2 token, through the CLI (issue 11). Usage:
#   tests/cli/token_test.sh DOCKETCARD PKCS11_UNPLUG_MODULE SOURCE_DIR
# A private token (keys-sample/provision-softhsm.sh in a temporary SOFTHSM2_CONF, never the
# system one) holds the Document Signer key and certificate and the SCP03 master keys:
#   1. encode (its EF.SOD verifies with openssl cms against keys-sample/csca.pem), write, lock and
#      verify one holder on a sim: card with every key in the token; the
#      card verifies against keys-sample/csca.pem (exit 0), as with file keys
#   2. issue 3 holders on a sim:DIR/ reader with token keys: exit 0, 3 verified in the journal
#   3. the PIN appears in no output: -vv traces, --json, the journal (its file and `journal --json`)
#   4. the token removed mid-batch (pkcs11_unplug answers CKR_DEVICE_REMOVED from the 4th ECDSA
#      signature on: the key check at load, two cards, then the third card's EF.SOD): exit 4 with
#      the stop message; 2 verified, the third card spoiled with its serial, the fourth holder not
#      attempted; the same command with the token back issues the last two and reissues nothing
set -u
DC=${1:?usage: token_test.sh DOCKETCARD UNPLUG_MODULE SOURCE_DIR}
UNPLUG=$(realpath "${2:?usage: token_test.sh DOCKETCARD UNPLUG_MODULE SOURCE_DIR}")
SRC=${3:?usage: token_test.sh DOCKETCARD UNPLUG_MODULE SOURCE_DIR}
T=$(mktemp -d /tmp/dc-token-XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
fail() { echo "token_test: FAIL: $*" >&2; exit 1; }
unset DOCKETCARD_CONFIG DOCKETCARD_READER DOCKETCARD_KEYS DOCKETCARD_CSCA DOCKETCARD_JOURNAL DOCKETCARD_PKCS11_PIN

# run CODE WHAT COMMAND...: stdout to $T/out, stderr to $T/err; fails unless COMMAND exits CODE.
run() {
    local want="$1" what="$2"
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- stdout:" >&2; cat "$T/out" >&2
        echo "--- stderr:" >&2; cat "$T/err" >&2
        fail "$what: exit $rc, expected $want"
    fi
    cat "$T/out" "$T/err" >>"$T/all-output"
}

# attempts STATE: how many journal attempts in $T/out (`journal --json`) are in STATE.
attempts() { python3 -c 'import json,sys; print(sum(a["state"] == sys.argv[1] for a in json.load(open(sys.argv[2]))["attempts"]))' "$1" "$T/out"; }

# A PIN that cannot occur by chance in hex traces or JSON.
PIN="Pin-Qz7wXk"
DOCKETCARD_SAMPLE_PIN="$PIN" "$SRC/keys-sample/provision-softhsm.sh" "$T/site" >/dev/null ||
    fail "provision-softhsm.sh failed"
export SOFTHSM2_CONF="$T/site/softhsm2.conf"
grep -q '^document_signer_key = "pkcs11:token=docket-site;object=document-signer;type=private?pin-source=file:' "$T/site/keys.toml" ||
    fail "keys.toml: $(cat "$T/site/keys.toml")"
KEYS="$T/site"
CSCA="$SRC/keys-sample/csca.pem"
ln -s "$SRC/samples/photos" "$T/photos"
head -n 4 "$SRC/samples/holders.jsonl" >"$T/four.jsonl"
head -n 3 "$SRC/samples/holders.jsonl" >"$T/three.jsonl"
head -n 1 "$SRC/samples/holders.jsonl" >"$T/one.jsonl"
doc1=$(head -n 1 "$T/one.jsonl" | grep -o '"document_number": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')

# 1. encode, write, lock, verify with token keys.
run 0 "encode with token keys" "$DC" encode --record "$T/one.jsonl" --keys "$KEYS" --out "$T/lds" --plan
[ -s "$T/lds/$doc1/SOD.bin" ] || fail "encode wrote no EF.SOD: $(find "$T/lds")"
# EF.SOD is 77 L { CMS ContentInfo }: the token's signature verifies against the sample CSCA.
python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); n=b[1]; o=2 if n<0x80 else 2+(n&0x7f); open(sys.argv[2],"wb").write(b[o:])' \
    "$T/lds/$doc1/SOD.bin" "$T/sod.cms"
openssl cms -verify -inform DER -in "$T/sod.cms" -CAfile "$SRC/keys-sample/csca.pem" -purpose any -out /dev/null 2>"$T/cms.err" ||
    fail "the token-signed EF.SOD does not verify against keys-sample/csca.pem: $(cat "$T/cms.err")"
run 0 "write with token keys" "$DC" write -vv --reader "sim:$T/a.card" --record "$T/one.jsonl" --keys "$KEYS" --json
grep -q '"state": "PERSONALIZED"' "$T/out" || fail "write: $(cat "$T/out")"
run 0 "lock with token keys" "$DC" lock -vv --reader "sim:$T/a.card" --keys "$KEYS" --yes
run 0 "verify of the token-keyed card against the sample CSCA" "$DC" verify -vv --reader "sim:$T/a.card" \
    --csca "$CSCA" --record "$T/one.jsonl" --json
grep -q '"ok": true' "$T/out" || fail "verify: $(cat "$T/out")"

# 2. issue with token keys.
run 0 "issue 3 holders with token keys" "$DC" issue -vv --input "$T/three.jsonl" --reader "sim:$T/cards/" \
    --keys "$KEYS" --csca "$CSCA" --journal "$T/batch.db" --json
run 0 "journal" "$DC" journal --journal "$T/batch.db" --json
[ "$(attempts verified)" = 3 ] || fail "journal after issue: $(cat "$T/out")"

# 3. the PIN in no output and not in the journal file.
grep -aqF "$PIN" "$T/all-output" && fail "the PIN appears in an output: $(grep -aF "$PIN" "$T/all-output" | head -n 3)"
grep -aqF "$PIN" "$T/batch.db" && fail "the PIN appears in the journal file"
grep -q "C-APDU\|>>\|00 A4\|00A4" "$T/all-output" || fail "the -vv outputs hold no APDU trace: the PIN check looked at nothing"

# 4. the token removed mid-batch.
sed "s|^pkcs11_module = .*|pkcs11_module = \"$UNPLUG\"|" "$T/site/keys.toml" >"$T/site/keys.toml.new" &&
    mv "$T/site/keys.toml.new" "$T/site/keys.toml"
export DOCKETCARD_UNPLUG_AFTER=3
run 4 "issue with the token removed at the third card" "$DC" issue --input "$T/four.jsonl" \
    --reader "sim:$T/cards4/" --keys "$KEYS" --csca "$CSCA" --journal "$T/unplug.db"
grep -qF "docketcard: error: the batch stopped: " "$T/err" || fail "unplug message: $(cat "$T/err")"
grep -qF "CKR_DEVICE_REMOVED (0x32); the token was removed or stopped answering" "$T/err" || fail "unplug cause: $(cat "$T/err")"
grep -qF "run the same command again to resume" "$T/err" || fail "unplug next step: $(cat "$T/err")"
run 0 "journal after the unplug" "$DC" journal --journal "$T/unplug.db" --json
[ "$(attempts verified)" = 2 ] || fail "verified after unplug: $(cat "$T/out")"
[ "$(attempts spoiled)" = 1 ] || fail "spoiled after unplug: $(cat "$T/out")"
python3 -c 'import json,sys; a=[a for a in json.load(open(sys.argv[1]))["attempts"] if a["state"] == "spoiled"][0]; sys.exit(0 if a["card_serial"] and "CKR_DEVICE_REMOVED" in a["error"] else 1)' "$T/out" ||
    fail "the spoiled attempt lacks its card serial or the token error: $(cat "$T/out")"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["attempts"]))' "$T/out")" = 3 ] ||
    fail "the fourth holder was attempted after the token was removed: $(cat "$T/out")"
unset DOCKETCARD_UNPLUG_AFTER
run 0 "the same issue with the token back" "$DC" issue --input "$T/four.jsonl" \
    --reader "sim:$T/cards4/" --keys "$KEYS" --csca "$CSCA" --journal "$T/unplug.db"
run 0 "journal after the rerun" "$DC" journal --journal "$T/unplug.db" --json
[ "$(attempts verified)" = 4 ] || fail "verified after the rerun: $(cat "$T/out")"
[ "$(attempts spoiled)" = 1 ] || fail "spoiled after the rerun: $(cat "$T/out")"
echo "token_test: ok"
