#!/bin/bash
# run-tests.sh - THE test command: everything CI runs, in one go.
#
#   1. build/       RelWithDebInfo (GCC), ctest: unit, crash and integration
#   2. package      the Debian packages (tools/check-package.sh): built with
#                   dpkg-buildpackage, lintian without errors, installed
#                   with apt-get, tools/demo.sh run with the installed
#                   /usr/bin/larch, removed again
#   3. build-asan/  -DLARCH_SANITIZE=ON (GCC, ASan+UBSan), ctest again
#                   without the tests labelled "slow" (real root
#                   filesystems, qemu boots: they ran in step 1; their code
#                   paths are in the unit, crash and smaller integration
#                   tests that do run here) or "no-sanitizer" (they check
#                   text, shell scripts or other tools' output); the crash
#                   sweeps at every 4th of their points (LARCH_CRASH_SAMPLE)
#   4. build-arm64/ the arm64 cross build (tools/cross/build-arm64.sh):
#                   larch, the static larch-prepare-root, and the pure-code
#                   unit tests run under qemu-user; then the ARM64 boot test
#                   through real U-Boot under qemu-system-aarch64 (ctest -L
#                   arm64 in build/: test-uboot-arm64-qemu.sh)
#   5. build-fuzz/  clang + libFuzzer, every fuzz_* target for
#                   LARCH_FUZZ_SECONDS (default 10) seconds, one per core
#                   (tools/run-fuzzers.sh). The tests cannot share this
#                   clang build: Debian 12's clang 14 lacks the builtin that
#                   libstdc++ 12's std::source_location needs.
#
# Warnings are errors in CI (CMakeLists.txt turns LARCH_WERROR on when the
# environment variable CI is set); a user's plain build keeps them
# warnings, so a newer compiler does not break it.
#
# Every step runs even if an earlier one failed, so one run reports all
# failures; the exit status is non-zero if any step failed. The last line is
# "N passed, M failed", counting steps.
#
# Env: LARCH_FUZZ_SECONDS   seconds per fuzz target (default 10)
#      LARCH_BUILD_ROOT     where the build dirs go (default: the checkout)
#      LARCH_CTEST_ARGS     ctest args for step 1 (default "-LE debian-boot|arm64":
#                           leaves out the Debian-with-systemd boot test, 12
#                           minutes beyond CI's budget (run it with ctest -L
#                           debian-boot), and the ARM64 boot test, which
#                           step 4 runs once the arm64 build exists)
#      LARCH_ASAN_CTEST_ARGS  ctest args for the ASan run (default: not slow,
#                             not no-sanitizer; "" runs everything)
#      LARCH_SKIP           space-separated steps to leave out: package asan arm64 fuzz
#      LARCH_CRASH_SAMPLE   the ASan run's crash sweeps crash at every N-th
#                           point (default 4; 1: every point, as in step 1)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src"
broot=${LARCH_BUILD_ROOT:-$src}
jobs=$(nproc 2>/dev/null || echo 2)

passed=0
failed=0
skipped=0
results=()

banner() { printf '\n======== %s\n' "$*"; }

# step NAME CMD...: run one step, record its outcome, never abort the script.
# Exit status 77 from CMD means "skipped".
step() {
    local name=$1; shift
    banner "$name"
    local start=$SECONDS rc=0
    "$@" || rc=$?
    local took=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); results+=("PASS  $name (${took}s)")
    elif [ "$rc" -eq 77 ]; then
        skipped=$((skipped + 1)); results+=("SKIP  $name")
    else
        failed=$((failed + 1)); results+=("FAIL  $name (exit $rc, ${took}s)")
    fi
    return 0
}

# A step that cannot run because what it needs failed counts as failed: a
# broken build must not look like "fewer tests".
blocked() {
    banner "$1"
    echo "not run: $2"
    failed=$((failed + 1)); results+=("FAIL  $1 (not run: $2)")
}

skipping() { [[ " ${LARCH_SKIP:-} " == *" $1 "* ]]; }

configure_build() {   # configure_build DIR CMAKE-ARGS...
    local dir=$1; shift
    cmake -S "$src" -B "$dir" -G Ninja "$@" && cmake --build "$dir" -j "$jobs"
}

