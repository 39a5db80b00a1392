#!/bin/bash
# ctest-labels: slow
# test-verity-qemu.sh - a verified /usr under a kernel with fs-verity (issue
# 18, docs/verity.md): Debian's kernel under qemu boots from an ext4 made
# with -O verity. The host's kernel has none, so every seal is made in the
# guest; the test plays the boot loader and the attacker with the disk in
# hand (debugfs and dd on the image while the guest is off).
#
#   host    releases r1, r2 (signed by k1) and r3 (signed by k2), each a
#           busybox system with 5,000 small files in /usr; r1 deployed
#           (unsealed: the host cannot seal). Two initramfs images: plain,
#           and one whose boot keyring holds k1 (verified boot on).
#   boot 1  plain: r1.0; the guest deploys r1 again (r1.1): every object
#           it links is sealed as the deploy checks it
#   boot 2  keyring: r1.1 verified and booted; the guest deploys r2 (its
#           new objects are sealed as they enter) and makes a sealed file
#           with other content for the attack below
#   boot 3  keyring: r2 verified (every /usr file measured) and booted;
#           the helper's time is the boot-time cost
#   (a)     offline, r2's /usr/share/larch-test/version replaced by the
#           sealed file with other content: boot 4 falls back to r1.1,
#           status names the file and the reason
#   (b)     offline, replaced by an unsealed copy of the right content:
#           boot 5 falls back, status names the file and the reason
#   (c)     offline, one byte of a sealed file's data changed on the raw
#           disk: boot 6 boots r2 (the seal is intact), reading the file
#           fails with an I/O error, fsck names its object; the guest
#           deploys r3, signed by a key the initramfs does not hold
#   boot 7  r3 is refused by the helper (no signature by a key of its
#           keyring) and r2 boots; status says why
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/boot_lib.sh"

boot_test_setup
log "kernel $KVER from $KDIR"
W=$(tmpdir work)
larch key generate -o "$W/k1" >/dev/null
larch key generate -o "$W/k2" >/dev/null
INITRD_PLAIN=$W/initramfs-plain.img
INITRD_KEYS=$W/initramfs-keys.img
build_initramfs "$INITRD_PLAIN"
build_initramfs "$INITRD_KEYS" "$W/k1.pub"
INITRD=$INITRD_PLAIN

S=$W/sysroot
new_sysroot "$S" 3
REPO=$S/ostree/repo
export GUEST_INIT=verity_guest_init.sh
for v in r1 r2 r3; do
    build_rootfs "$W/rootfs-$v" "$v" ok
    python3 - "$W/rootfs-$v/usr/share/many" <<'PY'
import os, sys
os.makedirs(sys.argv[1])
for i in range(5000):
    with open(os.path.join(sys.argv[1], "f%05d" % i), "w") as f:
        f.write("small file %d\n" % i * (1 + i % 7))
PY
    id=$("$LARCH" --repo "$REPO" commit --branch "debian/$v" --tree "$W/rootfs-$v" --version "${v#r}" \
        --subject "verity test $v")
    key=k1
    [ "$v" = r3 ] && key=k2
    "$LARCH" sign --repo "$REPO" "$id" -k "$W/$key.key" >/dev/null
done
echo >"$W/no-cmdline"
larch admin deploy debian/r1 --sysroot "$S" --cmdline "$W/no-cmdline" >/dev/null
IMG=$W/disk.img
# fs-verity on ext4 needs the block size to be the page size.
mkfs.ext4 -q -F -b 4096 -O verity -L larchroot -d "$S" "$IMG" 768M
log "disk image: $(du -sh "$IMG" | cut -f1) used"

BOOT=0
boot() {   # boot EXTRA-ARGS...: the default entry; the console in $CONSOLE
    BOOT=$((BOOT + 1))
    local opts
    opts=$(boot_options "$IMG")
    [ -n "$opts" ] || fail "no options in the default boot entry"
    log "boot $BOOT ($(basename "$INITRD")): $opts $*"
    QEMU_TIMEOUT=600 qemu_boot "$IMG" "$W/console-$BOOT.log" "$opts console=ttyS0 panic=-1 $*"
    CONSOLE=$(tr -d '\r' <"$W/console-$BOOT.log")
    log "boot $BOOT took ${BOOT_SECONDS}s"
    grep -E 'larch-prepare-root:|GUEST:|STATUS:|DEPLOY:|FSCK:|Kernel panic|verity' <<<"$CONSOLE" >&2 || true
}
expect() {   # expect NEEDLE: the console of the last boot says NEEDLE
    assert_contains "$CONSOLE" "$1" "console of boot $BOOT"
}
default_path() { boot_options "$IMG" | sed -n 's/.*larch=\([^ ]*\).*/\1/p'; }
object_of() {   # object_of REF PATH: the store path of PATH's file object in REF
    local id
    id=$("$LARCH" ls --repo "$REPO" --json "$1" "$2" | jq -r '.[0].id')
    printf '/ostree/repo/objects/%s/%s.file\n' "${id:0:2}" "${id:2}"
}
debugfs_do() {   # debugfs_do COMMAND...: each argument one command, written
    printf '%s\n' "$@" >"$W/debugfs.cmd"
    debugfs -w -f "$W/debugfs.cmd" "$IMG" >"$W/debugfs.out" 2>&1 || { cat "$W/debugfs.out" >&2; fail "debugfs: $*"; }
    if grep -E '^debugfs: .*(not found|error|Invalid|cannot)' "$W/debugfs.out" >&2; then fail "debugfs: $*"; fi
    grep -vE '^debugfs [0-9]|^debugfs: ' "$W/debugfs.out" | grep -qiE 'not found|error|invalid|cannot' &&
        { cat "$W/debugfs.out" >&2; fail "debugfs: $*"; }
    return 0
}
reset_state() {   # reset_state DEFAULT FALLBACK: boot-state "good", as the device left it
    local loader
    loader=$(loader_dir "$IMG")
    printf 'larch-boot-state 1\ndefault=%s\nfallback=%s\ntries-left=0\nstatus=good\nreason=\n' "$1" "$2" >"$W/boot-state"
    debugfs_do "cd $loader" "rm boot-state" "write $W/boot-state boot-state"
}

