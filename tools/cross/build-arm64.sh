#!/bin/bash
# build-arm64.sh [BUILD-DIR] - cross-build Larch for arm64 (aarch64) with
# Debian's cross compiler and multiarch libraries (tools/setup.sh installs
# them; docs/arm64.md), then run the unit tests of the pure code under
# qemu-user:
#
#   1. configure BUILD-DIR (default: build-arm64 in the checkout) with
#      tools/cross/aarch64-linux-gnu.cmake;
#   2. build larch, the static larch-prepare-root and the pure-code test
#      binaries (codecs, boot-state, signatures, compression, the delta
#      engines, the helper's logic, the hawkBit decoders, the CLI's output);
#   3. run each under qemu-aarch64-static.
#
# The store, pull, deploy and crash tests are left to the amd64 run: they
# exercise the filesystem, not the instruction set, and take 5 to 15 times
# longer emulated. The boot test (test-uboot-arm64-qemu.sh) runs the
# arm64 larch and helper on a real arm64 kernel.
#
# Env: LARCH_ARM64_TESTS  test binaries to run (default: all of PURE_TESTS)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$src/build-arm64}
jobs=$(nproc 2>/dev/null || echo 2)

# name:gtest-filter ("*": all). The delta engines' tests without the
# store-level suites (Modes/*: whole deltas applied to stores).
PURE_TESTS=(
    base:* bootstate:* encoding:* crypto:* compress:* sqlite:* objects:* trust:*
    delta:-Modes/* initramfs:* hawkbit:* cli:*
)
read -r -a wanted <<<"${LARCH_ARM64_TESTS:-${PURE_TESTS[*]}}"

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-readelf qemu-aarch64-static cmake ninja; do
    command -v "$tool" >/dev/null || { echo "build-arm64: $tool is not installed (tools/setup.sh installs it)" >&2; exit 1; }
done

# -O2 without debug information: the cross build is for running, and GCC
# 12's -O3 (Release) warns falsely inside libstdc++ (-Wrestrict).
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$src/tools/cross/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG"
targets=(larch larch-prepare-root)
for t in "${wanted[@]}"; do targets+=("larch_${t%%:*}_tests"); done
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

aarch64-linux-gnu-readelf -h "$build/tools/larch" | grep -q AArch64 ||
    { echo "build-arm64: $build/tools/larch is not an arm64 binary" >&2; exit 1; }
if aarch64-linux-gnu-readelf -l "$build/initramfs/larch-prepare-root" | grep -q INTERP; then
    echo "build-arm64: larch-prepare-root is not static" >&2
    exit 1
fi

failed=()
for t in "${wanted[@]}"; do
    name=larch_${t%%:*}_tests filter=${t#*:}
    echo "=== $name (arm64, qemu-user) --gtest_filter=$filter"
    start=$SECONDS
    if qemu-aarch64-static "$build/tests/$name" --gtest_filter="$filter" --gtest_brief=1; then
        echo "=== $name: passed in $((SECONDS - start)) s"
    else
        echo "=== $name: FAILED"
        failed+=("$name")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "build-arm64: failed under qemu-user: ${failed[*]}"
    exit 1
fi
echo "build-arm64: larch $(stat -c %s "$build/tools/larch") B, larch-prepare-root $(stat -c %s "$build/initramfs/larch-prepare-root") B; ${#wanted[@]} test binaries passed under qemu-user"
