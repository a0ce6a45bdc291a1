#!/bin/sh
# End-to-end: docketcard-sim behind a private pcscd with a vpcd reader, seen by a real PC/SC
# client (opensc-tool). Usage: tests/e2e/applet_pcsc_test.sh BUILD_DIR
# Needs root (a private mount namespace gives this test its own /run/pcscd, so a system pcscd is
# never touched) and the Debian packages pcscd, vsmartcard-vpcd and opensc.
# Exit 0 on success, 1 on a failed assertion, 77 when the environment cannot run it (CTest counts
# 77 as a failure: the test is never silently skipped).
set -eu

BUILD_DIR=${1:?usage: applet_pcsc_test.sh BUILD_DIR}
SIM="$BUILD_DIR/bin/docketcard-sim"

if [ "${DOCKETCARD_E2E_NS:-}" != "1" ]; then
    [ -x "$SIM" ] || { echo "applet_pcsc: $SIM not built" >&2; exit 1; }
    for tool in pcscd opensc-tool unshare ip; do
        command -v "$tool" >/dev/null 2>&1 || { echo "applet_pcsc: FAIL: $tool missing" >&2; exit 77; }
    done
    [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || { echo "applet_pcsc: FAIL: vpcd driver missing" >&2; exit 77; }
    [ "$(id -u)" = 0 ] || { echo "applet_pcsc: FAIL: needs root for private mount and network namespaces" >&2; exit 77; }
    mkdir -p /run/pcscd
    # Own mount namespace (private /run/pcscd) and network namespace (private loopback ports).
    DOCKETCARD_E2E_NS=1 exec unshare -m -n --propagation private sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

WORK=$(mktemp -d /tmp/dc-e2e-applet-XXXXXX)
PCSCD_PID=""
SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    [ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null && wait "$PCSCD_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() { echo "applet_pcsc: FAIL: $*" >&2; [ -f "$WORK/sim.log" ] && sed 's/^/  sim: /' "$WORK/sim.log" >&2; exit 1; }

# A port unlikely to collide with a system vpcd (35963/35964).
PORT=$((36000 + $$ % 20000))
mount -t tmpfs tmpfs /run/pcscd
mkdir -p "$WORK/conf"
cat > "$WORK/conf/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$PORT
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $PORT
CONF

pcscd --foreground --config "$WORK/conf" >"$WORK/pcscd.log" 2>&1 &
PCSCD_PID=$!
"$SIM" --vpcd "127.0.0.1:$PORT" --card-file "$WORK/card.bin" -v 2>"$WORK/sim.log" &
SIM_PID=$!

# Wait (bounded by attempts, not by a timing assertion) until reader 0 shows the card.
i=0
until opensc-tool -r 0 -a >"$WORK/atr.txt" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the card never appeared in reader 0"
    kill -0 "$SIM_PID" 2>/dev/null || fail "docketcard-sim exited"
    sleep 0.2
done

# The ATR is the sim's: T=1, extended length in the card capabilities.
grep -qi '^3b:85:81:31:fe:45:80:73:80:21:c0:' "$WORK/atr.txt" || fail "unexpected ATR: $(cat "$WORK/atr.txt")"

# send APDU-HEX EXPECTED-SW1 EXPECTED-SW2: one APDU through pcscd, exact status word.
send() {
    out=$(opensc-tool -r 0 -c default -s "$1" 2>&1) || fail "opensc-tool failed for $1: $out"
    echo "$out" | grep -q "Received (SW1=0x$2, SW2=0x$3)" || fail "$1: expected $2$3, got: $out"
    LAST="$out"
}

# SELECT of the eMRTD application.
send "00 A4 04 0C 07 A0 00 00 02 47 10 01" 90 00
# GET DATA card info of a blank card: template 66, state 01.
send "80 CA 00 66 00" 90 00
echo "$LAST" | grep -qi "66 1A 80 01 01 81 0A" || fail "GET DATA: unexpected card info: $LAST"
# Personalization in the clear is refused.
send "00 E0 00 00 06 63 04 01 00 01 1E" 69 82
send "00 DA 00 68 04 54 49 4B 31" 69 82
send "00 D6 00 00 01 AA" 69 82
# Read side without BAC.
send "00 A4 02 0C 02 01 1E" 69 82
# No BAC secret on a blank card.
send "00 84 00 00 08" 69 85
# Unknown instruction and class.
send "00 FE 00 00" 6D 00
send "A0 A4 04 0C 07 A0 00 00 02 47 10 01" 6E 00

# SIGTERM stops the sim cleanly (exit code 0, docs/sim.md).
kill -0 "$SIM_PID" 2>/dev/null || fail "docketcard-sim died"
kill -TERM "$SIM_PID"
rc=0
wait "$SIM_PID" || rc=$?
SIM_PID=""
[ "$rc" = 0 ] || fail "docketcard-sim exited with $rc on SIGTERM (expected 0)"
echo "applet_pcsc: OK"