# --------------------------------------------------------------- boot 1
V1_0=$(default_path)
boot larchtest.deploy=debian/r1
expect "GUEST: booted r1, larch=$V1_0"
expect "GUEST: deploy debian/r1 done"
V1=$(default_path)
[ "$V1" != "$V1_0" ] || fail "the second deploy of r1 did not become the default"

# --------------------------------------------------------------- boot 2
INITRD=$INITRD_KEYS
boot larchtest.deploy=debian/r2 larchtest.sealed-file=not-the-release
expect "verified boot: 1 key(s) in /etc/larch/boot-keys"
expect "verified $V1/usr: "
expect "GUEST: booted r1, larch=$V1"
expect "GUEST: deploy debian/r2 done"
expect "GUEST: sealed commit exit 0"
SEALED=$(sed -n 's/^GUEST: sealed file \(.*\)$/\1/p' <<<"$CONSOLE" | head -1)
[ -n "$SEALED" ] || fail "the guest made no sealed file"
V2=$(default_path)

# --------------------------------------------------------------- boot 3
boot
expect "GUEST: booted r2, larch=$V2"
VERIFIED=$(grep -o "verified $V2/usr: .*" <<<"$CONSOLE" | head -1)
[ -n "$VERIFIED" ] || fail "boot 3: the helper did not verify r2's /usr"
log "boot-time check: $VERIFIED"
FILES=$(sed -n 's/.*: \([0-9]*\) sealed files.*/\1/p' <<<"$VERIFIED")
[ "$FILES" -ge 5000 ] || fail "only $FILES files measured"
expect "STATUS: Boot: default ${V2##*/}, good"

VERSION=usr/share/larch-test/version
ORIGINAL=$(object_of debian/r2 /$VERSION)
short() { local n=${1##*/}; printf '%s.%s' "${n:0:12}" "${n##*.}"; }

# ------------------------------------------- (a) a sealed file of other content
log "(a) $V2/$VERSION replaced by a sealed file with other content"
debugfs_do "unlink $V2/$VERSION" "link $SEALED $V2/$VERSION"
boot
expect "$V2: verified /usr: $VERSION: its fs-verity digest is not the signed one"
expect "GUEST: booted r1, larch="
expect "STATUS: Last boot fell back to 1 (${V1##*/}): default $(short "$V2") is not bootable (verified /usr: $VERSION: its fs-verity digest is not the signed one)"
debugfs_do "unlink $V2/$VERSION" "link $ORIGINAL $V2/$VERSION"
reset_state "$V2" "$V1"

# ----------------------------------------------- (b) an unsealed copy
log "(b) $V2/$VERSION replaced by an unsealed copy of the same content"
echo r2 >"$W/version-copy"
debugfs_do "unlink $V2/$VERSION" "cd $(dirname "$V2/$VERSION")" "write $W/version-copy version"
boot
expect "$V2: verified /usr: $VERSION: not sealed with fs-verity"
expect "GUEST: booted r1, larch="
expect "STATUS: Last boot fell back to 1 (${V1##*/}): default $(short "$V2") is not bootable (verified /usr: $VERSION: not sealed with fs-verity)"
debugfs_do "unlink $V2/$VERSION" "link $ORIGINAL $V2/$VERSION"
reset_state "$V2" "$V1"

# ----------------------------------------- (c) a byte changed on the raw disk
VICTIM=usr/share/many/f00042
VICTIM_OBJECT=$(object_of debian/r2 /$VICTIM)
BLOCK=$(debugfs -R "bmap $V2/$VICTIM 0" "$IMG" 2>/dev/null | tail -1)
[[ "$BLOCK" =~ ^[0-9]+$ ]] && [ "$BLOCK" -gt 0 ] || fail "no data block for $VICTIM ($BLOCK)"
log "(c) one byte of $VICTIM changed on the raw disk (block $BLOCK)"
printf 'X' | dd of="$IMG" bs=1 seek=$((BLOCK * 4096 + 3)) conv=notrunc status=none
boot larchtest.cat=/$VICTIM larchtest.fsck=1 larchtest.deploy=debian/r3
expect "verified $V2/usr: "
expect "GUEST: booted r2, larch=$V2"
expect "GUEST: read /$VICTIM: failed: "
assert_contains "$(grep "GUEST: read /$VICTIM" <<<"$CONSOLE")" "Input/output error" "reading the changed file"
expect "GUEST: fsck exit 4"
expect "FSCK: problem: ${VICTIM_OBJECT#/ostree/repo/}"
expect "GUEST: deploy debian/r3 done"
V3=$(default_path)

# --------------------------------------------- boot 7: signed by another key
boot
expect "$V3: verified /usr: commit "
expect "has no valid signature by a key of the initramfs keyring"
expect "GUEST: booted r2, larch="
expect "STATUS: Last boot fell back to 1 (${V2##*/}): default $(short "$V3") is not bootable (verified /usr: commit"

log "PASS ($VERIFIED)"