run_ctest() {   # run_ctest DIR [CTEST-ARGS...]
    local dir=$1; shift
    rm -f "$dir/Testing/Temporary/LastTestsFailed.log"   # the summary lists what it holds
    # --no-tests=error: a build that registers no tests is a failure, not a pass.
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@"
}

# ------------------------------------------------------------------ 1. normal
step "build (RelWithDebInfo): $broot/build" \
    configure_build "$broot/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ "${results[-1]}" == PASS* ]]; then
    step "ctest build/ (unit, crash, integration)" run_ctest "$broot/build" ${LARCH_CTEST_ARGS--LE "debian-boot|arm64"}
else
    blocked "ctest build/ (unit, crash, integration)" "build failed"
fi

# ------------------------------------------------------------------ 2. package
if skipping package; then
    banner "package"; echo "skipped (LARCH_SKIP)"; skipped=$((skipped + 1)); results+=("SKIP  package")
else
    step "package: build, lintian, install, demo with /usr/bin/larch" \
        bash "$src/tools/check-package.sh" "$broot/build-package"
fi

# ------------------------------------------------------------------ 3. ASan
if skipping asan; then
    banner "ASan"; echo "skipped (LARCH_SKIP)"; skipped=$((skipped + 1)); results+=("SKIP  asan")
else
    # halt_on_error etc.: a sanitizer report must fail the test, not scroll by.
    # strict_memcmp=0: ASan checks the bytes memcmp really compares, not all
    # n. The default (all n) made bsdiff's suffix search, which compares
    # "the rest of the file" and stops at the first difference, quadratic:
    # one 10 MiB patch took 105 s instead of 3.7 s, and the big-file tests
    # alone kept CI past its hour.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:strict_memcmp=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    # The crash sweeps crash at every 4th of their points under ASan (and at
    # the last): step 1 ran them at every point; here they take each
    # stage's error paths through the sanitizers at a quarter of the cost
    # (FaultFs::CrashPointsToSweep). LARCH_CRASH_SAMPLE=1 runs them whole.
    export LARCH_CRASH_SAMPLE=${LARCH_CRASH_SAMPLE:-4}
    step "build (ASan+UBSan): $broot/build-asan" \
        configure_build "$broot/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLARCH_SANITIZE=ON
    if [[ "${results[-1]}" == PASS* ]]; then
        # shellcheck disable=SC2086  # word splitting of the extra args is intended
        step "ctest build-asan/" run_ctest "$broot/build-asan" ${LARCH_ASAN_CTEST_ARGS--LE "slow|no-sanitizer"}
    else
        blocked "ctest build-asan/" "build failed"
    fi
fi

# ------------------------------------------------------------------ 4. arm64
if skipping arm64; then
    banner "arm64"; echo "skipped (LARCH_SKIP)"; skipped=$((skipped + 1)); results+=("SKIP  arm64")
else
    step "arm64: cross build, pure-code unit tests under qemu-user" \
        bash "$src/tools/cross/build-arm64.sh" "$broot/build-arm64"
    arm64_built=${results[-1]}
    if [[ "$arm64_built" == PASS* ]] && [ -x "$broot/build/tools/larch" ]; then
        step "arm64: U-Boot boot test (qemu-system-aarch64)" run_ctest "$broot/build" -L arm64
    else
        blocked "arm64: U-Boot boot test (qemu-system-aarch64)" "the amd64 or arm64 build failed"
    fi
fi

# ------------------------------------------------------------------ 5. fuzz
if skipping fuzz; then
    banner "fuzz"; echo "skipped (LARCH_SKIP)"; skipped=$((skipped + 1)); results+=("SKIP  fuzz")
else
    step "fuzz (${LARCH_FUZZ_SECONDS:-10}s per target)" \
        env LARCH_BUILD_ROOT="$broot" bash "$src/tools/run-fuzzers.sh" "${LARCH_FUZZ_SECONDS:-10}"
fi

# ------------------------------------------------------------------ summary
banner "summary"
printf '%s\n' "${results[@]}"
# The failing tests' names, again here: CI shows only the end of the log.
for dir in "$broot/build" "$broot/build-asan"; do
    list="$dir/Testing/Temporary/LastTestsFailed.log"
    if [ -s "$list" ]; then
        echo "failed in ${dir##*/}/:"
        sed 's/^[0-9]*:/  /' "$list"
    fi
done
[ "$skipped" -eq 0 ] || echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
