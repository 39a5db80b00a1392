#!/bin/sh
# ota_guest_init.sh - /sbin/init of the releases test-ota-qemu.sh publishes
# (installed by build_rootfs in boot_lib.sh, GUEST_INIT). Runs the health
# checks the way larch-health.service would, prints what the test checks
# on the console ("GUEST: ...", "JSON: " + `larch admin status --json` on
# one line), does what larchtest.* on the kernel command line asks, and
# powers off cleanly:
#   larchtest.remote=URL   set the remote origin (`larch remote add`): URL
#                          and the keyring the release ships
#   larchtest.fsck=1       larch fsck of the sysroot's store
#   larchtest.upgrade=N    bring the network up (virtio_net, 10.0.2.15,
#                          the host at 10.0.2.2) and run `larch admin
#                          upgrade` until it succeeds, at most N attempts,
#                          3 s apart; while one runs, "GUEST: deploy
#                          staging NAME" says the deploy has started
#                          building a deployment (the host cuts the power
#                          there)
# shellcheck source=guest_lib.sh
. /usr/share/larch-test/guest_lib.sh

/usr/libexec/larch/larch-health
say "health exit $?"
# No --sysroot: inside a deployment larch opens /sysroot and finds the
# running deployment by the inode of "/".
say "status:"
larch admin status | sed 's/^/STATUS: /'
echo "JSON: $(larch admin status --json | tr -d '\n')"

if [ "$(arg larchtest.fsck)" = 1 ]; then
    larch fsck --repo /sysroot/ostree/repo 2>&1 | tail -n 3 | sed 's/^/FSCK: /'
    # (the exit status of the pipeline is tail's: ask again, quietly)
    larch fsck --repo /sysroot/ostree/repo >/dev/null 2>&1
    say "fsck exit $?"
fi

# stage_watch PID: until PID ends, say once when a deployment is being
# staged (deploy's .stage-<name> directory exists).
stage_watch() {
    seen=""
    while kill -0 "$1" 2>/dev/null; do
        for d in /sysroot/ostree/deploy/*/deploy/.stage-*; do
            if [ -z "$seen" ] && [ -e "$d" ]; then
                seen=1
                say "deploy staging ${d##*/.stage-}"
            fi
        done
        usleep 10000
    done
}

url=$(arg larchtest.remote)
if [ -n "$url" ]; then
    larch remote add --repo /sysroot/ostree/repo origin "$url" --replace \
        --keyring /usr/share/larch/keyrings/origin --compatible board-a
    say "remote origin: $(larch remote show --repo /sysroot/ostree/repo origin | tr '\n' ' ')"
fi
attempts=$(arg larchtest.upgrade)
if [ -n "$attempts" ]; then
    mods=/usr/lib/modules/$(uname -r)
    for m in $(cat "$mods/larch-test-net"); do
        insmod "$mods/$m" || say "insmod $m failed"
    done
    ip addr add 10.0.2.15/24 dev eth0
    ip link set eth0 up
    ip route add default via 10.0.2.2
    say "network: $(ip -4 -o addr show dev eth0 | awk '{print $4}'), route $(ip route | grep default)"
    n=1
    while :; do
        say "upgrade attempt $n"
        larch admin upgrade >/tmp/upgrade.out 2>&1 &
        pid=$!
        stage_watch "$pid"
        wait "$pid"
        rc=$?
        sed 's/^/UPGRADE: /' /tmp/upgrade.out
        say "upgrade attempt $n exit $rc"
        [ "$rc" = 0 ] && break
        [ "$n" -ge "$attempts" ] && break
        n=$((n + 1))
        sleep 3
    done
fi
sync
mount -o remount,ro /sysroot || say "remounting /sysroot read-only failed"
say "powering off"
poweroff -f
