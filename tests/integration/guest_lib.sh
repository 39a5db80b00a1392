# shellcheck shell=sh
# guest_lib.sh - the start every guest init script of the qemu tests shares
# (boot_guest_init.sh, ota_guest_init.sh). build_rootfs (boot_lib.sh)
# installs it as /usr/share/larch-test/guest_lib.sh; an init sources it
# first: the file systems an init mounts, say (a "GUEST: ..." console
# line), arg NAME (the value of NAME= on the kernel command line), and
# $version (the release's name), said with larch= as the first line.
export PATH=/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -e /sys/kernel ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

say() { echo "GUEST: $*"; }
arg() {
    v=""
    for w in $(cat /proc/cmdline); do
        case "$w" in "$1="*) v=${w#*=} ;; esac
    done
    echo "$v"
}
version=$(cat /usr/share/larch-test/version)
say "booted $version, larch=$(arg larch)"
