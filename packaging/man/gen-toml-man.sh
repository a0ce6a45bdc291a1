#!/usr/bin/env bash
# gen-toml-man.sh OUT.gz CONFFILE PAGE.h2m VERSION DATE
#
# Writes docketcard.toml(5): the sections of PAGE.h2m (help2man include syntax: [SECTION] lines
# followed by roff) around the installed conffile reproduced verbatim, so the page lists exactly
# the settings the package installs and cannot drift from them.
set -euo pipefail
out="$1"; conf="$2"; page="$3"; version="$4"; date="$5"
section() {  # the roff body of [NAME] in PAGE.h2m
  awk -v want="[$1]" '/^\[[A-Z ]+\]$/ { on = ($0 == want); next } on' "$page"
}
work="$(mktemp)"
trap 'rm -f "$work"' EXIT
{
  echo ".TH DOCKETCARD.TOML 5 \"$date\" \"docketcard $version\" \"File formats\""
  for s in NAME SYNOPSIS DESCRIPTION; do echo ".SH $s"; section "$s"; done
  echo ".SH \"THE INSTALLED FILE\""
  echo ".nf"
  # roff escapes: backslashes, and a leading dot or apostrophe would be a request.
  sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" "$conf"
  echo ".fi"
  for s in "EXIT STATUS" EXAMPLES "SEE ALSO"; do echo ".SH \"$s\""; section "$s"; done
} >"$work"
gzip -9n <"$work" >"$out"
