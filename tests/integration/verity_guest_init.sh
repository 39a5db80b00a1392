#!/bin/sh
# verity_guest_init.sh - /sbin/init of the releases test-verity-qemu.sh
# boots (installed by build_rootfs in boot_lib.sh, GUEST_INIT). Runs the
# health checks the way larch-health.service would, prints `larch admin
# status` ("STATUS: ..."), does what larchtest.* on the kernel command line
# asks, and powers off cleanly:
#   larchtest.deploy=REF[,REF...]  larch admin deploy each, in order
#   larchtest.sealed-file=TEXT     a file sealed with fs-verity on the
#                                  sysroot's filesystem, holding TEXT: the
#                                  one file object of a new bare store with
#                                  verity=required (/sysroot/sealed-store);
#                                  "GUEST: sealed file PATH" names it
#   larchtest.cat=PATH             read PATH (inside the deployment); say
#                                  how it went
#   larchtest.fsck=1               larch fsck of the sysroot's store
# shellcheck source=guest_lib.sh
. /usr/share/larch-test/guest_lib.sh

/usr/libexec/larch/larch-health
say "health exit $?"
larch admin status | sed 's/^/STATUS: /'

refs=$(arg larchtest.deploy)
for ref in $(echo "$refs" | tr ',' ' '); do
    larch admin deploy "$ref" --sysroot /sysroot 2>&1 | tail -n 3 | sed 's/^/DEPLOY: /'
    say "deploy $ref done"
done
text=$(arg larchtest.sealed-file)
if [ -n "$text" ]; then
    mkdir -p /tmp/sealed/usr
    echo "$text" >/tmp/sealed/usr/file
    larch init --repo /sysroot/sealed-store --mode bare >/dev/null
    echo "verity=required" >>/sysroot/sealed-store/config
    larch commit --repo /sysroot/sealed-store --branch sealed --tree /tmp/sealed >/dev/null 2>&1
    say "sealed commit exit $?"
    for f in /sysroot/sealed-store/objects/*/*.file; do
        say "sealed file ${f#/sysroot}"
    done
fi
path=$(arg larchtest.cat)
if [ -n "$path" ]; then
    if cat "$path" >/dev/null 2>/tmp/cat.err; then
        say "read $path: ok"
    else
        say "read $path: failed: $(cat /tmp/cat.err)"
    fi
fi
if [ "$(arg larchtest.fsck)" = 1 ]; then
    larch fsck --repo /sysroot/ostree/repo >/tmp/fsck.out 2>&1
    say "fsck exit $?"
    sed 's/^/FSCK: /' /tmp/fsck.out
fi
sync
mount -o remount,ro /sysroot || say "remounting /sysroot read-only failed"
say "powering off"
poweroff -f
