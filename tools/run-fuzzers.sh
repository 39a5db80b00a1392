#!/bin/bash
# run-fuzzers.sh [SECONDS] - build every libFuzzer target (tests/fuzz/fuzz_*.cc)
# in build-fuzz/ (below $LARCH_BUILD_ROOT, default the checkout) with clang
# and run each one for SECONDS (default $LARCH_FUZZ_SECONDS, else 10), one
# per core at a time, from its seed corpus tests/fuzz/corpus/<name>.
#
# Seeds are copied to a scratch dir first: libFuzzer writes new inputs into
# its corpus dir, and a test run must not change the repository. Crash
# inputs land in build-fuzz/artifacts/ (outside git) for reproduction:
#   build-fuzz/tests/fuzz_x build-fuzz/artifacts/fuzz_x-crash-...
#
# Exit: 0 all targets ran clean, 1 a build or target failed, 77 no fuzz
# target was found (a tree without tests/fuzz/: nothing to do).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-${LARCH_FUZZ_SECONDS:-10}}
broot=${LARCH_BUILD_ROOT:-$src}
bdir=$broot/build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)

[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }

shopt -s nullglob
sources=("$src"/tests/fuzz/fuzz_*.cc)
if [ "${#sources[@]}" -eq 0 ]; then
    echo "run-fuzzers: no fuzz targets (tests/fuzz/fuzz_*.cc); skipping"
    exit 77
fi

echo "run-fuzzers: building ${#sources[@]} target(s) in $bdir (clang, -DLARCH_FUZZ=ON)"
CC=clang CXX=clang++ cmake -S "$src" -B "$bdir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLARCH_FUZZ=ON
names=()
for s in "${sources[@]}"; do names+=("$(basename "$s" .cc)"); done
cmake --build "$bdir" -j "$jobs" --target "${names[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/larch-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$bdir/artifacts"

# run_target NAME: one target for $seconds seconds; prints PASS/FAIL and
# returns non-zero on a failure.
run_target() {
    local name=$1 bin corpus seeds nseeds log rc=0
    bin=$(find "$bdir" -type f -perm -u+x -name "$name" -not -path '*/CMakeFiles/*' | head -n 1)
    if [ -z "$bin" ]; then
        echo "FAIL $name: binary not found in $bdir"
        return 1
    fi
    corpus=$scratch/$name
    mkdir -p "$corpus"
    seeds=$src/tests/fuzz/corpus/$name
    nseeds=0
    if [ -d "$seeds" ]; then
        cp -R "$seeds"/. "$corpus"/
        nseeds=$(find "$corpus" -type f | wc -l)
    fi
    # -max_total_time bounds the run; -timeout flags a single slow input as
    # a hang; -rss_limit_mb leaves room on a 2-core/24 GiB CI machine with
    # ASan's shadow memory for one target per core. Log to a file and show
    # only the tail: libFuzzer prints a line per new coverage point.
    log=$bdir/artifacts/$name.log
    "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$bdir/artifacts/$name-" \
        >"$log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "PASS $name, ${seconds}s, $nseeds seeds ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?') runs)"
        return 0
    fi
    { echo "FAIL $name (exit $rc); last lines of $log:"; tail -n 40 "$log"; } | sed "s/^/[$name] /"
    return 1
}

# One target per core at a time: each is single-threaded, so the whole run
# takes (targets / cores) x SECONDS instead of targets x SECONDS. Each
# target's outcome lands in $scratch/<name>.rc, counted below.
echo "run-fuzzers: ${#names[@]} targets, ${seconds}s each, $jobs at a time"
running=0
for name in "${names[@]}"; do
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
    ( rc=0; run_target "$name" || rc=$?; echo "$rc" >"$scratch/$name.rc" ) &
    running=$((running + 1))
done
wait
ok=0
bad=0
for name in "${names[@]}"; do
    if [ "$(cat "$scratch/$name.rc" 2>/dev/null)" = 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done

echo "run-fuzzers: $ok target(s) clean, $bad failed"
[ "$bad" -eq 0 ]
