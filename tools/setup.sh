#!/bin/bash
# setup.sh - install everything Larch's build, tests, fuzzers, benchmarks and
# demo need on a Debian 12 machine, then build the test corpus if missing.
#
# Idempotent: apt-get install of installed packages is a no-op and the corpus
# is only built when the cache lacks it. Runs as root (CI does); otherwise
# re-runs itself under sudo.
#
# Env: LARCH_CORPUS   corpus cache (default /var/tmp/larch-corpus)
#      LARCH_NO_CORPUS=1  install packages only
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        echo "setup: not root, re-running under sudo"
        exec sudo --preserve-env=LARCH_CORPUS,LARCH_NO_CORPUS bash "$0" "$@"
    fi
    echo "setup: must run as root (apt-get, debootstrap) and sudo is not available" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Every Debian package the project needs, and why.
packages=(
    # toolchain and build
    build-essential cmake ninja-build pkg-config git ca-certificates
    # clang for libFuzzer targets; libclang-rt-14-dev carries the fuzzer and
    # sanitizer runtimes that the clang package alone does not pull in
    clang libclang-rt-14-dev
    # libraries: OpenSSL 3 (SHA-256, Ed25519), zstd, curl, fmt, SQLite,
    # GoogleTest, CLI11, nlohmann-json, libattr (xattrs)
    libssl-dev openssl libzstd-dev zstd libcurl4-openssl-dev libfmt-dev
    libsqlite3-dev sqlite3 libgtest-dev googletest libcli11-dev
    nlohmann-json3-dev libattr1-dev
    # integration tests: getfattr/setfattr, setcap, python3 for tree_compare.py,
    # jq for --json output
    attr libcap2-bin python3 jq
    # the CLI's man pages and completion: man-db (with groff) renders docs/man
    # in test-man-pages.sh, tmux drives an interactive bash in
    # test-completion.sh
    man-db tmux
    # corpus (debootstrap) and the comparison baseline for benchmarks
    debootstrap ostree
    # deltas: libdivsufsort (suffix sort of the bsdiff engine), zlib (the
    # gzip-aware engine); bsdiff and
    # xdelta3 only for reference figures in tools/bench/bench-delta.sh
    libdivsufsort-dev zlib1g-dev bsdiff xdelta3
    # liblzma (xz): delta parts of new files, LZMA2 with x86/ARM64 branch
    # filters, where it beats zstd (repo/delta/part_xz.h)
    liblzma-dev
    # fs-verity: libfsverity computes the digests a publisher binds to a
    # commit; the fsverity tool is the reference its unit test compares with
    libfsverity-dev fsverity
    # libsodium: Ed25519 and SHA-256 of the boot-time helper's verified /usr
    # check, linked statically into larch-prepare-root (OpenSSL's static
    # libcrypto does not fit its 1 MiB budget)
    libsodium-dev
    # an AArch64 cross compiler: the ELF delta engine's AArch64 test builds
    # its pair with it (skipped without)
    gcc-aarch64-linux-gnu
    # later work: an HTTP server for pull tests, VM boot tests, initramfs
    nginx qemu-system-x86 cpio busybox-static e2fsprogs xz-utils dracut-core initramfs-tools-core
    # the hawkBit DDI test server (tests/integration/ddi_server.py): curl
    # drives its management side (lib-ddi.sh), swupdate's suricatta is the
    # independent DDI client that checks it (test-ddi-server-swupdate.sh)
    curl swupdate
    # grub-script-check and grub-mkrelpath: the grub.cfg larch writes
    # (bootloader=grub) and the grub.d snippet are checked by GRUB's parser
    grub-common
    # Debian packages of Larch (debian/, tools/check-package.sh): debhelper
    # builds them, lintian checks them, man-db answers man -w for the pages
    debhelper lintian man-db
    # ARM64 with U-Boot (docs/arm64.md): qemu-user runs the arm64 unit tests,
    # qemu-system-aarch64 boots Debian's qemu_arm64 U-Boot (u-boot-qemu);
    # mkimage compiles boot.cmd, fw_printenv/fw_setenv (libubootenv-tool)
    # read and reset the boot counter; sfdisk, mkfs.vfat and mtools make
    # the test's disk without loop devices
    qemu-user-static qemu-system-arm u-boot-qemu u-boot-tools libubootenv-tool
    fdisk dosfstools mtools
)
# The arm64 cross build (tools/cross/): Debian's cross compiler and the
# arm64 builds of the libraries Larch links (multiarch: the amd64 and arm64
# packages of one library must have the same version, so both come from the
# same apt-get update).
arm64_packages=(
    crossbuild-essential-arm64
    libssl-dev:arm64 libzstd-dev:arm64 libcurl4-openssl-dev:arm64 libfmt-dev:arm64
    libsqlite3-dev:arm64 libgtest-dev:arm64 libsodium-dev:arm64 libdivsufsort-dev:arm64
    zlib1g-dev:arm64 liblzma-dev:arm64 libfsverity-dev:arm64 libattr1-dev:arm64
)
packages+=("${arm64_packages[@]}")

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "setup: dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
fi
echo "setup: apt-get update"
apt-get update -q

# Fail early with a clear message if a name is unknown to apt (a typo or a
# package dropped from the release) rather than somewhere inside apt's output.
# One apt-cache call for all names: it prints a "NAME:" stanza with a
# "Candidate:" line for each known package ("(none)" if not installable) and
# nothing at all for an unknown name.
policy=$(apt-cache policy "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
    cand=$(awk -v want="$p:" '$0 == want { f = 1; next }
                              /^[^ ]/   { f = 0 }
                              f && $1 == "Candidate:" { print $2; exit }' <<<"$policy")
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: apt has no installable candidate for: ${missing[*]}" >&2
    exit 1
fi

echo "setup: apt-get install ${packages[*]}"
apt-get install -y -q --no-install-recommends "${packages[@]}"
# swupdate's package enables its own daemon where systemd runs; the tests
# start swupdate themselves, so a development machine does not keep one.
if [ -d /run/systemd/system ]; then
    systemctl disable --now swupdate.socket swupdate.service >/dev/null 2>&1 || true
fi

if [ "${LARCH_NO_CORPUS:-0}" = 1 ]; then
    echo "setup: LARCH_NO_CORPUS=1, not building the corpus"
    exit 0
fi

cache=${LARCH_CORPUS:-/var/tmp/larch-corpus}
if bash "$here/ensure-corpus.sh" --check; then
    echo "setup: corpus present in $cache"
else
    echo "setup: building corpus v1 v2 v3 in $cache (debootstrap; a few minutes)"
    bash "$here/ensure-corpus.sh" >/dev/null
    echo "setup: corpus built:"
fi
cat "$cache/corpus-sizes.txt"
echo "setup: done"
