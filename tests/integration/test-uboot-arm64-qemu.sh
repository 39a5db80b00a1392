#!/bin/bash
# ctest-labels: slow arm64
# test-uboot-arm64-qemu.sh - the over-the-air cycle on ARM64 through real
# U-Boot (issue 21). Debian's qemu_arm64 U-Boot (u-boot-qemu) is the
# firmware of qemu-system-aarch64 -M virt; its distro boot runs Larch's
# boot.scr (initramfs/uboot/boot.cmd, compiled here with mkimage) from the
# FAT boot partition; the script reads the uEnv.txt `larch admin` writes
# and counts the default's boots in its own CRC-protected environment file
# on that partition. Debian's arm64 kernel boots a small arm64 busybox
# system with the cross-built larch (tools/cross/) from a sysroot that
# `larch admin` made on the host; inside the guest, `larch admin upgrade
# --bundle` installs each release from the "updates" partition (the USB
# stick) and larch-health's boot-ok resets U-Boot's counter with fw_setenv.
# Each boot is one qemu run (-no-reboot); the test reads the console, the
# counter (fw_printenv) and the disk between boots.
#
#   boot 1     v1 (made on the host): good; the counter reset by boot-ok;
#              v2 installed from its bundle
#   boots 2-3  the power is cut while U-Boot saves the counter (qemu
#              killed as the script says it is about to, and 20 ms later):
#              the FAT partition stays consistent; the counter file holds
#              the old value, the new one, or fails its CRC; then
#   boot 4     comes up on v2, which is marked good
#   boot 5     the counter file corrupted on the host: the script says so,
#              counts afresh, v2 boots; v3 installed
#   boots 6-8  v3's initramfs is broken: its kernel panics before the
#              helper runs; U-Boot counts 3 boots (boot-tries 2, + 1)
#   boot 9     U-Boot boots v2 by itself, with larch.loader-fallback=;
#              the helper records why; `larch admin status` in the guest
#              shows it; v4 installed
#   boots 10-11 v4's health check fails: pending, U-Boot and the helper
#              both count
#   boot 12    the helper's tries ran out first: it boots v2, and says why
# After every boot the sysroot partition passes e2fsck and the FAT
# partition fsck.fat.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=boot_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/boot_lib.sh"
# shellcheck source=uboot_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/uboot_lib.sh"

arm64_setup
log "arm64 kernel $KVER from $KDIR; U-Boot $UBOOT_BIN; guest larch $GUEST_LARCH"

