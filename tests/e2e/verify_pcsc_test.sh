#!/usr/bin/env bash
# End-to-end: `docketcard write`, `lock` and `verify` of a sample holder through a private pcscd
# with the vpcd reader "Virtual PCD 00 00" and docketcard-sim, then the same on a sim: reader
# (no pcscd). Exact exit codes: 0 verified, 6 verification failed (another CSCA, or one response
# MAC that does not verify: docketcard-sim --corrupt-read-mac).
# Usage: tests/e2e/verify_pcsc_test.sh BUILD_DIR    (as root; re-runs itself under unshare -m)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
# shellcheck source=pcsc-env.sh
source "$here/pcsc-env.sh"

build="$(cd "${1:?usage: verify_pcsc_test.sh BUILD_DIR}" && pwd)" || { echo "FAIL: no build dir '$1'" >&2; exit 1; }
pcsc_env_enter "${BASH_SOURCE[0]}" "$build"

docketcard="$build/bin/docketcard"
sim="$build/bin/docketcard-sim"
record="$src/samples/holder.json"
keys="$src/keys-sample"
[ -x "$docketcard" ] || pcsc_env_fail "$docketcard is not built"
[ -x "$sim" ] || pcsc_env_fail "$sim is not built"
for cmd in write lock verify read; do
    "$docketcard" "$cmd" --help >/dev/null 2>&1 || pcsc_env_fail "docketcard $cmd is not available in this build"
done

# Runs "$@", captures stdout in $out, and fails unless the exit code is $1 (first argument).
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

# Prints a python expression over the JSON document $1 (as `d`).
json_field() {
    python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}

# write + lock + verify on reader $1; the report goes to $2.
full_flow() {
    local reader="$1" report="$2"
    expect_exit 0 "$docketcard" write --reader "$reader" --record "$record" --keys "$keys"
    expect_exit 0 "$docketcard" lock --reader "$reader" --keys "$keys" --yes

    expect_exit 0 "$docketcard" verify --reader "$reader" --csca "$keys/csca.pem" --record "$record" --json \
        --report "$report"
    [ "$(json_field "$out" 'd["ok"]')" = true ] || pcsc_env_fail "verify --json: ok is not true: $out"
    [ "$(json_field "$out" 'all(c["passed"] for c in d["checks"])')" = true ] ||
        pcsc_env_fail "verify --json: a check failed: $out"
    [ "$(json_field "$out" 'sorted(set(c["status"] for c in d["checks"]))')" = '["pass"]' ] ||
        pcsc_env_fail "verify --json: a docket card check is not \"pass\" (n/a or fail): $out"
    [ "$(json_field "$out" '[c["id"] for c in d["checks"] if c["id"] in ("pace", "ds-chain", "active-authentication", "locked", "docket", "photo")]')" = \
      '["pace", "ds-chain", "active-authentication", "locked", "docket", "photo"]' ] ||
        pcsc_env_fail "verify --json: checks missing: $out"
    [ "$(json_field "$out" 'len(d["serial"])')" = 20 ] || pcsc_env_fail "verify --json: no 10-byte serial: $out"
    [ "$(json_field "$out" 'd["report"]')" = "\"$report\"" ] || pcsc_env_fail "verify --json: report path: $out"
    [ -s "$report" ] || pcsc_env_fail "the report $report was not written"
    grep -q '>VERIFIED<' "$report" || pcsc_env_fail "the report does not say VERIFIED"
    grep -q 'data:image/jpeg;base64,/9j/' "$report" || pcsc_env_fail "the report does not embed the JPEG photo"

    # read, as an inspection system: exactly the record's documents, background check, portal
    # reference and endorsement come back; --out writes the photo; -vv never shows the portal
    # reference (DG13 is redacted at every trace level).
    rm -rf "$PCSC_ENV_DIR/read-out" && mkdir -p "$PCSC_ENV_DIR/read-out"
    expect_exit 0 "$docketcard" read --reader "$reader" --csca "$keys/csca.pem" --record "$record" --json         --out "$PCSC_ENV_DIR/read-out"
    python3 - "$out" "$record" "$PCSC_ENV_DIR/read-out" <<'PY' || pcsc_env_fail "read --json does not give back the record: $out"
import json, sys, pathlib
d, r = json.loads(sys.argv[1]), json.load(open(sys.argv[2], encoding="utf-8"))
assert d["authentic"] is True and d["ok"] is True, "not authentic"
assert d["documents"] == r["documents"], (d["documents"], r["documents"])
assert d["background_check"] == {"reference": r["background_check"]["reference"],
                                 "cleared_on": r["background_check"]["cleared_on"]}, d["background_check"]
assert d["portal_reference"] == r["portal_reference"], "portal reference"
assert d["holder"]["endorsement"] == "NOT A FEDERAL ID. FOR DHS USE ONLY.", d["holder"]
assert d["holder"]["document_number"] == r["document_number"]
assert d["docket"]["format_version"] == 2 and d["docket"]["court"] == r["docket"]["court"]
photo = pathlib.Path(sys.argv[3]) / (r["document_number"] + ".jpg")
assert d["photo"]["file"] == str(photo), d["photo"]
assert photo.read_bytes() == (pathlib.Path(sys.argv[2]).parent / r["photo"]).read_bytes(), "photo bytes"
PY
    expect_exit 0 "$docketcard" read --reader "$reader" --csca "$keys/csca.pem" --record "$record"
    echo "$out" | grep -q '^  Document 1  *I-94 Arrival/Departure Record, no\. LOS001-01, issued 2024-12-29, by ICE ERO LOS$' ||
        pcsc_env_fail "read: no document line: $out"
    echo "$out" | grep -q '^  Endorsement  *NOT A FEDERAL ID\. FOR DHS USE ONLY\.$' || pcsc_env_fail "read: no endorsement: $out"
    echo "$out" | grep -q '^AUTHENTIC: ' || pcsc_env_fail "read: verdict: $out"
    portal="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["portal_reference"])' "$record")"
    echo "$out" | grep -qF "$portal" && pcsc_env_fail "read (text) shows the portal reference"
    expect_exit 0 "$docketcard" verify -vv --reader "$reader" --csca "$keys/csca.pem" --record "$record"
    grep -q 'plain' "$PCSC_ENV_DIR/stderr.txt" || pcsc_env_fail "verify -vv: no plain trace"
    grep -qi "$(printf %s "$portal" | xxd -p | tr -d '\n')" "$PCSC_ENV_DIR/stderr.txt" &&
        pcsc_env_fail "verify -vv: the trace holds the portal reference"
    expect_exit 6 "$docketcard" read --reader "$reader" --csca "$keys/other-csca.pem" --record "$record"
    echo "$out" | grep -q '^NOT AUTHENTIC: ds-chain failed' || pcsc_env_fail "read with other-csca: verdict: $out"
    echo "$out" | grep -q '^  Document 1 ' || pcsc_env_fail "read with other-csca: the data is not shown: $out"

    expect_exit 6 "$docketcard" verify --reader "$reader" --csca "$keys/other-csca.pem" --record "$record"
    echo "$out" | grep -q '^FAIL  Document Signer certificate chains to the CSCA' ||
        pcsc_env_fail "verify with other-csca: no ds-chain failure line: $out"
    echo "$out" | grep -q '^NOT VERIFIED: 1 of ' || pcsc_env_fail "verify with other-csca: verdict: $out"
}

