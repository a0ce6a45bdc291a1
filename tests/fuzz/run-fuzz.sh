#!/bin/sh
# Builds the libFuzzer targets with clang (AddressSanitizer, libraries instrumented too) into
# BUILD (default build-fuzz/) and runs each for SECONDS seconds (default 30), starting from the
# committed corpus. New inputs go to BUILD/corpus/<target>/; crashes to BUILD/crashes/<target>/.
# Usage: [BUILD=dir] tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]   (targets: fuzz_tlv fuzz_apdu
#        fuzz_record_csv fuzz_record_json fuzz_lds fuzz_sod fuzz_card_responses fuzz_applet
#        fuzz_card_file fuzz_card_journal fuzz_atr fuzz_keys fuzz_spki; default all)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-"fuzz_tlv fuzz_apdu fuzz_record_csv fuzz_record_json fuzz_lds fuzz_sod fuzz_card_responses fuzz_applet
    fuzz_card_file fuzz_card_journal fuzz_atr fuzz_keys fuzz_spki"}
build=${BUILD:-"$root/build-fuzz"}
case $build in /*) ;; *) build="$root/$build" ;; esac

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDOCKETCARD_FUZZ=ON -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address" >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets

status=0
for t in $targets; do
    mkdir -p "$build/corpus/$t" "$build/crashes/$t"
    # A personalized card file is about 8 KiB.
    max_len=4096
    [ "$t" = fuzz_card_file ] && max_len=16384
    [ "$t" = fuzz_card_journal ] && max_len=16384
    echo "== $t: ${seconds}s"
    if ! "$build/bin/$t" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/crashes/$t/" -print_final_stats=1 \
        "$build/corpus/$t" "$root/tests/fuzz/corpus/$t" 2>"$build/$t.log"; then
        echo "!! $t found a problem; see $build/$t.log and $build/crashes/$t/"
        tail -n 40 "$build/$t.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$build/$t.log" | tail -n 2
    fi
done
exit $status
