#!/usr/bin/env bash
# One card written through pcscd against the transport alone, and where the CPU goes (issue 14,
# "Benchmarks side by side"). A benchmark, not a test; results in docs/performance.md.
#
#   bench/card_bench.sh [BUILD_DIR=build] [ROUNDS=5]
#
# In a private pcscd + vpcd (tests/e2e/pcsc-env.sh: own mount and network namespace, needs root):
# docketcard-sim with a new blank card in reader 0 each round, `docketcard-sim --echo` in reader 1.
# Each round bench_card writes the first issuable sample holder on reader 0 (perso::write_card,
# what `docketcard write` runs), then replays the same sequence of command and response sizes
# with plain SCardTransmit on reader 1 (the transport floor: pcscd, vpcd, sockets, no card
# logic), and measures encode + sign of the same holder alone. Prints the medians over the rounds:
# the write against the replay as a ratio, and host CPU milliseconds per card split into
# preparation (encode + sign), secure channel and personalization logic (the write's CPU less the
# preparation and less the PC/SC client's share, which the replay measures), and the emulated
# card (docketcard-sim's CPU, less what the echo card spends on the same transport).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../tests/e2e/pcsc-env.sh
. "$here/tests/e2e/pcsc-env.sh"
pcsc_env_enter "$0" "$@"

build="$(cd "${1:-$here/build}" && pwd)"
rounds="${2:-5}"
for t in bench_card docketcard-sim; do
  [ -x "$build/bin/$t" ] || { echo "card_bench: $build/bin/$t not built (cmake --build $build --target $t)" >&2; exit 1; }
done
pcsc_env_start
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$build/bin/docketcard-sim" --echo --vpcd "127.0.0.1:$((PCSC_ENV_PORT + 1))" --card-file "$PCSC_ENV_DIR/echo.card" \
  2>"$PCSC_ENV_DIR/echo.log" &
echo_pid=$!
pcsc_env_wait_for opensc-tool -r 1 -a || pcsc_env_fail "the echo card never appeared in $PCSC_ENV_READER1"

: > "$PCSC_ENV_DIR/rounds"
for r in $(seq "$rounds"); do
  "$build/bin/docketcard-sim" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$PCSC_ENV_DIR/card-$r.card" \
    2>"$PCSC_ENV_DIR/sim-$r.log" &
  sim=$!
  pcsc_env_wait_for opensc-tool -r 0 -a || pcsc_env_fail "the card never appeared in $PCSC_ENV_READER0"
  "$build/bin/bench_card" "$PCSC_ENV_READER0" "$PCSC_ENV_READER1" "$sim" "$echo_pid" | tee -a "$PCSC_ENV_DIR/rounds" |
    sed "s/^/  round $r: /"
  kill "$sim" && wait "$sim" 2>/dev/null || true
  pcsc_env_wait_for sh -c "! opensc-tool -r 0 -a" || true
done
kill "$echo_pid" && wait "$echo_pid" 2>/dev/null || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$PCSC_ENV_DIR/rounds" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
m = lambda k: statistics.median(float(r[k]) for r in rows)
n = len(rows)
print(f"one card through pcscd (docketcard-sim behind vpcd), medians of {n} rounds:")
print(f"  write: {rows[0]['commands']} commands, {rows[0]['bytes_out']} bytes out, {rows[0]['bytes_in']} bytes in: "
      f"{m('write_wall'):.1f} ms wall")
print(f"  raw SCardTransmit replay of the same sizes on docketcard-sim --echo: {m('replay_wall'):.1f} ms wall")
print(f"  write / replay (transport floor): {m('write_wall') / m('replay_wall'):.2f}")
prep, write, client = m('prep_cpu'), m('write_cpu'), m('replay_cpu')
card, echo = m('card_cpu'), m('echo_cpu')
print("  CPU ms per card:")
print(f"    preparation (LDS encode + EF.SOD signature)       {prep:7.2f}")
print(f"    secure channel and personalization logic         {max(write - prep - client, 0):7.2f}")
print(f"    PC/SC client (the replay's CPU)                   {client:7.2f}")
print(f"    emulated card: card logic and persistence         {max(card - echo, 0):7.2f}")
print(f"    emulated card: its vpcd transport (the echo card) {echo:7.2f}")
print(f"    host process in all (write_card)                  {write:7.2f}")
PY
