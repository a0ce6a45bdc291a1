#!/usr/bin/env bash
# gen-man.sh OUT.gz PROGRAM NAME VERSION EXAMPLES.h2m [SUBCOMMAND]
#
# Writes the man page NAME(1) of `PROGRAM [SUBCOMMAND]` with help2man, from its --help only, so the
# page cannot drift from the program (docs/packaging.md says why help2man):
# - NAME's one-line description is the first line of --help;
# - the "Exit status: ..." / "Exit codes: ..." footer of --help becomes the EXIT STATUS section,
#   one entry per code (a --help without that footer is an error: every page has EXIT STATUS);
# - the "Examples:" block of --help becomes EXAMPLES;
# - EXAMPLES.h2m (a help2man include file) adds SEE ALSO (and EXAMPLES for a --help without them).
# The page is gzip -9n'd (reproducible: no name or time stamp in the gzip header; help2man takes
# the date from SOURCE_DATE_EPOCH, set by the build from the Debian changelog).
set -euo pipefail
out="$1"; prog="$2"; name="$3"; version="$4"; examples="$5"; sub="${6:-}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

help="$("$prog" ${sub:+"$sub"} --help)"
exit_line="$(printf '%s\n' "$help" | grep -E '^Exit (status|codes): ' || true)"
# The top-level --help prints the exit codes as a table instead: a header line, then one indented
# "CODE  meaning" row per code. Those rows become the same "0 a; 3 b" list.
table_rows=""
if [ -z "$exit_line" ] && grep -qE '^Exit codes \(.*\):$' <<<"$help"; then
  table_rows="$(printf '%s\n' "$help" | awk '/^Exit codes \(.*\):$/ { t = 1; next } t && /^ +[0-9]+  / { print; next } t { t = 0 }')"
  exit_line="Exit status: $(printf '%s\n' "$table_rows" | sed -E 's/^ +([0-9]+) +/\1 /' | paste -sd ';' -)"
fi
if [ -z "$exit_line" ]; then
  echo "gen-man.sh: '$name --help' has no 'Exit status:' line; every man page needs EXIT STATUS" >&2
  exit 1
fi
# The "Examples:" block of a subcommand's --help (apps/cli.hpp help_footer: up to the next blank
# line) becomes the EXAMPLES section, so the examples are written once: a "# text" line is the
# paragraph before the command lines that follow it. EXAMPLES.h2m may add prose to it.
examples_roff=""
if grep -qx 'Examples:' <<<"$help"; then
  examples_roff="$(awk '/^Examples:$/ { t = 1; next } t && /^$/ { exit } t { print }' <<<"$help" |
    sed -E 's/^  //; s/\\/\\e/g; s/-/\\-/g' |
    awk '/^# / { if (nf) { print ".fi"; nf = 0 } if (n++) print ".PP"; print substr($0, 3); next }
         { if (!nf) { print ".PP"; print ".nf"; nf = 1 } print }
         END { if (nf) print ".fi" }')"
fi
summary="$(head -n1 <<<"$help")"
summary="${summary#docketcard-sim: }"

# The program help2man runs: prints the help without the exit-status footer (that goes to its own
# section) and shows the usage as `docketcard write`, not as a build-tree path.
base="$(basename "$prog")"
mkdir -p "$work/bin"
# CLI11 leaves a single space after an option that fills its 30-column name field; help2man
# needs two to tell the option from its description, so such a description moves to the next line.
printf '%s\n' "$help" | awk '/^Examples:$/ { t = 1; next } t && /^$/ { t = 0; next } !t' | grep -vE '^Exit (status|codes)( \(.*\))?:' | grep -vxF -f <(printf '%s\n' "${table_rows:-@@no table@@}") | sed -E "s#^Usage: [^ ]*${base}#Usage: ${base}#" |
  awk 'substr($0, 1, 3) == "  -" && substr($0, 30, 1) == " " && substr($0, 31, 1) != " " &&
       index(substr($0, 3, 27), "  ") == 0 { printf "%s\n%30s%s\n", substr($0, 1, 29), "", substr($0, 31); next }
       { print }' >"$work/help.txt"
cat >"$work/bin/$name" <<EOF
#!/bin/sh
case "\$1" in
  --version) echo "$name (docketcard) $version" ;;
  *) cat "$work/help.txt" ;;
esac
EOF
chmod +x "$work/bin/$name"

# EXIT STATUS from the footer: "Exit status: 0 a; 3 b" or "Exit codes: 0 ok, 2 usage, ...".
codes="${exit_line#Exit status: }"
codes="${codes#Exit codes: }"
codes="${codes% See docs/cli.md.}"
codes="${codes%.}"
if [[ "$codes" == *";"* ]]; then sep=';'; else sep=','; fi
{
  echo "[EXIT STATUS]"
  IFS="$sep" read -ra items <<<"$codes"
  entry=""
  for item in "${items[@]}"; do
    item="${item# }"
    if [[ "$item" =~ ^([0-9]+)\ (.*)$ ]]; then
      [ -n "$entry" ] && printf '%s\n' "$entry"
      entry=".TP
.B ${BASH_REMATCH[1]}
${BASH_REMATCH[2]}"
    else
      entry="$entry$sep $item"
    fi
  done
  [ -n "$entry" ] && printf '%s\n' "$entry"
  echo ".PP"
  echo "The table of every exit code is in /usr/share/doc/docketcard/cli.md (docs/cli.md)."
  echo
  if [ -n "$examples_roff" ]; then
    echo "[EXAMPLES]"
    printf '%s\n' "$examples_roff"
  fi
  cat "$examples"
} >"$work/include.h2m"

help2man --no-info --section=1 --name="$summary" --include="$work/include.h2m" \
  --output="$work/page" "$work/bin/$name"
gzip -9n <"$work/page" >"$out"
