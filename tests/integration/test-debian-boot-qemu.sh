#!/bin/bash
# ctest-labels: slow debian-boot
# debian-boot: about 12 minutes on a fresh machine (debootstrap of a base with
# a kernel, two images, four boots under TCG) on top of a package build, more
# than CI's 60-minute budget has left: tools/run-tests.sh leaves it out by
# default; run it with `ctest --test-dir build -L debian-boot` (with
# LARCH_DEBS=DIR to use packages already built, e.g. by check-package.sh).
# test-debian-boot-qemu.sh - a real Debian 12 system with systemd, Larch
# installed as its Debian packages, boots under qemu from a sysroot that
# `larch admin` made (issue 15 item 8). Both initramfs builders Debian
# has are booted: Debian's own update-initramfs with Larch's
# initramfs-tools hook, and dracut with the 90larch module (systemd in the
# initramfs). The test plays the boot loader: each boot takes the default
# BLS entry's kernel, initramfs and options line from the disk (debugfs).
# The guest reports through larch-test-report.service (debian_guest_report.sh)
# on a second disk, read after power-off.
#
#   the base   debootstrap --variant=minbase bookworm with systemd-sysv,
#              linux-image-amd64, initramfs-tools (debian_boot_lib.sh;
#              built once, cached under /var/tmp)
#   releases   v1: the base + the larch and larch-boot packages (apt in a
#              chroot), update-initramfs; v2: v1 with dracut instead of
#              initramfs-tools (dracut --kver); v3: v1 whose health check
#              fails. Committed into the sysroot's store; v1 deployed.
#   boot 1     v1, initramfs-tools: the helper counts the try, systemd
#              runs larch-health.service, then boot-complete.target, then
#              larch-boot-ok.service: good; the guest deploys v2
#   boot 2     v2, dracut (larch-prepare-root.service in the initramfs):
#              the same, good; the guest deploys v3 with one try
#   boot 3     v3: larch-health.service fails, larch-boot-ok.service does
#              not run: v3 stays pending, no try left
#   boot 4     the boot loader still boots v3's entry: the helper (v3's
#              initramfs-tools image) falls back to v2 by itself; v2's
#              health passes; boot-ok records the fallback, and `larch
#              admin status` in the guest shows it and why
#   then       the disk: e2fsck clean, boot-state fell-back
#
# Larch's packages: $LARCH_DEBS (a directory holding larch_*.deb and
# larch-boot_*.deb), else built from this tree (dpkg-buildpackage -us -uc
# -b, cached by the tree's content); skipped when the tree has no debian/.
# LARCH_DEBS=cmake-install (development, until debian/ is on main): `cmake
# --install` of $LARCH's build into the image instead of the packages.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/boot_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/debian_boot_lib.sh"

require_larch
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
for tool in qemu-system-x86_64 mkfs.ext4 debugfs e2fsck python3 dpkg-deb; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (tools/setup.sh installs it)"
done
skip_sanitized_larch

# guest_configure ROOT VERSION: the test's parts of a release: its name,
# the report service (debian_guest_report.sh), a health check that
# passes, and units this test does not need masked (each costs seconds
# under emulation).
guest_configure() {
    local root=$1 u
    mkdir -p "$root/usr/share/larch-test" "$root/etc/larch/health.d" "$root/etc/systemd/system/multi-user.target.wants"
    echo "$2" >"$root/usr/share/larch-test/version"
    install -D -m 755 "$LARCH_SOURCE_DIR/tests/integration/debian_guest_report.sh" "$root/usr/libexec/larch-test/report"
    cat >"$root/etc/systemd/system/larch-test-report.service" <<'UNIT'
[Unit]
Description=Larch test: report this boot to the host, then power off
After=multi-user.target larch-health.service boot-complete.target larch-boot-ok.service

[Service]
Type=oneshot
ExecStart=/usr/libexec/larch-test/report
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
    ln -sf ../larch-test-report.service "$root/etc/systemd/system/multi-user.target.wants/"
    printf '#!/bin/sh\necho "health: %s is fine"\n' "$2" >"$root/etc/larch/health.d/10-app"
    chmod 755 "$root/etc/larch/health.d/10-app"
    for u in getty.target serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
        apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer \
        systemd-firstboot.service systemd-timesyncd.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$u"
    done
    echo larch-test >"$root/etc/hostname"
    echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
}

# image_finish ROOT: no leftovers of the build in the tree to commit
# (device nodes are no content: the guest has devtmpfs).
image_finish() {
    local root=$1
    if mountpoint -q "$root/dev"; then fail "$root/dev is still mounted"; fi
    rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    find "$root/dev" -xdev -mindepth 1 -delete
}

