#!/bin/bash
# ctest-labels: slow
# test-boot-qemu.sh - end to end: a real Debian kernel (the package,
# extracted, not installed) boots under qemu, with an initramfs holding
# larch-prepare-root, from an ext4 disk image whose sysroot `larch admin`
# made, with real commits of a small busybox system. One boot after
# another; the test plays the boot loader (it boots the default BLS
# entry's options line, read from the disk) and reads the outcome from the
# guest console and from the disk (debugfs, e2fsck).
#
#   boot 1  v1 (deployed on the host): counted, health passes, boot-ok;
#           the user edits /etc/motd, writes /var; the guest deploys v2
#   boot 2  v2: /etc keeps the user's line, /var persists, /usr is
#           read-only; health passes, marked good, stays the default;
#           the guest deploys v3 (broken) with 2 tries
#   boot 3  v3, try 1: its health check fails: stays pending
#   boot 4  v3, try 2: its init dies (kernel panic)
#   boot 5  tries used up: the helper boots v2 on its own and records
#           why; v2's health passes; `larch admin status` shows the
#           fallback and its reason
#   then    the disk: e2fsck clean, boot-state fell-back with the reason
#   boot 6  a second sysroot whose /boot is a partition of its own
#           (larch.boot=/dev/vdb): the helper mounts it, counts the try
#           there, and boot-ok in the guest writes through it
# Boots 1-4 exercise larch-prepare-root as PID 1 (switching root itself),
# boot 5 as a step of /init followed by busybox switch_root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/boot_lib.sh"

boot_test_setup
log "kernel $KVER from $KDIR"

W=$(tmpdir work)
INITRD=$W/initramfs.img
build_initramfs "$INITRD"
log "initramfs: $(stat -c %s "$INITRD") bytes"

S=$W/sysroot
new_sysroot "$S" 3
REPO=$S/ostree/repo
for v in v1 v2 v3; do
    health=ok dies=""
    [ "$v" = v3 ] && health=fail dies=dies
    build_rootfs "$W/rootfs-$v" "$v" "$health" $dies
    "$LARCH" --repo "$REPO" commit --branch "debian/$v" --tree "$W/rootfs-$v" --version "${v#v}" \
        --subject "test system $v" >/dev/null
