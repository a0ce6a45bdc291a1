#!/bin/bash
# The config file: precedence file < environment < option, an unknown key's and a bad value's
# message and exit code (2), and `config --show`. Usage: tests/cli/config_test.sh DOCKETCARD
set -u
DC=${1:?usage: config_test.sh DOCKETCARD}
T=$(mktemp -d /tmp/dc-config-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "config_test: FAIL: $*" >&2; exit 1; }
unset DOCKETCARD_CONFIG DOCKETCARD_READER DOCKETCARD_KEYS DOCKETCARD_CSCA DOCKETCARD_JOURNAL DOCKETCARD_DOCUMENT_CODE DOCKETCARD_WAIT

cat >"$T/station.toml" <<TOML
# a station
reader = "sim:$T/file.card"
[write]
document-code = "IA"
TOML
name() { "$@" readers --json | grep -o '"name": *"[^"]*"' | head -n 1 | sed 's/.*: *"//; s/"$//'; }

[ "$(name "$DC" --config "$T/station.toml")" = "sim:$T/file.card" ] || fail "file: $(name "$DC" --config "$T/station.toml")"
got=$(DOCKETCARD_CONFIG="$T/station.toml" name "$DC")
[ "$got" = "sim:$T/file.card" ] || fail "\$DOCKETCARD_CONFIG: $got"
got=$(DOCKETCARD_READER="sim:$T/env.card" name "$DC" --config "$T/station.toml")
[ "$got" = "sim:$T/env.card" ] || fail "environment beats file: $got"
got=$(DOCKETCARD_READER="sim:$T/env.card" "$DC" --config "$T/station.toml" readers --reader "sim:$T/opt.card" --json | grep -o "sim:$T/[a-z]*.card" | head -n 1)
[ "$got" = "sim:$T/opt.card" ] || fail "option beats environment: $got"

# config --show names each setting's source.
DOCKETCARD_READER="sim:$T/env.card" "$DC" --config "$T/station.toml" config --show >"$T/show" || fail "config --show: exit $?"
grep -qxF "# config file $T/station.toml (from --config)" "$T/show" || fail "show: $(cat "$T/show")"
grep -qxF "reader = sim:$T/env.card    # environment DOCKETCARD_READER (beats the file)" "$T/show" || fail "show env: $(cat "$T/show")"
grep -qxF "reader = sim:$T/file.card    # $T/station.toml line 2, overridden by DOCKETCARD_READER" "$T/show" || fail "show file: $(cat "$T/show")"
grep -qxF "write.document-code = IA    # $T/station.toml line 4" "$T/show" || fail "show section: $(cat "$T/show")"

# An unknown key: exit 2 naming file, key and line.
printf '# x\n[write]\nreadr = "0"\n' >"$T/bad.toml"
"$DC" --config "$T/bad.toml" readers >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "unknown key: exit $rc"
head -n 1 "$T/err" | grep -qxF "docketcard: error: $T/bad.toml line 3: unknown key 'write.readr'; the keys accepted (at the top level for every command that has the option, or in a [command] section):" ||
    fail "unknown key: $(cat "$T/err")"
grep -q "^  \[write\] reader, wait, record, keys" "$T/err" || fail "unknown key: accepted keys: $(cat "$T/err")"

# A bad value: exit 2 naming file, key, line and what is accepted.
printf '[write]\ndocument-code = "ZZ"\n' >"$T/value.toml"
"$DC" --config "$T/value.toml" write --reader "sim:$T/v.card" --record /dev/null --keys "$T" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "bad value: exit $rc: $(cat "$T/err")"
head -n 1 "$T/err" | grep -qxF "docketcard: error: $T/value.toml line 2: key 'write.document-code' = ZZ: --document-code: 'ZZ' is not a document code; accepted: 1-2 upper-case letters A-Z, the first A, C or I (e.g. ID, IA, AC)" ||
    fail "bad value: $(cat "$T/err")"

# A --config that does not exist.
"$DC" --config "$T/none.toml" readers >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "missing config: exit $rc"
grep -q "docketcard: error: .*$T/none.toml" "$T/err" || fail "missing config: $(cat "$T/err")"
echo "config_test: OK"
