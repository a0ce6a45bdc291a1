#!/usr/bin/env bash
# Every figure of issue 14 in one run, one after the other on the same machine (docs/performance.md):
#   1. bench_issue: cards per minute and host CPU per card on sim: readers, APDUs and bytes per card
#      against the minimum, and each link profile's projected card time against its floor;
#   2. card_bench.sh: one card through pcscd against a raw PC/SC replay of the same sizes, and
#      the host CPU per card split into preparation, secure channel, PC/SC client, emulated card;
#   3. encode_bench.sh: encode records/s against `openssl speed ecdsap256` on one core, and the
#      peak RSS of encode and issue for 10, 1000 and 100000 records.
# Needs root (card_bench.sh makes a private pcscd namespace). A benchmark: nothing passes or fails.
#
#   bench/all.sh [BUILD_DIR=build] [ROUNDS=5] [HOLDERS=20]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
rounds="${2:-5}"
holders="${3:-20}"
echo "== bench/all.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1/3 bench_issue $holders"
"$build/bin/bench_issue" "$holders"
echo "== 2/3 card_bench.sh ($rounds rounds)"
"$here/bench/card_bench.sh" "$build" "$rounds"
echo "== 3/3 encode_bench.sh ($rounds rounds)"
"$here/bench/encode_bench.sh" "$build" "$rounds"
echo "== done $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
