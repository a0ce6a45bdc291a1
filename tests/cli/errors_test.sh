#!/bin/bash
# Exit codes and messages that used to mislead a newcomer (issue 16), each pinned exactly: an
# output folder or journal folder that cannot be used, a missing keys folder, command-line errors
# (prefix, the nearest option or command), a sim card file that does not exist, a complete card
# written again, a batch whose every record is invalid, Ctrl-C in a batch, and --json errors as one
# line. Needs no PC/SC service. Usage: tests/cli/errors_test.sh DOCKETCARD SOURCE_DIR
set -u
DC=${1:?usage: errors_test.sh DOCKETCARD SOURCE_DIR}
SRC=${2:?usage: errors_test.sh DOCKETCARD SOURCE_DIR}
K="$SRC/keys-sample"
HOLDER="$SRC/samples/holder.json"
T=$(mktemp -d /tmp/dc-errors-XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
fail() { echo "errors_test: FAIL: $*" >&2; exit 1; }
unset DOCKETCARD_CONFIG DOCKETCARD_READER DOCKETCARD_KEYS DOCKETCARD_CSCA DOCKETCARD_JOURNAL DOCKETCARD_DOCUMENT_CODE DOCKETCARD_WAIT
# No PC/SC service for this test, whatever runs on the machine.
export PCSCLITE_CSOCK_NAME="$T/no-pcscd.comm"

# run CODE WHAT COMMAND...: stdout to $T/out, stderr to $T/err; fails unless COMMAND exits CODE.
run() {
    local want="$1" what="$2"
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want; stderr: $(cat "$T/err"); stdout: $(head -c 2000 "$T/out")"
}
# err_is WHAT LINE...: stderr is exactly these lines.
err_is() {
    local what="$1"
    shift
    [ "$(cat "$T/err")" = "$(printf '%s\n' "$@")" ] || fail "$what: stderr: $(cat "$T/err"); expected: $(printf '%s\n' "$@")"
}

# --- encode --out that cannot be made: the user's path (exit 3), not a bug (70).
touch "$T/file"
run 3 "encode --out under a file" "$DC" encode --record "$HOLDER" --keys "$K" --out "$T/file/out"
err_is "encode --out under a file" "docketcard: error: cannot create the output folder $T/file/out: $T/file is a file, not a folder"
run 3 "encode --out a file" "$DC" encode --record "$HOLDER" --keys "$K" --out "$T/file"
err_is "encode --out a file" "docketcard: error: cannot create the output folder $T/file: $T/file is a file, not a folder"
# A folder the user may not write in. As root (CI) the command runs as nobody (setpriv), on world-
# readable copies of the tool, the keys and the record, so the permission check is made there too.
P="$T/pub"
mkdir -p "$P/ro"
if [ "$(id -u)" = 0 ]; then
    cp "$DC" "$P/docketcard" && cp -r "$K" "$P/keys" && cp "$HOLDER" "$P/holder.json" && cp -r "$SRC/samples/photos" "$P/photos"
    chmod -R a+rX "$P" && chmod 711 "$T"
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups "$P/docketcard")
else
    AS=("$DC")
    cp "$HOLDER" "$P/holder.json" && cp -r "$SRC/samples/photos" "$P/photos" && cp -r "$K" "$P/keys"
fi
chmod 555 "$P/ro"
run 3 "encode --out read-only" "${AS[@]}" encode --record "$P/holder.json" --keys "$P/keys" --out "$P/ro/out"
err_is "encode --out read-only" "docketcard: error: cannot create the output folder $P/ro/out: permission denied"
[ ! -e "$P/ro/out" ] || fail "encode --out read-only: $P/ro/out was made"

# --- issue --journal in a folder that does not exist: exit 3 naming the folder; nothing created.
run 3 "issue --journal in a missing folder" "$DC" issue --input "$HOLDER" --reader "sim:$T/cards/" --keys "$K" \
    --csca "$K/csca.pem" --journal "$T/none/batch.db"
err_is "issue --journal in a missing folder" "docketcard: error: the folder $T/none of the journal $T/none/batch.db does not exist; create it, or name a journal in an existing folder"
[ -e "$T/none" ] && fail "issue --journal: created $T/none"

# --- a keys folder that does not exist is bad key input: exit 3 (docs/cli.md), for every command.
run 3 "write --keys missing" "$DC" write --reader "sim:$T/w.card" --record "$HOLDER" --keys "$T/nokeys"
err_is "write --keys missing" "docketcard: error: keys folder $T/nokeys does not exist or is not a folder"
run 3 "lock --keys missing" "$DC" lock --reader "sim:$T/w.card" --keys "$T/nokeys" --yes
err_is "lock --keys missing" "docketcard: error: keys folder $T/nokeys does not exist or is not a folder"
run 3 "issue --keys missing" "$DC" issue --input "$HOLDER" --reader "sim:$T/cards/" --keys "$T/nokeys" \
    --csca "$K/csca.pem" --journal "$T/batch.db"
