#!/bin/bash
# bench/encode_bench.sh BUILD_DIR [ROUNDS=5] [DIR=/dev/shm] [HOLDERS=5000]: the host side of issue 14,
# in one run.
#   1. `docketcard encode` of HOLDERS generated holders (files in DIR, tmpfs by default) against
#      `openssl speed -seconds 3 ecdsap256` (one core: speed runs one process), alternately,
#      ROUNDS times: records/s with --jobs 1 (wall and CPU) and with the default --jobs (wall), sign/s,
#      the ratios of the medians and the median of the rounds' own ratios; the start-up (keys, certificate) is a few tens of milliseconds
#      a run, so a few thousand holders keep it out of the rate (it is printed: 10 holders' wall).
#   2. Peak RSS (/usr/bin/time %M) of `encode` for 10, 1000 and 100000 holders (the 100000 written
#      to /tmp, on the disk, to keep 3.6 GB out of RAM) and of `issue` for the same counts in
#      --strict mode with one invalid record last: issue loads and validates every record and
#      refuses the batch before any card (the input-holding part of its memory; it does not
#      write 100000 cards).
# Prints the load average before and after. A benchmark: nothing passes or fails.
set -eu
BUILD=$(cd "${1:?usage: encode_bench.sh BUILD_DIR [ROUNDS] [DIR] [HOLDERS]}" && pwd)
ROUNDS=${2:-5}
DIR=${3:-/dev/shm}
N=${4:-5000}
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
gen "$N" "$W/hN.jsonl"
: > "$W/rate"; : > "$W/rate1"; : > "$W/cpu"; : > "$W/sign"; : > "$W/ratio"
for r in $(seq "$ROUNDS"); do
    # --jobs 1 (one core, like openssl speed) and the default (one thread a core), then the signer.
    rm -rf "$W/out"
    /usr/bin/time -f "%e %U %S" -o "$W/t" "$DC" encode --record "$W/hN.jsonl" --keys "$SRC/keys-sample" --out "$W/out" --jobs 1 > /dev/null
    read -r wall user sys < "$W/t"
    awk -v n="$N" -v w="$wall" 'BEGIN {printf "%.1f\n", n / w}' >> "$W/rate1"
    awk -v n="$N" -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f\n", n / (u + s)}' >> "$W/cpu"
    rm -rf "$W/out"
    /usr/bin/time -f "%e %U %S" -o "$W/t" "$DC" encode --record "$W/hN.jsonl" --keys "$SRC/keys-sample" --out "$W/out" > /dev/null
    read -r wall user sys < "$W/t"
    awk -v n="$N" -v w="$wall" 'BEGIN {printf "%.1f\n", n / w}' >> "$W/rate"
    openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1)}' >> "$W/sign"
    # This round's ratio, encode (default --jobs) over the signatures measured right after it: the
    # host's speed drifts between rounds on a shared machine, less within one.
    awk -v a="$(tail -1 "$W/rate")" -v b="$(tail -1 "$W/sign")" 'BEGIN {printf "%.3f\n", a / b}' >> "$W/ratio"
done
rate=$(median < "$W/rate"); rate1=$(median < "$W/rate1"); cpu=$(median < "$W/cpu"); sign=$(median < "$W/sign")
echo "encode: $N holders in $DIR, $ROUNDS rounds alternating with openssl speed -seconds 3 ecdsap256 (medians)"
echo "  encode records/s: --jobs 1 wall $rate1, CPU (user+sys) $cpu; --jobs $(nproc) (default) wall $rate; openssl sign/s $sign"
awk -v r="$rate" -v q="$rate1" -v c="$cpu" -v s="$sign" 'BEGIN {printf "  encode/sign ratio: --jobs 1 %.3f (wall), %.3f (CPU); default --jobs %.3f (wall)\n", q / s, c / s, r / s}'
echo "  rounds: records/s $(tr '\n' ' ' < "$W/rate")| sign/s $(tr '\n' ' ' < "$W/sign")"
echo "  per-round ratio (default --jobs / sign/s of the same round): median $(median < "$W/ratio"), min $(sort -g "$W/ratio" | head -1), max $(sort -g "$W/ratio" | tail -1); rounds $(tr '\n' ' ' < "$W/ratio")"
gen 10 "$W/h10.jsonl"
rm -rf "$W/out"
/usr/bin/time -f "%e" -o "$W/t" "$DC" encode --record "$W/h10.jsonl" --keys "$SRC/keys-sample" --out "$W/out" > /dev/null
echo "  start-up: encode of 10 holders $(cat "$W/t") s wall (in each run above, once)"

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