# unit_prop UNIT PROPERTY: PROPERTY of UNIT in the report's UNIT: line.
unit_prop() { grep "^UNIT: $1 " <<<"$REPORT" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# units_in_order: the report shows larch-health.service succeeded, then
# boot-complete.target was reached, then larch-boot-ok.service started and
# succeeded (systemd's monotonic timestamps).
units_in_order() {
    local health target ok u
    for u in larch-health.service boot-complete.target larch-boot-ok.service; do
        assert_eq active "$(unit_prop "$u" ActiveState)" "boot $BOOT: state of $u"
    done
    assert_eq success "$(unit_prop larch-health.service Result)" "boot $BOOT: larch-health.service"
    assert_eq success "$(unit_prop larch-boot-ok.service Result)" "boot $BOOT: larch-boot-ok.service"
    health=$(unit_prop larch-health.service ActiveEnterTimestampMonotonic)
    target=$(unit_prop boot-complete.target ActiveEnterTimestampMonotonic)
    ok=$(unit_prop larch-boot-ok.service InactiveExitTimestampMonotonic)
    [ "$health" -gt 0 ] && [ "$health" -le "$target" ] && [ "$target" -le "$ok" ] ||
        fail "boot $BOOT: not health ($health us) <= boot-complete.target ($target us) <= boot-ok start ($ok us)"
    log "boot $BOOT: larch-health done at $((health / 1000)) ms, boot-complete.target $((target / 1000)) ms, larch-boot-ok started $((ok / 1000)) ms"
    # The same order as the guest's journal tells it (systemd's own messages).
    local finished reached starting
    finished=$(journal_time 'systemd\[1\]: Finished larch-health\.service')
    reached=$(journal_time 'systemd\[1\]: Reached target boot-complete\.target')
    starting=$(journal_time 'systemd\[1\]: Starting larch-boot-ok\.service')
    [ -n "$finished" ] && [ -n "$reached" ] && [ -n "$starting" ] ||
        fail "boot $BOOT: the journal lacks one of: Finished larch-health.service ($finished), Reached target boot-complete.target ($reached), Starting larch-boot-ok.service ($starting)"
    awk -v a="$finished" -v b="$reached" -v c="$starting" 'BEGIN { exit !(a <= b && b <= c) }' ||
        fail "boot $BOOT: journal order is not health finished ($finished s) <= boot-complete.target ($reached s) <= boot-ok starting ($starting s)"
    log "boot $BOOT: journal: larch-health finished ${finished}s, boot-complete.target ${reached}s, larch-boot-ok starting ${starting}s"
}

# journal_time REGEX: the monotonic time (seconds) of the first line of the
# guest's journal (the report's JOURNAL: lines) that matches REGEX.
journal_time() {
    grep '^JOURNAL: ' <<<"$REPORT" | grep -m1 -E -- "$1" | sed -n 's/^JOURNAL: \[ *\([0-9.]*\)\].*/\1/p'
}

phase_start=$SECONDS
PHASES=()
phase() {   # phase NAME: the time since the last phase ends NAME
    PHASES+=("$1 $((SECONDS - phase_start))s")
    log "phase: $1 took $((SECONDS - phase_start))s"
    phase_start=$SECONDS
}

BASE=$(debian_boot_base)
log "base: $BASE"
phase base
if [ "${LARCH_DEBS:-}" = cmake-install ]; then DEBS=cmake-install; else DEBS=$(larch_debs); fi
log "Larch packages: $(cd "$DEBS" 2>/dev/null && echo *.deb)"
phase packages

W=$(tmpdir work)
A=$W/rootfs-v1
cp -a "$BASE/rootfs" "$A"
KVER=$(basename "$(ls -d "$A"/usr/lib/modules/*)")
log "kernel $KVER"

# ------------------------------------------------------------ v1: the image
# What an image builder does, then the test's own parts.
# Only the modules a virtio disk with ext4 needs: a small initramfs boots
# faster under emulation (MODULES=most would put in every driver).
printf 'MODULES=list\n' >"$A/etc/initramfs-tools/conf.d/larch-test"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$A/etc/initramfs-tools/modules"
guest_configure "$A" v1
chroot_mount "$A"
if [ "$DEBS" = cmake-install ]; then   # development only: no packages yet
    DESTDIR=$A cmake --install "$(dirname "$LARCH")/.." --prefix /usr >/dev/null
    rm -rf "$A/usr/etc"   # (grub.d lands in /usr/etc with --prefix /usr)
    install -m 755 "$LARCH" "$A/usr/bin/larch"   # (not installed by cmake on main yet)
    in_chroot "$A" systemctl enable larch-health.service larch-boot-ok.service
else
    apt_install_debs "$A" "$W/apt-v1.log" "$DEBS"/larch_*.deb "$DEBS"/larch-boot_*.deb
fi
for u in larch-health.service larch-boot-ok.service; do
    assert_eq enabled "$(in_chroot "$A" systemctl is-enabled "$u" 2>&1)" "$u after the package install"
done
in_chroot "$A" update-initramfs -u -k "$KVER" >"$W/update-initramfs.log" 2>&1 ||
    { cat "$W/update-initramfs.log" >&2; fail "update-initramfs failed"; }
in_chroot "$A" lsinitramfs "/boot/initrd.img-$KVER" >"$W/initrd-v1.list"
grep -qx 'usr/bin/larch-prepare-root' "$W/initrd-v1.list" ||
    fail "update-initramfs put no larch-prepare-root into the initramfs"
grep -qx 'scripts/local-bottom/larch' "$W/initrd-v1.list" ||
    fail "update-initramfs put no local-bottom/larch into the initramfs"
log "initramfs-tools image: $(stat -c %s "$A/boot/initrd.img-$KVER") bytes"
chroot_umount_all
image_finish "$A"
phase "v1 image (packages, update-initramfs)"

# ------------------------------------------------- v2: the same with dracut
B=$W/rootfs-v2
cp -a "$A" "$B"
guest_configure "$B" v2
# (exclusive driver list: no host detection inside a chroot)
mkdir -p "$B/etc/dracut.conf.d"
printf 'hostonly="no"\nearly_microcode="no"\ndrivers="virtio_pci virtio_blk ext4"\n' >"$B/etc/dracut.conf.d/larch-test.conf"
chroot_mount "$B"
apt_install_debs "$B" "$W/apt-v2.log" "$BASE"/dracut-debs/*.deb
in_chroot "$B" dracut -f --kver "$KVER" "/boot/initrd.img-$KVER" >"$W/dracut.log" 2>&1 ||
    { cat "$W/dracut.log" >&2; fail "dracut failed"; }
in_chroot "$B" lsinitrd "/boot/initrd.img-$KVER" >"$W/initrd-v2.list" 2>&1
grep -q 'usr/bin/larch-prepare-root$' "$W/initrd-v2.list" ||
    fail "dracut put no larch-prepare-root into the initramfs"
grep -q 'larch-prepare-root.service$' "$W/initrd-v2.list" ||
    fail "dracut put no larch-prepare-root.service into the initramfs"
log "dracut image: $(stat -c %s "$B/boot/initrd.img-$KVER") bytes"
chroot_umount_all
image_finish "$B"
phase "v2 image (dracut)"

# ------------------------------------------------ the sysroot and the disk
S=$W/sysroot
new_sysroot "$S" 3
REPO=$S/ostree/repo
larch commit --repo "$REPO" --branch debian/v1 --tree "$A" --version 1 --subject "v1" >/dev/null
larch commit --repo "$REPO" --branch debian/v2 --tree "$B" --version 2 --subject "v2: dracut" >/dev/null
rm -rf "$B"
guest_configure "$A" v3
printf '#!/bin/sh\necho "health: v3 is broken"\nexit 1\n' >"$A/etc/larch/health.d/20-broken"
chmod 755 "$A/etc/larch/health.d/20-broken"
larch commit --repo "$REPO" --branch debian/v3 --tree "$A" --version 3 --subject "v3: broken" >/dev/null
echo >"$W/no-cmdline"
larch admin deploy debian/v1 --sysroot "$S" --cmdline "$W/no-cmdline" >/dev/null
IMG=$W/disk.img
mkfs.ext4 -q -F -L larchroot -d "$S" "$IMG" 3G
log "disk image: $(du -sh "$IMG" | cut -f1) used"
phase "sysroot (commit v1 v2 v3, deploy v1, mkfs.ext4 -d)"

# ------------------------------------------------------------------ boots
SECOND_DISK=$W/report.img
QEMU_MEM=1024 QEMU_SMP=2 QEMU_TIMEOUT=${LARCH_BOOT_TIMEOUT:-300}
export QEMU_MEM QEMU_SMP QEMU_TIMEOUT
BOOT=0
BOOT_TIMES=()
# boot EXTRA-ARGS...: what a boot loader does with the default BLS entry
# (its kernel, its initramfs and its options line) plus EXTRA-ARGS;
# REPORT is what the guest reported.
boot() {
    BOOT=$((BOOT + 1))
    local loader entry opts linux initrd
    loader=$(loader_dir "$IMG")
    entry=$(disk_cat "$IMG" "$loader/entries/larch-debian-0.conf")
    opts=$(sed -n 's/^options //p' <<<"$entry")
    linux=$(sed -n 's/^linux //p' <<<"$entry")
    initrd=$(sed -n 's/^initrd //p' <<<"$entry")
    [ -n "$opts" ] && [ -n "$linux" ] && [ -n "$initrd" ] || fail "boot $BOOT: incomplete default entry: $entry"
    debugfs -R "dump $linux $W/vmlinuz" "$IMG" 2>/dev/null
    debugfs -R "dump $initrd $W/initrd" "$IMG" 2>/dev/null
    # The uncompressed ELF boots through PVH (boot_lib.sh).
    vmlinux_from "$W/vmlinuz" "$W/vmlinux"
    QEMU_KERNEL=$W/vmlinux INITRD=$W/initrd
    rm -f "$SECOND_DISK"
    truncate -s 4M "$SECOND_DISK"
    log "boot $BOOT: $linux $initrd $opts $*"
    qemu_boot "$IMG" "$W/console-$BOOT.log" "$opts $GUEST_ARGS $*"
    REPORT=$(tr -d '\0' <"$SECOND_DISK")
    BOOT_TIMES+=("${BOOT_SECONDS}s")
    log "boot $BOOT took ${BOOT_SECONDS}s"
    if [[ "$REPORT" != *"END: report complete"* ]]; then
        echo "--- the last 100 lines of $W/console-$BOOT.log:" >&2
        tail -n 100 "$W/console-$BOOT.log" >&2
        fail "boot $BOOT: the guest wrote no complete report"
    fi
    grep -E '^(BOOTED|VERSION|MOUNT|UNIT|FAILED|ANALYZE|STATUS|DEPLOY: exit)|larch-prepare-root|larch-health' <<<"$REPORT" >&2 || true
    e2fsck -fn "$IMG" >/dev/null 2>&1 || fail "boot $BOOT: the disk is not clean after the guest powered off"
}
expect() { assert_contains "$REPORT" "$1" "report of boot $BOOT"; }
refuse() { [[ "$REPORT" != *"$1"* ]] || fail "report of boot $BOOT contains '$1': $REPORT"; }
deployment_of() { sed -n 's/.*larch=\([^ ]*\).*/\1/p' <<<"$(boot_options "$IMG")"; }
short() { local n=${1##*/}; printf '%s.%s' "${n:0:12}" "${n##*.}"; }
# A quiet console; the serial console for the log; nothing waits for a
# terminal.
GUEST_ARGS="console=ttyS0 quiet loglevel=3 systemd.show_status=error panic=-1"

V1=$(deployment_of)
boot larchtest.deploy=debian/v2
expect "BOOTED: $V1"
expect "VERSION: v1"
expect "pending: booting it, 2 tries left after this boot"
expect "MOUNT: /usr ro"
expect "MOUNT: /sysroot"
expect "INIT: /usr/lib/systemd/systemd"
units_in_order
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${V1##*/}, good"
expect "DEPLOY: exit 0"
refuse "ordering cycle"

V2=$(deployment_of)
[ "$V2" != "$V1" ] || fail "the guest's deploy did not change the default entry"
boot larchtest.deploy=debian/v3 larchtest.tries=1
expect "BOOTED: $V2"
expect "VERSION: v2"
expect "larch-prepare-root.service"
expect "pending: booting it, 2 tries left after this boot"
units_in_order
expect "STATUS: Boot: default ${V2##*/}, good"
expect "DEPLOY: exit 0"
refuse "ordering cycle"

V3=$(deployment_of)
assert_contains "$(boot_state "$IMG")" "tries-left=1"
boot
expect "BOOTED: $V3"
expect "VERSION: v3"
expect "0 tries left after this boot"
expect "larch-health: check 20-broken FAILED"
assert_eq failed "$(unit_prop larch-health.service ActiveState)" "boot $BOOT: larch-health.service"
assert_eq inactive "$(unit_prop larch-boot-ok.service ActiveState)" "boot $BOOT: larch-boot-ok.service (never started)"
expect "STATUS: Boot: default ${V3##*/}, pending, 0 tries left"

assert_eq "$V3" "$(deployment_of)" "the boot loader still boots v3's entry"
boot
expect "default $(short "$V3") was not marked good within its boot tries: falling back to $(short "$V2")"
expect "BOOTED: $V2"
expect "VERSION: v2"
units_in_order
expect "STATUS: * 1 debian 2 (booted)"
expect "STATUS: Boot: default ${V3##*/}, fell-back"
expect "STATUS: Last boot fell back to 1 (${V2##*/}): default $(short "$V3") was not marked good within its boot tries"

STATE=$(boot_state "$IMG")
assert_contains "$STATE" "status=fell-back"
assert_contains "$STATE" "default=$V3"
assert_contains "$STATE" "fallback=$V2"
phase "boots"
log "boots: ${BOOT_TIMES[*]}"
log "phases: $(IFS=';'; echo "${PHASES[*]}")"
log "PASS in ${SECONDS}s"