done
echo >"$W/no-cmdline"
larch admin deploy debian/v1 --sysroot "$S" --cmdline "$W/no-cmdline" >/dev/null
# For boot 6, before any boot changes it: the same sysroot with /boot on a
# partition of its own.
S2=$W/sysroot2
cp -a "$S" "$S2"
mkdir "$W/bootpart"
mv "$S2"/boot/* "$W/bootpart/"
IMG=$W/disk.img
mkfs.ext4 -q -F -L larchroot -d "$S" "$IMG" 256M
log "disk image: $(du -h --apparent-size "$IMG" | cut -f1) ($(du -sh "$IMG" | cut -f1) used)"

BOOT=0
TOTAL_BOOT_SECONDS=0
HELPER_MS=()
# boot EXTRA-ARGS...: boot the default entry; the console lands in
# $W/console-N.log and $CONSOLE.
boot() {
    BOOT=$((BOOT + 1))
    local opts
    if [ -n "${BOOT_OPTIONS_FROM:-}" ]; then
        opts=$(boot_options "$BOOT_OPTIONS_FROM" "")
    else
        opts=$(boot_options "$IMG")
    fi
    [ -n "$opts" ] || fail "no options in the default boot entry"
    log "boot $BOOT: $opts $*"
    qemu_boot "$IMG" "$W/console-$BOOT.log" "$opts console=ttyS0 panic=-1 $*"
    CONSOLE=$(tr -d '\r' <"$W/console-$BOOT.log")
    TOTAL_BOOT_SECONDS=$((TOTAL_BOOT_SECONDS + BOOT_SECONDS))
    local ms
    ms=$(sed -n 's/.*larch-prepare-root: done in \([0-9]*\) ms.*/\1/p' <<<"$CONSOLE" | head -1)
    [ -n "$ms" ] || { printf '%s\n' "$CONSOLE" >&2; fail "boot $BOOT: the helper reported no run time"; }
    HELPER_MS+=("$ms")
    log "boot $BOOT took ${BOOT_SECONDS}s; larch-prepare-root ran ${ms} ms"
    grep -E 'larch-prepare-root:|GUEST:|STATUS:|larch-health:|Kernel panic' <<<"$CONSOLE" >&2 || true
}
short() { local n=${1##*/}; printf '%s.%s' "${n:0:12}" "${n##*.}"; }   # as the helper names it
expect() {   # expect NEEDLE: the console of the last boot says NEEDLE
    assert_contains "$CONSOLE" "$1" "console of boot $BOOT"
}
V1=$(boot_options "$IMG" | sed -n 's/.*larch=\([^ ]*\).*/\1/p')

# --------------------------------------------------------------- boot 1
boot larchtest.edit-etc=1 larchtest.deploy=debian/v2
expect "GUEST: booted v1, larch=$V1"
expect "default $(short $V1)"
expect "pending: booting it, 2 tries left after this boot"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${V1##*/}, good"
expect "GUEST: usr is read-only"
expect "GUEST: edited /etc/motd"
expect "GUEST: deploy exit 0"
expect "GUEST: powering off"
e2fsck -fn "$IMG" >/dev/null 2>&1 || fail "boot 1: the disk is not clean after the guest powered off"

# --------------------------------------------------------------- boot 2
V2=$(boot_options "$IMG" | sed -n 's/.*larch=\([^ ]*\).*/\1/p')
[ "$V2" != "$V1" ] || fail "the guest's deploy did not change the default entry"
assert_contains "$(boot_state "$IMG")" "default=$V2"
assert_contains "$(boot_state "$IMG")" "fallback=$V1"
boot larchtest.deploy=debian/v3 larchtest.tries=2
expect "GUEST: booted v2, larch=$V2"
expect "GUEST: usr is read-only"
expect "GUEST: var before: v1"
expect "GUEST: etc motd: welcome|user line|"
expect "GUEST: etc release: v2"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${V2##*/}, good"
expect "GUEST: deploy exit 0"

# ----------------------------------------------------- boots 3 and 4: v3
V3=$(boot_options "$IMG" | sed -n 's/.*larch=\([^ ]*\).*/\1/p')
assert_contains "$(boot_state "$IMG")" "tries-left=2"
boot
expect "GUEST: booted v3"
expect "1 tries left after this boot"
expect "larch-health: check 10-app FAILED"
expect "the deployment stays pending"
expect "STATUS: Boot: default ${V3##*/}, pending, 1 tries left"
boot
expect "0 tries left after this boot"
expect "GUEST: init of v3 dies"
expect "Kernel panic"

# --------------------------------------------- boot 5: the helper falls back
assert_eq "$V3" "$(boot_options "$IMG" | sed -n 's/.*larch=\([^ ]*\).*/\1/p')" "the boot loader still boots v3's entry"
boot larch.switch=initramfs
expect "default $(short $V3) was not marked good within its boot tries: falling back to $(short $V2)"
expect "boot-state written: status=fell-back"
expect "GUEST: booted v2, larch=$V3"
expect "GUEST: running deployment: $V2"
expect "GUEST: var before: v1 v2 v3 v3"
expect "larch-health: all health checks passed"
expect "Running the fallback $V2: the default failed to boot"
expect "STATUS: * 1 debian 2 (booted)"
expect "STATUS: Boot: default ${V3##*/}, fell-back"
expect "STATUS: Last boot fell back to 1 (${V2##*/}): default $(short $V3) was not marked good within its boot tries"
expect "GUEST: usr is read-only"
assert_contains "$(grep 'HISTORY: .* boot fell-back' <<<"$CONSOLE")" \
    "$V2: default $(short $V3) was not marked good within its boot tries" "boot outcome in larch admin history"

# --------------------------------------------------------------- the disk
e2fsck -fn "$IMG" >/dev/null 2>&1 || fail "the disk is not clean after the last boot"
STATE=$(boot_state "$IMG")
log "boot-state on disk:"$'\n'"$STATE"
assert_contains "$STATE" "status=fell-back"
assert_contains "$STATE" "reason=default $(short $V3) was not marked good within its boot tries"
assert_contains "$(disk_cat "$IMG" "/ostree/deploy/debian/var/lib/larch-test/boots" | tr '\n' ' ')" "v1 v2 v3 v3 v2"

# ------------------------------------- boot 6: a separate /boot partition
IMG=$W/root2.img
SECOND_DISK=$W/boot2.img
mkfs.ext4 -q -F -L larchroot2 -d "$S2" "$IMG" 256M
mkfs.ext4 -q -F -L larchboot -d "$W/bootpart" "$SECOND_DISK" 64M
V1B=$(boot_options "$SECOND_DISK" "" | sed -n 's/.*larch=\([^ ]*\).*/\1/p')
assert_eq "$V1" "$V1B" "the default of the second sysroot"
BOOT_OPTIONS_FROM=$SECOND_DISK
boot larch.boot=/dev/vdb
expect "mounted the boot partition /dev/vdb (ext4) on /sysroot/boot"
expect "boot-state written: status=pending tries-left=2"
expect "GUEST: booted v1, larch=$V1"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${V1##*/}, good"
e2fsck -fn "$SECOND_DISK" >/dev/null 2>&1 || fail "the boot partition is not clean after the guest powered off"
assert_contains "$(boot_state "$SECOND_DISK" "")" "status=good"

log "boots: $BOOT, ${TOTAL_BOOT_SECONDS}s in qemu; larch-prepare-root run times (ms): ${HELPER_MS[*]}"
log "larch-prepare-root: $(strip -o "$W/helper" "$HELPER" && stat -c %s "$W/helper") bytes stripped"
log "PASS in ${SECONDS}s"