pcsc_env_start
pcsc_env_background "$sim" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$PCSC_ENV_DIR/pcsc.card"
card_present() { "$docketcard" readers --json | grep -q '"card_present": true'; }
pcsc_env_wait_for card_present || pcsc_env_fail "the sim card did not appear in '$PCSC_ENV_READER0'"

full_flow "$PCSC_ENV_READER0" "$PCSC_ENV_DIR/pcsc-report.html"
echo "ok: write, lock, verify through '$PCSC_ENV_READER0' (exit 0; other CSCA exit 6)"

# Wrong MRZ data (PACE with the MRZ, the card has EF.CardAccess): refused, exit 5.
expect_exit 5 "$docketcard" verify --reader "$PCSC_ENV_READER0" --csca "$keys/csca.pem" \
    --document-number DC2600001 --date-of-birth 1986-03-15 --date-of-expiry 2029-01-01
echo "ok: wrong MRZ data exits 5"

# One response MAC that does not verify (docketcard-sim --corrupt-read-mac N: the N-th READ
# BINARY under secure messaging, once): verify fails that file's read check once, re-establishes
# PACE and Chip Authentication, reads the file again and checks everything else (docs/cli.md,
# verify). The report fails: exit 6. The fault is spent, so the next verify passes again.
# The card is written and locked in-process, then served in the second reader.
expect_exit 0 "$docketcard" write --reader "sim:$PCSC_ENV_DIR/fault.card" --record "$record" --keys "$keys"
expect_exit 0 "$docketcard" lock --reader "sim:$PCSC_ENV_DIR/fault.card" --keys "$keys" --yes
pcsc_env_background "$sim" --vpcd "127.0.0.1:$((PCSC_ENV_PORT + 1))" --card-file "$PCSC_ENV_DIR/fault.card" \
    --corrupt-read-mac 6
