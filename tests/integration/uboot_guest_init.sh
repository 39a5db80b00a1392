#!/bin/sh
# uboot_guest_init.sh - /sbin/init of the ARM64 guest systems
# test-uboot-arm64-qemu.sh boots through U-Boot (installed by build_rootfs
# in boot_lib.sh). Mounts the FAT boot partition (/dev/vda1, where U-Boot's
# boot.cmd keeps its boot counter, named in /etc/fw_env.config) and the
# updates partition (/dev/vda3, the USB stick), reports on the console
# ("GUEST: ..." lines, the counter as Linux reads it), runs the health
# checks the way larch-health.service would (boot-ok resets U-Boot's
# counter with fw_setenv), then does what larch-test-action on the boot
# partition says (the test writes it between boots: "upgrade FILE" applies
# a bundle from the updates partition and deploys it), and powers off.
# shellcheck source=guest_lib.sh
. /usr/share/larch-test/guest_lib.sh
for m in fat vfat nls_cp437 nls_ascii; do
    insmod "/usr/lib/larch-test/modules/$m.ko" || say "insmod $m failed"
done
mkdir -p /run/boot /run/updates
mount -t vfat /dev/vda1 /run/boot || say "mounting the boot partition failed"
mount -t ext4 -o ro /dev/vda3 /run/updates || say "mounting the updates partition failed"
say "uboot counter before health: $(fw_printenv larch_for larch_left 2>&1 | tr '\n' ' ')"

/usr/libexec/larch/larch-health
say "health exit $?"
say "uboot counter after health: $(fw_printenv larch_for larch_left 2>&1 | tr '\n' ' ')"
if booted=$(/usr/libexec/larch/larch-health --booted); then
    say "running deployment: $booted"
fi
larch admin status | sed 's/^/STATUS: /'
echo "JSON: $(larch admin status --json | tr -d '\n')"
larch admin history | grep ' boot ' | head -3 | sed 's/^/HISTORY: /'

action=$(cat /run/boot/larch-test-action 2>/dev/null)
case "$action" in
    upgrade\ *)
        # The remote the host set up names the host's keyring: this system
        # trusts the keyring its release ships.
        larch remote add --repo /sysroot/ostree/repo origin file:///run/updates --replace \
            --keyring /usr/share/larch/keyrings/origin --compatible board-arm64
        larch admin upgrade --bundle "/run/updates/${action#upgrade }" >/tmp/upgrade.log 2>&1
        rc=$?
        sed 's/^/UPGRADE: /' /tmp/upgrade.log
        say "upgrade exit $rc"
        ;;
esac
sync
umount /run/boot || say "unmounting the boot partition failed"
umount /run/updates
mount -o remount,ro /sysroot || say "remounting /sysroot read-only failed"
say "powering off"
poweroff -f