W=$(tmpdir work)
INITRD=$W/initramfs.img
build_initramfs "$INITRD"
# A broken release: its initramfs's /init exits, so the kernel panics
# ("Attempted to kill init") before larch-prepare-root ever runs.
BROKEN=$(tmpdir)
mkdir -p "$BROKEN/bin"
cp "$BUSYBOX" "$BROKEN/bin/busybox"
printf '#!/bin/busybox sh\necho "v3 initramfs: /init exits"\nexit 1\n' >"$BROKEN/init"
chmod 755 "$BROKEN/init"
(cd "$BROKEN" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$W/broken-initramfs.img"

SRV=$W/server RING=$W/keyring UPD=$W/updates
mkdir -p "$RING" "$UPD"
larch key generate -o "$W/k1" >/dev/null
cp "$W/k1.pub" "$RING/"

# ------------------------------------------------------------ releases
# release DIR VERSION HEALTH [broken]: build_rootfs's system with this
# test's init, fw_setenv/fw_printenv, their /etc/fw_env.config naming the
# counter's file, and the FAT modules.
release() {
    local dir=$1 m
    GUEST_INIT=uboot_guest_init.sh build_rootfs "$dir" "$2" "$3"
    copy_arm64_tool "$KDIR/fw_setenv" usr/bin/fw_setenv "$dir"
    copy_arm64_tool "$KDIR/fw_printenv" usr/bin/fw_printenv "$dir"
    echo "/run/boot/larch-boot.env 0x0 0x2000" >"$dir/etc/fw_env.config"
    mkdir -p "$dir/usr/share/larch/keyrings/origin"
    cp "$RING/k1.pub" "$dir/usr/share/larch/keyrings/origin/"
    mkdir -p "$dir/usr/lib/larch-test/modules"
    for m in "${ARM64_FAT_MODULES[@]}"; do cp "$KDIR/modules/${m##*/}" "$dir/usr/lib/larch-test/modules/"; done
    [ "${4:-}" != broken ] || cp "$W/broken-initramfs.img" "$dir/usr/lib/modules/$KVER/initramfs.img"
}
release "$W/v1" v1 ok
release "$W/v2" v2 ok
release "$W/v3" v3 ok broken
release "$W/v4" v4 fail

larch init --repo "$SRV" --mode archive >/dev/null
commit_release() {   # commit_release TREE VERSION: prints the signed commit
    local c
    c=$(larch commit --repo "$SRV" --branch os/stable --tree "$1" --version "$2" --metadata compatible=board-arm64)
    larch sign --repo "$SRV" "$c" -k "$W/k1.key" >/dev/null
    larch summary --repo "$SRV" --update -k "$W/k1.key" >/dev/null
    echo "$c"
}
C1=$(commit_release "$W/v1" 1)
log "publisher: v1 $C1"

# ------------------------------------------------------------- the device
S=$W/sysroot
new_sysroot "$S" 2
printf 'kernel-args=console=ttyAMA0 root=/dev/vda2 rw panic=1 larch.shell=0\nboot-tries=2\nbootloader=uboot\n' \
    >"$S/ostree/larch.conf"
DEV=$S/ostree/repo
larch remote add --repo "$DEV" origin "file://$SRV" --keyring "$RING" --compatible board-arm64
larch pull --repo "$DEV" origin os/stable >/dev/null
echo >"$W/no-cmdline"
larch admin deploy origin:os/stable --sysroot "$S" --cmdline "$W/no-cmdline" >/dev/null

C2=$(commit_release "$W/v2" 2)
C3=$(commit_release "$W/v3" 3)
C4=$(commit_release "$W/v4" 4)
larch bundle create --repo "$SRV" --from "$C1" --to "$C2" --sign-key "$W/k1.key" -q "$UPD/v2.bundle"
larch bundle create --repo "$SRV" --from "$C2" --to "$C3" --sign-key "$W/k1.key" -q "$UPD/v3.bundle"
larch bundle create --repo "$SRV" --from "$C2" --to "$C4" --sign-key "$W/k1.key" -q "$UPD/v4.bundle"
log "bundles: $(cd "$UPD" && du -b ./*.bundle | tr '\n\t' '  ')"

mkdir -p "$W/bootfat"
mkimage -A arm64 -T script -C none -n "larch boot" -d "$LARCH_SOURCE_DIR/initramfs/uboot/boot.cmd" \
    "$W/bootfat/boot.scr" >/dev/null
echo "upgrade v2.bundle" >"$W/bootfat/larch-test-action"
IMG=$W/disk.img
make_uboot_disk "$IMG" "$W/bootfat" "$S" "$UPD"
FLASH=$W/flash.img
head -c 64M /dev/zero | tr '\0' '\377' >"$FLASH"
log "disk: $(du -h --apparent-size "$IMG" | cut -f1) ($(du -sh "$IMG" | cut -f1) used); U-Boot's own environment flash $FLASH"

# ---------------------------------------------------------------- boots
BOOT=0
# boot_start: power on; the console is $W/console-N.log. boot_end waits
# for the end, boot_cut cuts the power; both set CONSOLE and show the
# lines the test reads.
boot_start() {
    BOOT=$((BOOT + 1))
    log "boot $BOOT"
    uboot_start "$IMG" "$FLASH" "$W/console-$BOOT.log"
}
boot_done() {
    CONSOLE=$(tr -d '\r' <"$W/console-$BOOT.log")
    log "boot $BOOT took ${BOOT_SECONDS}s"
    grep -E '^larch: |larch-prepare-root:|GUEST:|STATUS:|UPGRADE:|HISTORY:|Kernel panic - not syncing' <<<"$CONSOLE" >&2 || true
    disks_clean
}
boot_end() { QEMU_TIMEOUT=300 qemu_wait; boot_done; }
boot_cut() { qemu_kill; boot_done; }
boot() { boot_start; boot_end; }
expect() { assert_contains "$CONSOLE" "$1" "console of boot $BOOT"; }
expect_not() {
    if grep -qF -- "$1" <<<"$CONSOLE"; then fail "console of boot $BOOT: unexpected '$1'"; fi
}
disks_clean() {
    disk_sysroot "$IMG" "$W/p2.img"
    e2fsck -fn "$W/p2.img" >"$W/e2fsck.log" 2>&1 || { cat "$W/e2fsck.log" >&2; fail "boot $BOOT: the sysroot is not clean"; }
    dd if="$IMG" of="$W/p1.img" bs=1M skip=1 count=32 status=none
    fsck.fat -n "$W/p1.img" >"$W/fsck-fat.log" 2>&1 || { cat "$W/fsck-fat.log" >&2; fail "boot $BOOT: the FAT boot partition is not clean"; }
}
action() { echo "$1" >"$W/action"; disk_fat_put "$IMG" "$W/action" larch-test-action; }
status_json() {
    grep '^JSON: ' <<<"$CONSOLE" | tail -n 1 | sed 's/^JSON: //' |
        python3 -c 'import json, sys; s = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
default_name() {   # the default uEnv.txt names (larch_default), read from the disk
    disk_sysroot "$IMG" "$W/p2.img"
    debugfs -R "cat /boot/$(debugfs -R 'stat /boot/loader' "$W/p2.img" 2>/dev/null |
        sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')/uEnv.txt" "$W/p2.img" 2>/dev/null | sed -n 's/^larch_default=//p'
}
name_of() { echo "$1.0"; }   # each release is deployed once: serial 0

D1=$(default_name)
assert_eq "$(name_of "$C1")" "$D1" "uEnv.txt's default after the host's deploy"

log "=== boot 1: v1, marked good, v2 installed from the updates partition"
boot
expect "larch: booting default $D1, 2 boot-loader tries left after this one"
expect "larch: boot counter saved"
expect "GUEST: booted v1"
expect "GUEST: health exit 0"
expect "GUEST: uboot counter after health: larch_for=$D1 larch_left=3"
expect "GUEST: upgrade exit 0"
D2=$(default_name)
assert_eq "$(name_of "$C2")" "$D2" "the new default after the upgrade"
assert_eq "$D1 3" "$(uboot_counter "$IMG")" "the counter after boot 1"

log "=== boots 2-3: the power is cut while U-Boot saves the counter"
# Twice, at two moments: as the script says it is about to save, and 20 ms
# later. v2 has 3 U-Boot tries: two cuts leave it one.
action none
LEFT=3
for delay in 0 0.02; do
    boot_start
    await "larch: booting default $D2"
    sleep "$delay"
    boot_cut
    expect_not "GUEST:"
    COUNTER=$(uboot_counter "$IMG")
    log "after the cut ($delay s after the line) the counter file reads: $COUNTER"
    case "$COUNTER" in
        "$D1 3" | "$D2 $LEFT" | "$D2 $((LEFT - 1))" | unreadable) ;;
        *) fail "the counter after a power cut is neither the old nor the new value nor unreadable: $COUNTER" ;;
    esac
    [ "$COUNTER" != "$D2 $((LEFT - 1))" ] || LEFT=$((LEFT - 1))