err_is "issue --keys missing" "docketcard: error: keys folder $T/nokeys does not exist or is not a folder; it must hold scp03-master.txt, document-signer.pem and document-signer.key"
run 3 "write --record missing" "$DC" write --reader "sim:$T/w.card" --record "$T/none.json" --keys "$K"
err_is "write --record missing" "docketcard: error: $T/none.json: cannot open the record file"

# --- command-line errors: exit 2, the prefix, and where the options are.
run 2 "write --readr" "$DC" write --readr 0 --record "$HOLDER" --keys "$K"
err_is "write --readr" "docketcard: error: unknown option --readr; did you mean --reader?" \
    "Run 'docketcard write --help' for the options."
run 2 "verify --recrod=x" "$DC" verify --reader 0 --csca x --recrod=x
err_is "verify --recrod=x" "docketcard: error: unknown option --recrod; did you mean --record?" \
    "Run 'docketcard verify --help' for the options."
run 2 "issue --max-atempts" "$DC" issue --max-atempts 2
err_is "issue --max-atempts" "docketcard: error: unknown option --max-atempts; did you mean --max-attempts?" \
    "Run 'docketcard issue --help' for the options."
run 2 "write --frobnicate" "$DC" write --frobnicate
err_is "write --frobnicate" "docketcard: error: unknown option --frobnicate" "Run 'docketcard write --help' for the options."
run 2 "wirte" "$DC" wirte --reader 0
err_is "wirte" "docketcard: error: unknown command 'wirte'; did you mean 'write'?" "Run 'docketcard --help' for the options."
run 2 "no command" "$DC"
err_is "no command" "docketcard: error: A subcommand is required" "Run 'docketcard --help' for the options."
run 2 "--wait abc" "$DC" write --reader 0 --record "$HOLDER" --keys "$K" --wait abc
err_is "--wait abc" "docketcard: error: --wait: Value abc not in range 1 to 86400" "Run 'docketcard write --help' for the options."
run 2 "--max-attempts 0" "$DC" issue --input x --reader 0 --keys x --csca x --journal x --max-attempts 0
err_is "--max-attempts 0" "docketcard: error: --max-attempts: Value 0 not in range 1 to 100" \
    "Run 'docketcard issue --help' for the options."
run 2 "--reader without a value" "$DC" lock --reader
err_is "--reader without a value" "docketcard: error: --reader: 1 required NAME missing" "Run 'docketcard lock --help' for the options."
run 2 "journal --json --csv" "$DC" journal --journal x --json --csv
err_is "journal --json --csv" "docketcard: error: --json excludes --csv" "Run 'docketcard journal --help' for the options."
run 2 "readers extra" "$DC" readers extra
err_is "readers extra" "docketcard: error: The following argument was not expected: extra" \
    "Run 'docketcard readers --help' for the options."
run 2 "encode --document-code ZZ" "$DC" encode --record "$HOLDER" --keys "$K" --out "$T/o" --document-code ZZ
err_is "encode --document-code ZZ" "docketcard: error: --document-code: 'ZZ' is not a document code; accepted: 1-2 upper-case letters A-Z, the first A, C or I (e.g. ID, IA, AC)" \
    "Run 'docketcard encode --help' for the options."

# --- readers: a sim card file that does not exist is no card.
run 0 "readers missing sim file" "$DC" readers --reader "sim:$T/no.card"
[ "$(cat "$T/out")" = "0: sim:$T/no.card  no card (the card file does not exist; write makes a blank card there)" ] ||
    fail "readers missing sim file: $(cat "$T/out")"
run 0 "readers --json missing sim file" "$DC" readers --reader "sim:$T/no.card" --json
grep -q '"card_present": false' "$T/out" && grep -q '"atr": null' "$T/out" || fail "readers --json missing sim file: $(cat "$T/out")"
[ -e "$T/no.card" ] && fail "readers made $T/no.card"

# --- write --json on a card already complete for this holder: checked, not resumed.
run 0 "write" "$DC" write --reader "sim:$T/w.card" --record "$HOLDER" --keys "$K" --json
grep -q '"resumed": false' "$T/out" && grep -q '"already_complete": false' "$T/out" || fail "write: $(cat "$T/out")"
run 0 "write again" "$DC" write --reader "sim:$T/w.card" --record "$HOLDER" --keys "$K" --json
grep -q '"resumed": false' "$T/out" && grep -q '"already_complete": true' "$T/out" || fail "write again: $(cat "$T/out")"

