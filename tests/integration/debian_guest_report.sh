#!/bin/sh
# debian_guest_report.sh - the guest side of test-debian-boot-qemu.sh,
# installed as /usr/libexec/larch-test/report and run by
# larch-test-report.service once larch-health.service and
# larch-boot-ok.service are done (or given up): writes what the test checks
# as "KEY: ..." lines to the second disk (/dev/vdb, read by the host after
# power-off) and to the console, does what larchtest.* on the kernel
# command line asks, and powers off.
#   larchtest.deploy=REF   larch admin deploy REF (a local ref of the store)
#   larchtest.tries=N      ... with --tries N
out=/run/larch-test-report
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }   # the last NAME= counts
prefix() { sed "s/^/$1: /"; }

{
    echo "CMDLINE: $(cat /proc/cmdline)"
    echo "BOOTED: $(/usr/libexec/larch/larch-health --booted 2>&1)"
    echo "VERSION: $(cat /usr/share/larch-test/version)"
    echo "INIT: $(readlink /proc/1/exe)"
    findmnt -nr -o TARGET,OPTIONS / | prefix MOUNT
    findmnt -nr -o TARGET,OPTIONS /usr | prefix MOUNT
    findmnt -nr -o TARGET /sysroot | prefix MOUNT
    findmnt -nr -o TARGET /var | prefix MOUNT
    for u in larch-health.service boot-complete.target larch-boot-ok.service; do
        echo "UNIT: $u $(systemctl show -p ActiveState -p Result \
            -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic "$u" | tr '\n' ' ')"
    done
    systemctl --failed --plain --no-legend | prefix FAILED
    journalctl -b -o short-monotonic --no-pager | grep -E 'larch|boot-complete|ordering cycle|Found dependency' | prefix JOURNAL
    systemd-analyze time 2>&1 | head -n 1 | prefix ANALYZE
    larch admin status 2>&1 | prefix STATUS
    larch admin history 2>&1 | head -n 6 | prefix HISTORY
} >"$out" 2>&1

ref=$(arg larchtest.deploy)
if [ -n "$ref" ]; then
    tries=$(arg larchtest.tries)
    start=$(date +%s)
    larch admin deploy "$ref" ${tries:+--tries "$tries"} >/run/larch-test-deploy 2>&1
    rc=$?
    prefix DEPLOY </run/larch-test-deploy >>"$out"
    echo "DEPLOY: exit $rc in $(($(date +%s) - start)) s" >>"$out"
fi
echo "END: report complete" >>"$out"

sed 's/^/GUEST /' "$out" >/dev/console
# The disk holds the report and zeros after it; the host strips the zeros.
dd if="$out" of=/dev/vdb conv=fsync status=none
sync
systemctl poweroff --no-block