done

log "=== boot 4: a good deployment comes up"
boot
expect "GUEST: booted v2"
expect "GUEST: health exit 0"
expect "GUEST: uboot counter after health: larch_for=$D2 larch_left=3"
assert_eq "good" "$(status_json 's["boot"]["status"]')" "v2 marked good"

log "=== boot 5: the counter file corrupted: the script counts afresh"
disk_fat_get "$IMG" larch-boot.env "$W/env"
printf 'garbage' | dd of="$W/env" bs=1 seek=100 conv=notrunc status=none
disk_fat_put "$IMG" "$W/env" larch-boot.env
assert_eq unreadable "$(uboot_counter "$IMG")" "the corrupted counter file"
action "upgrade v3.bundle"
boot
expect "larch: larch-boot.env is corrupt (bad CRC): counting afresh"
expect "larch: booting default $D2, 2 boot-loader tries left after this one"
expect "GUEST: booted v2"
expect "GUEST: health exit 0"
expect "GUEST: upgrade exit 0"
D3=$(default_name)
assert_eq "$(name_of "$C3")" "$D3" "v3 is the default"

log "=== boots 6-8: v3's kernel panics; U-Boot counts"
action none
for left in 2 1 0; do
    boot
    expect "larch: booting default $D3, $left boot-loader tries left after this one"
    expect "Kernel panic - not syncing"
    expect_not "larch-prepare-root:"
    assert_eq "$D3 $left" "$(uboot_counter "$IMG")" "the counter after boot $BOOT"
done

log "=== boot 9: U-Boot boots v2 by itself; the guest says why"
action "upgrade v4.bundle"
boot
expect "larch: default $D3 used up its boot-loader tries: booting the fallback"
expect "larch.loader-fallback=$D3"
expect "the boot loader gave up on default ${D3:0:12}.0"
expect "GUEST: booted v2"
expect "GUEST: running deployment: /ostree/deploy/debian/deploy/$D2"
assert_eq "$D3 0" "$(uboot_counter "$IMG")" "the counter stays spent on the fallback"
assert_eq "fell-back" "$(status_json 's["boot"]["status"]')" "boot-state status after U-Boot's fallback"
REASON=$(status_json 's["boot"]["reason"]')
assert_contains "$REASON" "the boot loader gave up on default ${D3:0:12}.0" "the reason status shows"
expect "STATUS:"
assert_contains "$(grep '^STATUS:' <<<"$CONSOLE")" "boot loader gave up" "admin status in the guest"
expect "GUEST: upgrade exit 0"
D4=$(default_name)
assert_eq "$(name_of "$C4")" "$D4" "v4 is the default"

log "=== boots 10-12: v4's health check fails; the helper gives up first"
action none
for left in 2 1; do
    boot
    expect "larch: booting default $D4, $left boot-loader tries left after this one"
    expect "GUEST: booted v4"
    expect "GUEST: health exit 1"
done
boot
expect "larch: booting default $D4, 0 boot-loader tries left after this one"
expect "not marked good within its boot tries"
expect "GUEST: booted v2"
assert_eq "fell-back" "$(status_json 's["boot"]["status"]')" "boot-state after the helper's fallback"
assert_contains "$(status_json 's["boot"]["reason"]')" "${D4:0:12}.0 was not marked good within its boot tries" "the helper's reason"
assert_eq "/ostree/deploy/debian/deploy/$D2" "$(status_json 's["booted"]')" "booted (status --json)"
assert_contains "$(grep '^HISTORY:' <<<"$CONSOLE")" "fell-back" "admin history in the guest"
log "ok: $BOOT boots"
