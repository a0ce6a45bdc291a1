#!/bin/bash
# bench/encode_bench.sh BUILD_DIR [ROUNDS=5] [DIR=/dev/shm]: the host side of issue 14, in one run.
#   1. `docketcard encode` of 1000 generated holders (files in DIR, tmpfs by default) against
#      `openssl speed -seconds 3 ecdsap256` (one core: speed runs one process), alternately,
#      ROUNDS times: records/s (wall and CPU), sign/s, and the ratio of the medians.
#   2. Peak RSS (/usr/bin/time %M) of `encode` for 10, 1000 and 100000 holders (the 100000 written
#      to /tmp, on the disk, to keep 3.6 GB out of RAM) and of `issue` for the same counts in
#      --strict mode with one invalid record last: issue loads and validates every record and
#      refuses the batch before any card (the input-holding part of its memory; it does not
#      write 100000 cards).
# Prints the load average before and after. A benchmark: nothing passes or fails.
set -eu
BUILD=$(cd "${1:?usage: encode_bench.sh BUILD_DIR [ROUNDS] [DIR]}" && pwd)
ROUNDS=${2:-5}
DIR=${3:-/dev/shm}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DC=$BUILD/bin/docketcard
W=$(mktemp -d "$DIR/dc-encode-bench-XXXXXX")
D=$(mktemp -d /tmp/dc-encode-bench-XXXXXX)
trap 'rm -rf "$W" "$D"' EXIT

gen() {  # gen COUNT FILE [invalid-last]
    python3 - "$SRC" "$1" "$2" "${3:-}" <<'PY'
import json, sys
src, n, out, bad = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = []
for line in open(src + "/samples/holders.jsonl"):
    d = json.loads(line)
    if "X" in d["date_of_birth"]:
        continue
    d["photo"] = src + "/samples/" + d["photo"]
    base.append(d)
with open(out, "w") as f:
    for i in range(n):
        d = dict(base[i % len(base)])
        d["document_number"] = "BN%07d" % (i + 1)
        if bad and i == n - 1:
            d["date_of_expiry"] = "2001-13-40"
        f.write(json.dumps(d) + "\n")
PY
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(openssl version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
gen 1000 "$W/h1000.jsonl"
: > "$W/rate"; : > "$W/cpu"; : > "$W/sign"
for r in $(seq "$ROUNDS"); do
    rm -rf "$W/out"
    /usr/bin/time -f "%e %U %S" -o "$W/t" "$DC" encode --record "$W/h1000.jsonl" --keys "$SRC/keys-sample" --out "$W/out" > /dev/null
    read -r wall user sys < "$W/t"
    awk -v w="$wall" 'BEGIN {printf "%.1f\n", 1000 / w}' >> "$W/rate"
    awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f\n", 1000 / (u + s)}' >> "$W/cpu"
    openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1)}' >> "$W/sign"
done
rate=$(median < "$W/rate"); cpu=$(median < "$W/cpu"); sign=$(median < "$W/sign")
echo "encode: 1000 holders in $DIR, $ROUNDS rounds alternating with openssl speed -seconds 3 ecdsap256 (medians)"
echo "  encode records/s (wall) $rate, (CPU: user+sys) $cpu; openssl sign/s $sign"
awk -v r="$rate" -v c="$cpu" -v s="$sign" 'BEGIN {printf "  encode/sign ratio: %.3f (wall), %.3f (CPU)\n", r / s, c / s}'
echo "  rounds: records/s $(tr '\n' ' ' < "$W/rate")| sign/s $(tr '\n' ' ' < "$W/sign")"

echo "peak RSS (KB):"
for n in 10 1000 100000; do
    gen "$n" "$D/h$n.jsonl"
    gen "$n" "$D/bad$n.jsonl" invalid-last
    out="$W/rss$n"; [ "$n" -ge 100000 ] && out="$D/rss$n"
    /usr/bin/time -f "%M %e" -o "$W/m" "$DC" encode --record "$D/h$n.jsonl" --keys "$SRC/keys-sample" --out "$out" > /dev/null
    read -r enc enc_s < <(tail -1 "$W/m")
    rm -rf "$out"
    /usr/bin/time -f "%M %e" -o "$W/m" "$DC" issue --strict --input "$D/bad$n.jsonl" --reader "sim:$D/cards$n/" \
        --keys "$SRC/keys-sample" --csca "$SRC/keys-sample/csca.pem" --journal "$D/j$n.db" > /dev/null 2>&1 || true
    read -r iss iss_s < <(tail -1 "$W/m")
    printf "  %7d records: encode %8d KB (%6.1f s)   issue --strict (refused, no card) %8d KB (%6.1f s)\n" "$n" "$enc" "$enc_s" "$iss" "$iss_s"
    rm -f "$D/h$n.jsonl" "$D/bad$n.jsonl"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
