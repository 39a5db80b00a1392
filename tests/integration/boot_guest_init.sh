#!/bin/sh
# boot_guest_init.sh - /sbin/init of the guest systems test-boot-qemu.sh
# boots (installed by build_rootfs in boot_lib.sh). Reports on the console,
# each line "GUEST: ...", what the test checks, runs the health checks the
# way larch-health.service would, then does what larchtest.* on the kernel
# command line asks, and powers off cleanly.
# shellcheck source=guest_lib.sh
. /usr/share/larch-test/guest_lib.sh
say "pid $$; /sysroot/ostree has $(ls /sysroot/ostree | tr '\n' ' ')"

if touch /usr/.probe 2>/dev/null; then
    rm -f /usr/.probe
    say "usr is writable"
else
    say "usr is read-only"
fi
mkdir -p /var/lib/larch-test
say "var before: $(tr '\n' ' ' </var/lib/larch-test/boots 2>/dev/null)"
echo "$version" >>/var/lib/larch-test/boots
say "etc motd: $(tr '\n' '|' </etc/motd)"
say "etc release: $(cat /etc/larch-test-release)"

if [ -f /usr/share/larch-test/dies-on-second-try ] && [ -f "/var/lib/larch-test/tried-$version" ]; then
    say "init of $version dies"
    sync
    exit 1
fi
touch "/var/lib/larch-test/tried-$version"

/usr/libexec/larch/larch-health
say "health exit $?"
# What runs, by the inode of "/" (after a fallback larch= names the default):
# larch-health's shell lookup, then larch's own (no --sysroot, no --cmdline:
# inside a deployment larch opens /sysroot and asks "/" which one it is).
if booted=$(/usr/libexec/larch/larch-health --booted); then
    say "running deployment: $booted"
    larch admin status | sed 's/^/STATUS: /'
    larch admin history | grep ' boot ' | head -3 | sed 's/^/HISTORY: /'
else
    say "running deployment: unknown"
fi

if [ "$(arg larchtest.edit-etc)" = 1 ]; then
    echo "user line" >>/etc/motd
    say "edited /etc/motd"
fi
ref=$(arg larchtest.deploy)
if [ -n "$ref" ]; then
    tries=$(arg larchtest.tries)
    larch admin deploy "$ref" --sysroot /sysroot ${tries:+--tries "$tries"}
    say "deploy exit $?"
fi
sync
if grep -q ' /sysroot/boot ' /proc/mounts; then
    mount -o remount,ro /sysroot/boot || say "remounting /sysroot/boot read-only failed"
fi
mount -o remount,ro /sysroot || say "remounting /sysroot read-only failed"
say "powering off"
poweroff -f
