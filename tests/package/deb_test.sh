#!/usr/bin/env bash
# deb_test.sh BUILD SRC: builds the .deb packages from the built tree (cpack), checks them with
# lintian, installs them with dpkg -i into a container-like root (an overlay over / in a private
# mount namespace: the machine's own / is never changed), and there checks: the installed
# `docketcard --version` matches the project, `man docketcard-write` renders, the systemd unit
# verifies, the installed find_package(docketcard) builds tests/package; then dpkg -r, after which
# nothing of the packages is left but the conffile. Needs root (mounts), like the e2e tests.
set -euo pipefail
build="$1"; src="$2"
version="$(sed -n 's/^project(docketcard VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
work="$(mktemp -d /tmp/dc-deb-XXXXXX)"
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
deb="$work/out/docketcard_${version}-1_amd64.deb"
dev="$work/out/libdocketcard-dev_${version}-1_amd64.deb"
ls "$deb" "$dev" >/dev/null
dpkg-deb -f "$deb" Depends | grep -q 'libpcsclite1' || { echo "FAIL: Depends lacks libpcsclite1" >&2; exit 1; }
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar xO ./conffiles)" = /etc/docketcard/docketcard.toml ] ||
  { echo "FAIL: conffiles" >&2; exit 1; }
lintian --fail-on error,warning "$deb" "$dev" >"$work/lintian.txt" 2>&1 || { cat "$work/lintian.txt"; echo "FAIL: lintian" >&2; exit 1; }
echo "lintian: clean"

cp "$deb" "$dev" "$src/tests/package/CMakeLists.txt" "$src/tests/package/main.cpp" "$work/"
cat >"$work/inside.sh" <<'INSIDE'
set -euo pipefail
cd /work
dpkg -i ./docketcard_*.deb ./libdocketcard-dev_*.deb >/dev/null
[ "$(docketcard --version)" = "docketcard $1" ] || { echo "FAIL: docketcard --version: $(docketcard --version)"; exit 1; }
echo "installed: $(docketcard --version)"
MANWIDTH=80 man --warnings docketcard-write 2>&1 >/dev/null | grep . && { echo "FAIL: man warnings"; exit 1; }
MANWIDTH=80 man docketcard-write | grep -q 'EXIT STATUS' || { echo "FAIL: man docketcard-write"; exit 1; }
MANWIDTH=80 man docketcard-write | grep -q 'EXAMPLES' || { echo "FAIL: no EXAMPLES"; exit 1; }
MANWIDTH=80 man 5 docketcard.toml | grep -q 'THE INSTALLED FILE' || { echo "FAIL: man docketcard.toml"; exit 1; }
echo "man docketcard-write: renders"
systemd-analyze verify /usr/lib/systemd/system/docketcard-sim@.service 2>&1 | grep -v 'Failed to connect\|not running\|PID 1' | grep . &&
  { echo "FAIL: systemd-analyze verify"; exit 1; }
bash -c 'source /usr/share/bash-completion/completions/docketcard
  COMP_WORDS=(docketcard wr); COMP_CWORD=1; _docketcard; [ "${COMPREPLY[*]}" = write ] || exit 1
  COMP_WORDS=(docketcard write --rec); COMP_CWORD=2; _docketcard; [ "${COMPREPLY[*]}" = --record ] || exit 1' ||
  { echo "FAIL: bash completion"; exit 1; }
echo "bash completion: ok"
cmake -S /work -B /work/consumer -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build /work/consumer >/dev/null
/work/consumer/consumer
dpkg -r docketcard libdocketcard-dev >/dev/null
dpkg-query -W -f='${db:Status-Abbrev}\n' docketcard
INSIDE

# The container-like root: / read-only below, every change in $work/upper (a tmpfs).
mkdir -p "$work/ovl"
unshare -m --propagation private bash -c '
  set -euo pipefail
  w="$1"
  mount -t tmpfs tmpfs "$w/ovl"
  mkdir "$w/ovl/upper" "$w/ovl/work" "$w/ovl/root"
  mount -t overlay overlay -o lowerdir=/,upperdir="$w/ovl/upper",workdir="$w/ovl/work" "$w/ovl/root"
  r="$w/ovl/root"
  mount --bind /proc "$r/proc"; mount --bind /dev "$r/dev"; mount -t tmpfs tmpfs "$r/tmp"
  mkdir -p "$r/work"; mount --bind "$w" "$r/work"
  chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash /work/inside.sh "$2"
  # What the packages left in the root: only the conffile (dpkg bookkeeping and caches aside).
  cd "$w/ovl/upper"
  find . -path ./var/lib/dpkg -prune -o -path ./var/cache -prune -o -path ./var/log -prune -o \
    -path ./work -prune -o -path ./tmp -prune -o -path ./run -prune -o -path ./proc -prune -o -path ./dev -prune -o \
    \( -type f -o -type l \) -print | sort > "$w/left.txt"
' _ "$work" "$version"
echo "left after dpkg -r:"; cat "$work/left.txt"
[ "$(cat "$work/left.txt")" = "./etc/docketcard/docketcard.toml" ] || { echo "FAIL: dpkg -r left more than the conffile" >&2; exit 1; }
echo "deb_test: ok"
