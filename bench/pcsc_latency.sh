#!/usr/bin/env bash
# Milliseconds per command through pcscd: bench_pcsc_latency against docketcard-sim behind a
# private pcscd + vpcd (tests/e2e/pcsc-env.sh: own mount and network namespace, needs root), once
# as the sim runs (TCP_QUICKACK after every receive) and once with --no-quickack (the delayed ACK
# the sim had before), side by side. A benchmark, not a test. Results in docs/performance.md.
#
#   bench/pcsc_latency.sh [BUILD_DIR=build] [COMMANDS=200]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../tests/e2e/pcsc-env.sh
. "$here/tests/e2e/pcsc-env.sh"
pcsc_env_enter "$0" "$@"

build="$(cd "${1:-$here/build}" && pwd)"
n="${2:-200}"
for t in bench_pcsc_latency docketcard-sim; do
  [ -x "$build/bin/$t" ] || { echo "pcsc_latency: $build/bin/$t not built (cmake --build $build --target $t)" >&2; exit 1; }
done
pcsc_env_start
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
for mode in quickack no-quickack; do
  flags=()
  [ "$mode" = no-quickack ] && flags=(--no-quickack)
  "$build/bin/docketcard-sim" --vpcd "127.0.0.1:$PCSC_ENV_PORT" --card-file "$PCSC_ENV_DIR/$mode.card" \
    "${flags[@]}" 2>"$PCSC_ENV_DIR/sim-$mode.log" &
  sim=$!
  pcsc_env_wait_for opensc-tool -r 0 -a || pcsc_env_fail "the card never appeared in $PCSC_ENV_READER0"
  printf '%-12s ' "$mode:"
  "$build/bin/bench_pcsc_latency" "$PCSC_ENV_READER0" "$n"
  kill "$sim" && wait "$sim" 2>/dev/null || true
  # Wait until pcscd has seen the card go, so the next sim starts in an empty reader.
  pcsc_env_wait_for sh -c "! opensc-tool -r 0 -a" || true
done
