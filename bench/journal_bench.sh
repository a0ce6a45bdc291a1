#!/bin/bash
# Cards per minute of `docketcard issue` with 1, 2 and 3 stations on one PostgreSQL journal,
# against SQLite (one station, and one station with 2 and 3 readers), on sim:DIR/ readers.
# Usage: bench/journal_bench.sh BUILD_DIR [HOLDERS]   (default 30 holders per run)
# The PostgreSQL server is a private cluster made here (initdb in a temporary folder, as nobody
# when run as root, Unix socket only, default durability: fsync on), stopped at the end.
# Prints one line per configuration: "pg 2 stations: 30 cards in 12.3 s = 146.3 cards/min".
set -eu
BUILD=$(cd "${1:?usage: journal_bench.sh BUILD_DIR [HOLDERS]}" && pwd)
N=${2:-30}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DC="$BUILD/bin/docketcard"
K="$SRC/keys-sample"
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN="$d"; done
[ -n "$PGBIN" ] || { echo "journal_bench: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
T=$(mktemp -d /tmp/dk-bench.XXXXXX)
chmod 755 "$T"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
trap 'as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1; rm -rf "$T"' EXIT
mkdir "$T/pg"
[ "$(id -u)" = 0 ] && chown nobody "$T/pg"
as_pg "$PGBIN/initdb" -D "$T/pg/data" -U docketcard --auth=trust -E UTF8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w -o "-k $T/pg -c listen_addresses=''" start >/dev/null

# N holders from the samples, each with its own document number.
python3 - "$SRC" "$N" >"$T/holders.jsonl" <<'PY'
import json, sys
src, n = sys.argv[1], int(sys.argv[2])
base = [json.loads(l) for l in open(f"{src}/samples/holders.jsonl", encoding="utf-8")]
for i in range(n):
    h = dict(base[i % len(base)])
    h["document_number"] = f"BN{i:07d}"
    h["photo"] = f"{src}/samples/" + h["photo"]
    print(json.dumps(h, ensure_ascii=False))
PY
ms() { echo $(( $(date +%s%N) / 1000000 )); }
report() { # NAME CARDS MS
    awk -v n="$1" -v c="$2" -v t="$3" 'BEGIN { printf "%s: %d cards in %.1f s = %.1f cards/min\n", n, c, t / 1000, c * 60000 / t }'
}
run=0
pg() { # STATIONS
    run=$((run + 1))
    "$PGBIN/psql" -h "$T/pg" -U docketcard -d postgres -X -q -c "CREATE DATABASE b$run"
    local uri="postgresql://docketcard@/b$run?host=$T/pg" pids=() t0
    "$DC" journal --journal "$uri" --init >/dev/null
    t0=$(ms)
    for s in $(seq 1 "$1"); do
        "$DC" issue --input "$T/holders.jsonl" --reader "sim:$T/c$run-$s/" --keys "$K" --csca "$K/csca.pem" \
            --journal "$uri" --reports "$T/r$run" --station "s$s" >/dev/null 2>"$T/err$run-$s" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    local t=$(( $(ms) - t0 ))
    local v
    v=$("$PGBIN/psql" -h "$T/pg" -U docketcard -d "b$run" -X -t -A -c "SELECT count(*) FROM attempts WHERE state = 'verified'")
    [ "$v" = "$N" ] || { echo "journal_bench: pg $1 stations: $v verified of $N" >&2; exit 1; }
    report "pg $1 station$([ "$1" = 1 ] || echo s)" "$N" "$t"
}
sqlite() { # READERS
    run=$((run + 1))
    local readers=() t0
    for r in $(seq 1 "$1"); do readers+=(--reader "sim:$T/c$run-$r/"); done
    t0=$(ms)
    "$DC" issue --input "$T/holders.jsonl" "${readers[@]}" --keys "$K" --csca "$K/csca.pem" \
        --journal "$T/j$run.db" >/dev/null 2>"$T/err$run"
    report "sqlite 1 station, $1 reader$([ "$1" = 1 ] || echo s)" "$N" "$(( $(ms) - t0 ))"
}
echo "journal_bench: $N holders, $(nproc) cores, $("$PGBIN/postgres" --version)"
sqlite 1
pg 1
pg 2
pg 3
sqlite 2
sqlite 3
