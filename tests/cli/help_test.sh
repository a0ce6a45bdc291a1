#!/bin/bash
# Every subcommand's --help (and so its man page, packaging/man/gen-man.sh) ends with one or two
# examples of that command and its exit codes, each code's meaning the one of the top-level table
# (apps/cli.hpp exit_codes_footer); option types have one spelling; defaults are shown; -v is only
# on commands that send APDUs (issue 16). Usage: tests/cli/help_test.sh DOCKETCARD
set -u
DC=${1:?usage: help_test.sh DOCKETCARD}
fail() { echo "help_test: FAIL: $*" >&2; exit 1; }
unset DOCKETCARD_CONFIG

top="$("$DC" --help)" || fail "docketcard --help: exit $?"
# The one table: "  CODE  meaning" rows after "Exit codes (docs/cli.md):".
table="$(printf '%s\n' "$top" | awk '/^Exit codes \(docs\/cli.md\):$/ { t = 1; next } t && /^ +[0-9]+  / { print; next } t { t = 0 }')"
[ "$(printf '%s\n' "$table" | wc -l)" = 11 ] || fail "top-level table: $table"
meaning() { printf '%s\n' "$table" | sed -nE "s/^ +$1  (.*)$/\\1/p"; }
subs="$(printf '%s\n' "$top" | awk '/^Subcommands:$/ { t = 1; next } t && /^  [a-z]/ { print $1; next } t { t = 0 }')"
[ -n "$subs" ] || fail "no subcommands in docketcard --help"
for want in config encode issue journal lock read readers verify write; do
    printf '%s\n' "$subs" | grep -qx "$want" || fail "docketcard --help does not list $want"
done

for sub in $subs; do
    help="$("$DC" "$sub" --help)" || fail "$sub --help: exit $?"
    # Examples: one or two, each a "# what it does" line and the command (continued with \).
    examples="$(printf '%s\n' "$help" | awk '/^Examples:$/ { t = 1; next } t && /^$/ { exit } t { print }')"
    [ -n "$examples" ] || fail "$sub --help has no Examples: block"
    n=$(printf '%s\n' "$examples" | grep -c '^  # ')
    [ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$sub --help: $n examples, expected one or two: $examples"
    printf '%s\n' "$examples" | grep -qE "^  ([A-Z_]+=[^ ]+ )?docketcard( --config [^ ]+)? $sub( |$)" ||
        fail "$sub --help: no example of 'docketcard $sub': $examples"
    bad="$(printf '%s\n' "$examples" | grep -vE "^  (# |([A-Z_]+=[^ ]+ )?docketcard |    )")"
    [ -z "$bad" ] || fail "$sub --help: example lines that are neither a comment, a command nor its continuation: $bad"
    # Exit codes: the last block, after the examples, every row the table's meaning.
    ex_line=$(printf '%s\n' "$help" | grep -nx 'Examples:' | cut -d: -f1)
    codes_line=$(printf '%s\n' "$help" | grep -nx 'Exit codes (docs/cli.md):' | cut -d: -f1)
    [ -n "$codes_line" ] || fail "$sub --help has no 'Exit codes (docs/cli.md):' block"
    [ "$codes_line" -gt "$ex_line" ] || fail "$sub --help: the exit codes come before the examples"
    rows="$(printf '%s\n' "$help" | tail -n +"$((codes_line + 1))")"
    [ -n "$rows" ] || fail "$sub --help: no exit code rows"
    prev=-1
    while IFS= read -r row; do
        [[ "$row" =~ ^\ +([0-9]+)\ \ (.*)$ ]] || fail "$sub --help: '$row' after the exit codes is not a code row"
        code=${BASH_REMATCH[1]} text=${BASH_REMATCH[2]}
        m="$(meaning "$code")"
        [ -n "$m" ] || fail "$sub --help: exit code $code is not in the table"
        [ "$text" = "$m" ] || [ "${text#"$m: "}" != "$text" ] || fail "$sub --help: code $code says '$text', not the table's '$m'"
        [[ "$text" == *";"* ]] && fail "$sub --help: code $code: a ';' splits the man page's EXIT STATUS entry"
        [ "$code" -gt "$prev" ] || fail "$sub --help: exit codes not in ascending order at $code"
        prev=$code
    done <<<"$rows"
    printf '%s\n' "$rows" | grep -qE '^ +0  ' || fail "$sub --help: exit code 0 missing"
    printf '%s\n' "$rows" | grep -qE '^ +2  ' || fail "$sub --help: exit code 2 missing"
    # One spelling of option types.
    types="$(printf '%s\n' "$help" | sed -nE 's/^  --[a-z-]+ ([^ ]+).*/\1/p' | sed -E 's/=.*//')"
    for t in $types; do
        case "$t" in
            FILE | DIR | NAME | CODE | N | NUMBER | DATE | TEXT | "[SECONDS]" | REQUIRED | "..." | "FILE|URI") ;;
            Excludes:) ;;
            *) fail "$sub --help: option type '$t' (expected FILE, DIR, NAME, CODE, N, NUMBER, DATE, TEXT, [SECONDS])" ;;
        esac
    done
    # -v traces APDUs: only on commands that talk to a card.
    case "$sub" in
        config | encode | journal) printf '%s\n' "$help" | grep -q -- '--verbose' && fail "$sub --help offers -v, but $sub sends no APDU" ;;
        *) printf '%s\n' "$help" | grep -q -- '-v,--verbose' || fail "$sub --help has no -v" ;;
    esac
done

# Codes that used to be missing, defaults that used to be hidden, descriptions that misled.
"$DC" verify --help | grep -qE '^    7  wrong card \(state, or not a Secure Docket Card\): the card has no BAC secret \(blank\), or no eMRTD application$' ||
    fail "verify --help: exit code 7"
"$DC" read --help | grep -qE '^    7  wrong card \(state, or not a Secure Docket Card\): the card has no BAC secret \(blank\), or no eMRTD application$' ||
    fail "read --help: exit code 7"
"$DC" issue --help | grep -qE '^  --max-attempts N=3 ' || fail "issue --help: --max-attempts default"
"$DC" issue --help | grep -qE '^  --lease-seconds N=60 ' || fail "issue --help: --lease-seconds default"
"$DC" journal --help | grep -qE '^  --watch \[SECONDS\]=2 ' || fail "journal --help: --watch default"
"$DC" issue --help | grep -qE '^  --document-code CODE=ID ' || fail "issue --help: --document-code default"
"$DC" write --help | grep -qE '^  --document-code CODE=ID ' || fail "write --help: --document-code default"
"$DC" write --help | grep -qE '^  --access NAME=bac-pace ' || fail "write --help: --access default"
for sub in verify read; do
    "$DC" $sub --help | grep -qE '^  --can NUMBER ' || fail "$sub --help: --can"
    "$DC" $sub --help | grep -qE '^    5  the card refused a command or authentication failed: BAC or PACE failed \(wrong MRZ data or CAN\), or the card refuses BAC$' ||
        fail "$sub --help: exit code 5"
done
"$DC" issue --help | grep -qE '^  --json +Stream events on stdout, one JSON object per line' || fail "issue --help: --json"
"$DC" encode --help | grep -q 'scp03-master.txt, the SCP03 keys, for --plan' || fail "encode --help: --keys and --plan"
echo "help_test: ok"