two_cards() { [ "$("$docketcard" readers --json | grep -o '"card_present": true' | wc -l)" -ge 2 ]; }
pcsc_env_wait_for two_cards || pcsc_env_fail "the sim card did not appear in '$PCSC_ENV_READER1'"
expect_exit 6 "$docketcard" verify --reader "$PCSC_ENV_READER1" --csca "$keys/csca.pem" --record "$record" --json
python3 - "$out" <<'PY' || pcsc_env_fail "verify --json after one bad response MAC: $out"
import json, sys
d = json.loads(sys.argv[1])
failed = [c for c in d["checks"] if not c["passed"]]
assert d["ok"] is False and d["sessions"] == 2, (d["ok"], d["sessions"])
assert [c["id"] for c in failed] == ["sod-read"], [c["id"] for c in failed]
detail = failed[0]["detail"]
assert detail.startswith("READ BINARY at offset 4 of EF.SOD failed: secure messaging: the MAC of the card's response (DO8E) does not verify"), detail
assert "; access control re-established (PACE-CAN and Chip Authentication) and the file read again: " in detail, detail
assert len([c for c in d["checks"] if c["id"] in ("pace", "bac")]) == 1
PY
expect_exit 0 "$docketcard" verify --reader "$PCSC_ENV_READER1" --csca "$keys/csca.pem" --record "$record" --json
[ "$(json_field "$out" 'd["sessions"]')" = 1 ] || pcsc_env_fail "verify --json without a fault: sessions: $out"
echo "ok: one bad response MAC: that file's read check fails once, access control re-established, exit 6"

# The same flow in-process, without pcscd.
full_flow "sim:$PCSC_ENV_DIR/inproc.card" "$PCSC_ENV_DIR/sim-report.html"
echo "ok: write, lock, verify on a sim: reader"

# The holder with the most documents a card takes (16): all of them come back from the card.
many="sim:$PCSC_ENV_DIR/sixteen.card"
expect_exit 0 "$docketcard" write --reader "$many" --record "$src/samples/holders.jsonl" --document-number DC2600006 --keys "$keys"
expect_exit 0 "$docketcard" lock --reader "$many" --keys "$keys" --yes
expect_exit 0 "$docketcard" read --reader "$many" --csca "$keys/csca.pem" --record "$src/samples/holders.jsonl" \
    --document-number DC2600006 --json
python3 - "$out" "$src/samples/holders.jsonl" <<'PY' || pcsc_env_fail "read --json of DC2600006: documents differ: $out"
import json, sys
d = json.loads(sys.argv[1])
r = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if '"DC2600006"' in l][0]
assert len(r["documents"]) == 16 and d["documents"] == r["documents"], (d["documents"], r["documents"])
PY
echo "ok: a holder with 16 documents: read --json gives back exactly the record's 16 documents"

# Unusable inputs: exit 3, before the card is touched.
expect_exit 3 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/inproc.card" --csca "$src/README.md" --record "$record"
expect_exit 3 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/inproc.card" --csca "$keys/csca.pem" \
    --record "$src/samples/invalid.jsonl"
echo "ok: a bad CSCA file or record exits 3"

# A read-only check never creates a card: a missing card file is "no card" (exit 4) and nothing
# appears; a card file in a missing folder is invalid input naming the folder (exit 3).
expect_exit 4 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/none.card" --csca "$keys/csca.pem" --record "$record"
grep -qF "no card: sim card file $PCSC_ENV_DIR/none.card does not exist" "$PCSC_ENV_DIR/stderr.txt" ||
    pcsc_env_fail "verify of a missing card file: message: $(cat "$PCSC_ENV_DIR/stderr.txt")"
for f in "$PCSC_ENV_DIR/none.card" "$PCSC_ENV_DIR/none.card.lock"; do
    [ ! -e "$f" ] || pcsc_env_fail "verify of a missing card file created $f"
done
expect_exit 3 "$docketcard" verify --reader "sim:$PCSC_ENV_DIR/nonexistent-dir/x.card" --csca "$keys/csca.pem" \
    --record "$record"
grep -qF "the folder $PCSC_ENV_DIR/nonexistent-dir of the sim card file" "$PCSC_ENV_DIR/stderr.txt" ||
    pcsc_env_fail "verify in a missing folder: message: $(cat "$PCSC_ENV_DIR/stderr.txt")"
[ ! -e "$PCSC_ENV_DIR/nonexistent-dir" ] || pcsc_env_fail "verify created the folder $PCSC_ENV_DIR/nonexistent-dir"
echo "ok: verify of a missing sim card file exits 4 and creates nothing; a missing folder exits 3"
exit 0
