#!/bin/bash
# make-corpus.sh - build the test and benchmark corpus: three real Debian 12
# root filesystems that differ exactly by a security update and a feature
# update.
#
#   make-corpus.sh OUTDIR
#
#   OUTDIR/v1   debootstrap --variant=minbase bookworm (release pocket)
#   OUTDIR/v2   v1 after apt-get upgrade from bookworm-updates and
#               bookworm-security: a real security update
#   OUTDIR/v3   v2 plus python3, openssh-server and curl: a feature update
#   OUTDIR/corpus-sizes.txt   written last; its presence marks a finished corpus
#
# Needs root and debootstrap; takes a few minutes and about 500 MB. The
# archive is whatever this machine's apt already uses (read from
# `apt-cache policy`, so run `apt-get update` first): nothing is hard-coded.
#
# Every tree gets the same finishing touches, so the differences between them
# are only what the package operations changed: the apt caches and lists are
# emptied, device nodes are removed (they are not content; a running system
# gets devtmpfs) and the same stand-in kernel and initramfs are placed under
# usr/lib/modules/ (deterministic bytes: tools such as `ostree admin deploy`
# expect a kernel in the tree).
#
# Env: LARCH_CORPUS_SUITE  Debian suite (default bookworm)
set -euo pipefail

suite=${LARCH_CORPUS_SUITE:-bookworm}
feature_packages=(python3 openssh-server curl)
kernel_version=6.1.0-test

say() { printf 'make-corpus: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: make-corpus.sh OUTDIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (tools/setup.sh installs it)"
mkdir -p "$1"
out=$(cd "$1" && pwd)
for v in v1 v2 v3; do
    [ ! -e "$out/$v" ] || die "$out/$v exists; remove it first"
done

# archive_for POCKET: the first archive URI apt uses for POCKET (e.g.
# bookworm-security), from the "500 URI POCKET/main ARCH Packages" lines of
# apt-cache policy. Works whatever the sources' format (one-line or deb822).
archive_for() {
    apt-cache policy | awk -v want="$1/main" '
        $2 ~ /^(https?|file):/ && $3 == want { print $2; exit }'
}
main_archive=$(archive_for "$suite")
[ -n "$main_archive" ] ||
    die "apt knows no archive for $suite/main; run apt-get update (or add $suite to apt's sources)"
updates_archive=$(archive_for "$suite-updates")
security_archive=$(archive_for "$suite-security")
[ -n "$updates_archive" ] || updates_archive=$main_archive
[ -n "$security_archive" ] || die "apt knows no archive for $suite-security/main"

# Mounts made inside the trees, undone on any exit (a killed run must not
# leave /proc mounted inside a tree that someone later removes).
mounted=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
    done
    mounted=()
}
trap unmount_all EXIT

in_tree() {   # in_tree ROOT CMD...: run CMD in ROOT with a clean environment
    local root=$1; shift
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}

# apt_in_tree ROOT APT-ARGS...: apt-get in ROOT with the update pockets
# enabled and no service started; leaves no trace of either in the tree.
apt_in_tree() {
    local root=$1; shift
    local extra=$root/etc/apt/sources.list.d/larch-corpus.list
    printf 'deb %s %s-updates main\ndeb %s %s-security main\n' \
        "$updates_archive" "$suite" "$security_archive" "$suite" >"$extra"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"
    mounted+=("$root/proc")
    in_tree "$root" apt-get -q update
    in_tree "$root" apt-get -q -y "$@"
    unmount_all
    rm -f "$extra" "$root/usr/sbin/policy-rc.d"
}

# stand_in BYTES SEED: deterministic incompressible bytes (AES-CTR of zeros).
stand_in() {
    head -c "$1" /dev/zero |
        openssl enc -aes-256-ctr -nosalt -pbkdf2 -pass "pass:$2" 2>/dev/null
}

finish_tree() {
    local root=$1
    if mountpoint -q "$root/proc"; then die "$root/proc is still mounted"; fi
    rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
           "$root"/var/lib/apt/lists/*
    find "$root/dev" -xdev -mindepth 1 -delete
}

cd "$out"
say "v1: debootstrap --variant=minbase $suite (log: $out/v1.log)"
debootstrap --variant=minbase "$suite" v1 "$main_archive" >v1.log 2>&1 ||
    die "debootstrap failed; see $out/v1.log"
mkdir -p "v1/usr/lib/modules/$kernel_version"
stand_in $((4 << 20)) vmlinuz >"v1/usr/lib/modules/$kernel_version/vmlinuz"
stand_in $((2 << 20)) initramfs >"v1/usr/lib/modules/$kernel_version/initramfs.img"
chmod 0644 "v1/usr/lib/modules/$kernel_version"/*

say "v2: v1 + apt-get upgrade from $suite-updates and $suite-security (log: $out/v2.log)"
cp -a v1 v2
apt_in_tree v2 upgrade >v2.log 2>&1 || die "apt-get upgrade failed; see $out/v2.log"

say "v3: v2 + ${feature_packages[*]} (log: $out/v3.log)"
cp -a v2 v3
apt_in_tree v3 install --no-install-recommends "${feature_packages[@]}" >v3.log 2>&1 ||
    die "apt-get install failed; see $out/v3.log"

for v in v1 v2 v3; do finish_tree "$v"; done

sizes=$(for v in v1 v2 v3; do
    printf '%s  bytes(du -sb)=%s  files=%s  entries=%s\n' "$v" \
        "$(du -sb "$v" | cut -f1)" "$(find "$v" -type f | wc -l)" "$(find "$v" | wc -l)"
done)
# Written atomically and last: tools/ensure-corpus.sh takes its presence as
# "the corpus is complete".
printf '%s\n' "$sizes" >corpus-sizes.txt.tmp
sync
mv corpus-sizes.txt.tmp corpus-sizes.txt
printf '%s\n' "$sizes"
say "done"