# --- issue on a file whose every record is invalid; one reader.
run 3 "issue every record invalid" "$DC" issue --input "$SRC/samples/invalid.jsonl" --reader "sim:$T/inv/" --keys "$K" \
    --csca "$K/csca.pem" --journal "$T/inv.db"
[ "$(sed -n 2p "$T/out")" = "  no valid record: all 10 input records were rejected as invalid (exit 3): correct them and run again" ] ||
    fail "issue every record invalid: $(cat "$T/out")"
grep -qxF "issue: 0 valid records, 0 already issued; 1 reader, 0 records to issue" "$T/err" ||
    fail "issue every record invalid: stderr $(cat "$T/err")"

# --- Ctrl-C in a batch: the summary says how to go on, and going on works.
"$DC" issue --input "$SRC/samples/holders.jsonl" --reader "sim:$T/int/" --keys "$K" --csca "$K/csca.pem" \
    --journal "$T/int.db" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 600); do
    grep -q ' verified on card ' "$T/err" && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C: exit $rc, expected 130: $(cat "$T/out")"
line=$(sed -n 2p "$T/out")
n=$(printf '%s\n' "$line" | sed -nE 's/^  interrupted: ([0-9]+) valid records? (was|were) not issued .*/\1/p')
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "Ctrl-C: summary: $(cat "$T/out")"
want="  interrupted: $n valid records were not issued (exit 130): run the same command again to resume (verified records are skipped)"
[ "$n" = 1 ] && want="  interrupted: 1 valid record was not issued (exit 130): run the same command again to resume (verified records are skipped)"
[ "$line" = "$want" ] || fail "Ctrl-C: summary line: '$line'"
run 0 "issue again after Ctrl-C" "$DC" issue --input "$SRC/samples/holders.jsonl" --reader "sim:$T/int/" --keys "$K" \
    --csca "$K/csca.pem" --journal "$T/int.db"
grep -q "issued now $n, already issued $((21 - n)), failed 0, not done 0" "$T/out" || fail "issue again: $(cat "$T/out")"

# --- --json: an error is one line, also ending a stream.
run 4 "readers --watch --json without pcscd" timeout 20 "$DC" readers --watch --json
[ "$(wc -l <"$T/out")" = 1 ] && grep -qE '^\{"error":\{"exit_code":4,"kind":"communication","message":"connecting to the PC/SC service failed: SCARD_E_NO_SERVICE .*\},"ok":false\}$' "$T/out" ||
    fail "readers --watch --json: stdout $(cat "$T/out")"
run 3 "issue --json, journal folder missing" "$DC" issue --input "$HOLDER" --reader "sim:$T/cards/" --keys "$K" \
    --csca "$K/csca.pem" --journal "$T/none/batch.db" --json
[ "$(cat "$T/out")" = "{\"error\":{\"exit_code\":3,\"kind\":\"invalid input\",\"message\":\"the folder $T/none of the journal $T/none/batch.db does not exist; create it, or name a journal in an existing folder\"},\"ok\":false}" ] ||
    fail "issue --json error: $(cat "$T/out")"
run 0 "issue --json" "$DC" issue --input "$HOLDER" --reader "sim:$T/j/" --keys "$K" --csca "$K/csca.pem" --journal "$T/j.db" --json
bad=$(grep -cvE '^\{.*"event":"[a-z_]+".*\}$' "$T/out")
[ "$bad" = 0 ] && tail -n 1 "$T/out" | grep -q '"event":"batch_done"' || fail "issue --json: not one event per line: $(cat "$T/out")"
run 3 "encode --json error" "$DC" encode --record "$HOLDER" --keys "$K" --out "$T/file/out" --json
[ "$(wc -l <"$T/out")" = 1 ] && grep -q '^{"error":{"exit_code":3,"kind":"invalid input","message":"cannot create the output folder' "$T/out" ||
    fail "encode --json error: $(cat "$T/out")"
# A command line that does not parse, with --json: the message on stderr and the document on stdout.
run 2 "encode --json with an unknown option" "$DC" encode --json --record "$HOLDER" --keys "$K" --out "$T/u" --jbos 2
err_is "encode --json with an unknown option" "docketcard: error: unknown option --jbos; did you mean --jobs?" \
    "Run 'docketcard encode --help' for the options."
[ "$(cat "$T/out")" = '{"error":{"exit_code":2,"kind":"usage","message":"unknown option --jbos; did you mean --jobs?"},"ok":false}' ] ||
    fail "encode --json usage error: stdout $(cat "$T/out")"
run 2 "journal --json --csv" "$DC" journal --journal x --json --csv
[ "$(cat "$T/out")" = '{"error":{"exit_code":2,"kind":"usage","message":"--json excludes --csv"},"ok":false}' ] ||
    fail "journal --json --csv: stdout $(cat "$T/out")"
[ ! -e "$T/u" ] || fail "encode with a usage error made $T/u"

echo "errors_test: ok"
