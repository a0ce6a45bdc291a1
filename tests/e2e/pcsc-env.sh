# shellcheck shell=bash
# A private PC/SC stack for end-to-end tests: pcscd with the vpcd driver, in a private mount
# namespace, so it never touches a pcscd of the machine (docs: /work/shared/reference facts;
# pcscd 1.9.9 always serves /run/pcscd/pcscd.comm, so /run/pcscd gets its own tmpfs).
#
# Source this file, then:
#   pcsc_env_enter "$0" "$@"    re-runs the calling script as root inside `unshare -m -n
#                               --propagation private` (own /run/pcscd, own loopback network)
#                               unless it already runs there
#   pcsc_env_start              tmpfs on /run/pcscd, a reader.conf dir for vpcd, pcscd --foreground
#                               in the background; waits until the vpcd readers are listed;
#                               installs pcsc_env_cleanup as the EXIT trap
#   pcsc_env_wait_for CMD...    polls CMD until it succeeds (PCSC_ENV_TIMEOUT seconds, default 20)
#   pcsc_env_cleanup            stops what pcsc_env_start started (idempotent)
#   pcsc_env_fail MESSAGE       prints "FAIL: MESSAGE" (and the pcscd log) and exits 1
#
# Settings (environment, before pcsc_env_start):
#   PCSC_ENV_PORT     vpcd TCP port of "Virtual PCD 00 00" (default 35963; "00 01" is PORT+1)
#   PCSC_ENV_TIMEOUT  seconds to wait for readers/cards (default 20)
# After pcsc_env_start: PCSC_ENV_DIR (work folder, pcscd log in $PCSC_ENV_DIR/pcscd.log),
# PCSC_ENV_PCSCD_PID, PCSC_ENV_READER0="Virtual PCD 00 00", PCSC_ENV_READER1="Virtual PCD 00 01".

PCSC_ENV_PORT="${PCSC_ENV_PORT:-35963}"
PCSC_ENV_TIMEOUT="${PCSC_ENV_TIMEOUT:-20}"
PCSC_ENV_READER0="Virtual PCD 00 00"
PCSC_ENV_READER1="Virtual PCD 00 01"
PCSC_ENV_DIR=""
PCSC_ENV_PCSCD_PID=""
PCSC_ENV_BG_PIDS=()

pcsc_env_fail() {
    echo "FAIL: $*" >&2
    if [ -n "$PCSC_ENV_DIR" ] && [ -s "$PCSC_ENV_DIR/pcscd.log" ]; then
        echo "--- last lines of the pcscd log ($PCSC_ENV_DIR/pcscd.log):" >&2
        tail -n 20 "$PCSC_ENV_DIR/pcscd.log" >&2
    fi
    exit 1
}

pcsc_env_enter() {
    local script="$1"
    shift
    if [ "${PCSC_ENV_IN_NAMESPACE:-0}" = 1 ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "FAIL: $script needs root (unshare -m, mount tmpfs on /run/pcscd)" >&2
        exit 1
    fi
    for tool in unshare pcscd; do
        command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
    done
    [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] ||
        { echo "FAIL: the vpcd driver is missing (apt-get install vsmartcard-vpcd)" >&2; exit 1; }
    command -v ip >/dev/null || { echo "FAIL: ip is not installed (apt-get install iproute2)" >&2; exit 1; }
    # Own mount namespace (a private /run/pcscd) and own network namespace (vpcd's TCP ports
    # cannot clash with a system pcscd or with another test running at the same time).
    PCSC_ENV_IN_NAMESPACE=1 exec unshare -m -n --propagation private \
        bash -c 'ip link set lo up && exec bash "$@"' bash "$script" "$@"
}

# Runs "$@" in the background and remembers it for cleanup (e.g. docketcard-sim).
pcsc_env_background() {
    "$@" &
    PCSC_ENV_BG_PIDS+=("$!")
}

pcsc_env_cleanup() {
    local pid
    for pid in "${PCSC_ENV_BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    PCSC_ENV_BG_PIDS=()
    if [ -n "$PCSC_ENV_PCSCD_PID" ]; then
        kill "$PCSC_ENV_PCSCD_PID" 2>/dev/null && wait "$PCSC_ENV_PCSCD_PID" 2>/dev/null
        PCSC_ENV_PCSCD_PID=""
    fi
    if mountpoint -q /run/pcscd 2>/dev/null && [ "${PCSC_ENV_IN_NAMESPACE:-0}" = 1 ]; then
        umount /run/pcscd 2>/dev/null || true
    fi
    if [ -n "$PCSC_ENV_DIR" ] && [ "${PCSC_ENV_KEEP:-0}" != 1 ]; then
        rm -rf "$PCSC_ENV_DIR"
    fi
    PCSC_ENV_DIR=""
}

pcsc_env_wait_for() {
    local deadline=$((SECONDS + PCSC_ENV_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

pcsc_env_readers_listed() {
    opensc-tool --list-readers 2>/dev/null | grep -qF "$PCSC_ENV_READER0"
}

pcsc_env_start() {
    [ "${PCSC_ENV_IN_NAMESPACE:-0}" = 1 ] ||
        pcsc_env_fail "pcsc_env_start must run inside the private namespace: call pcsc_env_enter \"\$0\" \"\$@\" first"
    PCSC_ENV_DIR="$(mktemp -d /tmp/docketcard-pcsc.XXXXXX)"
    trap pcsc_env_cleanup EXIT
    mkdir -p /run/pcscd
    mount -t tmpfs tmpfs /run/pcscd || pcsc_env_fail "cannot mount a tmpfs on /run/pcscd"
    mkdir -p "$PCSC_ENV_DIR/reader.conf.d"
    cat >"$PCSC_ENV_DIR/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$(printf '0x%04X' "$PCSC_ENV_PORT")
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $(printf '0x%04X' "$PCSC_ENV_PORT")
CONF
    pcscd --foreground --config "$PCSC_ENV_DIR/reader.conf.d" >"$PCSC_ENV_DIR/pcscd.log" 2>&1 &
    PCSC_ENV_PCSCD_PID=$!
    command -v opensc-tool >/dev/null || pcsc_env_fail "opensc-tool is not installed (apt-get install opensc)"
    pcsc_env_wait_for pcsc_env_readers_listed ||
        pcsc_env_fail "pcscd did not list '$PCSC_ENV_READER0' within ${PCSC_ENV_TIMEOUT}s"
}

# expect CODE DESCRIPTION COMMAND...: runs COMMAND with stdout to $PCSC_ENV_DIR/out and stderr to
# $PCSC_ENV_DIR/err, and fails the test (showing both) unless it exits with CODE.
expect() {
    local want="$1" what="$2"
    shift 2
    "$@" >"$PCSC_ENV_DIR/out" 2>"$PCSC_ENV_DIR/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- stdout:" >&2; cat "$PCSC_ENV_DIR/out" >&2
        echo "--- stderr:" >&2; cat "$PCSC_ENV_DIR/err" >&2
        pcsc_env_fail "$what: exit $rc, expected $want"
    fi
}
