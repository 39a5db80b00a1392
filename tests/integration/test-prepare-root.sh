#!/bin/bash
# test-prepare-root.sh - larch-prepare-root against directory trees in mount
# namespaces (unshare -m): the deployment it chooses, the boot counter it
# writes, the mounts it makes (deployment on the sysroot mount point, /usr
# read-only, the shared /var, writable /etc, the physical root at
# /sysroot), every kind of bad input, and the switch as PID 1. Each case
# gets a fresh namespace with a tmpfs as the "physical root", so nothing
# it mounts or remounts reaches the host. A few seconds in all.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/../initramfs/larch-prepare-root}
[ -x "$HELPER" ] || fail "larch-prepare-root not found at $HELPER (build first)"
[ "$(id -u)" -eq 0 ] || skip "needs root for mount namespaces"
unshare -m true 2>/dev/null || skip "mount namespaces are not available here"
BUSYBOX=$(command -v busybox || true)

T=$(tmpdir work)
S=$T/sysroot
mkdir -p "$S"
A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))
C=$(printf 'c%.0s' $(seq 64))
dep() { printf '/ostree/deploy/debian/deploy/%s.0' "$1"; }

# --- run inside each namespace (exported with declare -f) ---------------

# make_sysroot: a tmpfs at $S (SYSROOT_ON_DISK=1: $S bound on itself) with
# deployments A and B (bootable) and the boot configuration, like
# `larch admin` lays it out (docs/deploy.md).
make_sysroot() {
    if [ "${SYSROOT_ON_DISK:-0}" = 1 ]; then
        mount --bind "$S" "$S"
    else
        mount -t tmpfs -o size=64m tmpfs "$S"
    fi
    mkdir -p "$S/ostree/deploy/debian/var" "$S/boot/loader.0/entries"
    ln -s loader.0 "$S/boot/loader"
    ln -s ../boot/loader "$S/ostree/boot"
    local d
    for d in "$A" "$B"; do
        local root=$S/ostree/deploy/debian/deploy/$d.0
        mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/etc" "$root/var" "$root/proc" "$root/dev" "$root/sys" "$root/run"
        ln -s usr/sbin "$root/sbin"
        echo "$d" >"$root/etc/which"
        printf '#!/bin/sh\necho init of %s\n' "$d" >"$root/usr/sbin/init"
        chmod 755 "$root/usr/sbin/init"
    done
}
# state DEFAULT FALLBACK TRIES STATUS [REASON]: writes the boot-state.
state() {
    printf 'larch-boot-state 1\ndefault=%s\nfallback=%s\ntries-left=%s\nstatus=%s\nreason=%s\n' \
        "$(dep "$1")" "${2:+$(dep "$2")}" "$3" "$4" "${5:-}" >"$S/boot/loader.0/boot-state"
}
# prepare CMDLINE: runs the helper in script mode, output in $T/out.
prepare() {
    printf '%s\n' "$1" >"$T/cmdline"
    local rc=0
    "$HELPER" --no-switch --log=stderr --cmdline "$T/cmdline" "$S" >"$T/out" 2>&1 || rc=$?
    echo "$rc" >"$T/rc"
    cat "$T/out" >&2
}
booted() { cat "$S/etc/which"; }

in_namespace() {   # in_namespace SCRIPT: a fresh mount namespace running SCRIPT
    unshare -m --propagation private bash -euo pipefail -c \
        "$(declare -f make_sysroot state prepare booted dep); $1"
}
export HELPER T S A B C BUSYBOX

out() { cat "$T/out"; }
rc() { cat "$T/rc"; }
bootstate() { cat "$T/bootstate"; }
# save: copy what the next checks read out of the namespace.
SAVE='cp "$S/sysroot/boot/loader.0/boot-state" "$T/bootstate" 2>/dev/null || cp "$S/boot/loader.0/boot-state" "$T/bootstate"'

# ---------------------------------------------------------------- cases
log "pending default: counted, then mounted as the new root"
in_namespace "make_sysroot; state $A $B 3 pending; prepare 'root=/dev/vda rw larch=$(dep "$A")'; $SAVE
    booted >$T/booted
    findmnt -n -o OPTIONS $S/usr >$T/usr-options
    touch $S/usr/x 2>$T/usr-touch && echo writable >>$T/usr-touch || true
    echo kept >$S/var/marker; cat $S/sysroot/ostree/deploy/debian/var/marker >$T/var-through-sysroot
    echo changed >>$S/etc/which && echo etc-writable >$T/etc
    ls $S/sysroot/ostree/deploy/debian/deploy >$T/sysroot-ls
    findmnt -n -o TARGET $S >$T/root-mounted
    test ! -e $S.larch-tmp && echo clean >$T/aside"
assert_eq 0 "$(rc)" "exit status"
assert_eq "$A" "$(cat "$T/booted")" "booted deployment"
assert_contains "$(bootstate)" "tries-left=2"
assert_contains "$(bootstate)" "status=pending"
assert_contains "$(out)" "pending: booting it, 2 tries left"
assert_contains "$(out)" "boot-state written: status=pending tries-left=2"
assert_contains "$(out)" "booting $(dep "$A") (init /sbin/init)"
[[ "$(out)" =~ done\ in\ [0-9]+\ ms ]] || fail "no run time reported"
assert_contains "$(cat "$T/usr-options")" "ro" "/usr mount options"
assert_contains "$(cat "$T/usr-touch")" "Read-only file system" "writing to /usr"
assert_eq kept "$(cat "$T/var-through-sysroot")" "/var is the shared ostree/deploy/debian/var"
assert_eq etc-writable "$(cat "$T/etc")"
assert_contains "$(cat "$T/sysroot-ls")" "$B.0" "physical root at /sysroot"
assert_eq "$S" "$(cat "$T/root-mounted")" "the deployment is a mount point at the sysroot"
assert_eq clean "$(cat "$T/aside")" "temporary mount point removed"

log "counting down: 2 tries, then the fallback with the reason recorded"
in_namespace "make_sysroot; state $A $B 2 pending
    for i in 1 2 3 4; do
        unshare -m bash -c \"\$(declare -f prepare booted); prepare 'larch=$(dep "$A")'; booted\" >>$T/boots 2>/dev/null
    done; $SAVE"
assert_eq "$A $A $B $B" "$(tr '\n' ' ' <"$T/boots" | sed 's/ $//')" "deployments booted in turn"
assert_contains "$(bootstate)" "status=fell-back"
assert_contains "$(bootstate)" "reason=default ${A:0:12}.0 was not marked good within its boot tries"

log "good default: booted, boot-state untouched"
in_namespace "make_sysroot; state $A $B 1 good; cp $S/boot/loader.0/boot-state $T/before
    prepare 'larch=$(dep "$A")'; booted >$T/booted; $SAVE"
assert_eq "$A" "$(cat "$T/booted")"
assert_eq "$(cat "$T/before")" "$(bootstate)" "boot-state"

log "boot menu chose the fallback: booted as chosen, nothing counted"
in_namespace "make_sysroot; state $A $B 3 pending; prepare 'larch=$(dep "$B")'; booted >$T/booted; $SAVE"
assert_eq "$B" "$(cat "$T/booted")"
assert_contains "$(bootstate)" "tries-left=3"
assert_contains "$(out)" "not the default: booting it as chosen"

log "bad input: no larch= argument"
in_namespace "make_sysroot; state $A $B 3 pending; prepare 'root=/dev/vda rw'; booted >$T/booted; $SAVE"
assert_eq "$A" "$(cat "$T/booted")"
assert_contains "$(out)" "no larch= on the kernel command line"
assert_contains "$(bootstate)" "tries-left=2"

log "bad input: malformed larch="
for bad in "larch=/ostree/deploy/debian/deploy/zz.0" "larch=" "larch=/ostree/deploy/debian/deploy/$A.0/../$B.0"; do
    in_namespace "make_sysroot; state $A $B 0 good; prepare '$bad'; booted >$T/booted"
    assert_eq 0 "$(rc)" "exit status with $bad"
    assert_eq "$A" "$(cat "$T/booted")" "booted with $bad"
    assert_contains "$(out)" "is not a deployment path: ignoring it"
done

log "bad input: larch= names a deployment that does not exist"
in_namespace "make_sysroot; state $A $B 0 good; prepare 'larch=$(dep "$C")'; booted >$T/booted"
assert_eq "$A" "$(cat "$T/booted")"
assert_contains "$(out)" "$(dep "$C") is not bootable: it does not exist"
assert_contains "$(out)" "following the boot-state instead of larch="

log "bad input: a path outside /ostree/deploy"
in_namespace "make_sysroot; state $A $B 0 good; prepare 'larch=/etc/../ostree/deploy/debian/deploy/$B.0'; booted >$T/booted"
assert_eq "$A" "$(cat "$T/booted")"
assert_contains "$(out)" "is not a deployment path"
log "bad input: a deployment that is a symlink out of /ostree/deploy"
in_namespace "make_sysroot; state $C $B 3 pending
    mkdir -p $T/outside/usr/sbin; cp -a $S/ostree/deploy/debian/deploy/$A.0/. $T/outside/
    ln -s $T/outside $S/ostree/deploy/debian/deploy/$C.0
    prepare 'larch=$(dep "$C")'; booted >$T/booted; $SAVE"
assert_eq "$B" "$(cat "$T/booted")"
assert_contains "$(out)" "a symlink is on its path"
assert_contains "$(bootstate)" "status=fell-back"
assert_contains "$(bootstate)" "reason=default ${C:0:12}.0 is not bootable (a symlink is on its path"

log "bad input: the pending default was removed"
in_namespace "make_sysroot; state $C $B 3 pending; prepare 'larch=$(dep "$C")'; booted >$T/booted; $SAVE"
assert_eq "$B" "$(cat "$T/booted")"
assert_contains "$(bootstate)" "status=fell-back"

log "bad input: corrupt boot-state, larch= is booted without counting"
in_namespace "make_sysroot; printf 'larch-boot-state 1\ndefault=junk\n' >$S/boot/loader.0/boot-state
    prepare 'larch=$(dep "$B")'; booted >$T/booted; $SAVE"
assert_eq "$B" "$(cat "$T/booted")"
assert_contains "$(out)" "boot-state unusable: /ostree/boot/boot-state is corrupt: line 2"
assert_contains "$(out)" "without boot counting"
assert_eq "$(printf 'larch-boot-state 1\ndefault=junk')" "$(bootstate)" "corrupt boot-state left as it was"

log "bad input: corrupt boot-state and no larch=: a deployment found on disk"
in_namespace "make_sysroot; head -c 100 /dev/urandom >$S/boot/loader.0/boot-state
    touch -d '2001-01-01' $S/ostree/deploy/debian/deploy/$A.0
    prepare 'quiet'; booted >$T/booted"
assert_eq "$B" "$(cat "$T/booted")" "the newest deployment on disk"
assert_contains "$(out)" "found on disk"

log "bad input: missing boot-state"
in_namespace "make_sysroot; prepare 'larch=$(dep "$A")'; booted >$T/booted"
assert_eq "$A" "$(cat "$T/booted")"
assert_contains "$(out)" "boot-state unusable: missing"

log "nothing bootable: says so, exits 1, leaves the physical root in place"
in_namespace "make_sysroot; state $A $B 3 pending
    rm -rf $S/ostree/deploy/debian/deploy/*/usr
    prepare 'larch=$(dep "$A")'; test -d $S/ostree && echo in-place >$T/place; $SAVE"
assert_eq 1 "$(rc)" "exit status"
assert_contains "$(out)" "is not bootable: it has no /usr directory"
assert_contains "$(out)" "nothing to boot"
assert_eq in-place "$(cat "$T/place")"
assert_contains "$(bootstate)" "tries-left=3" "nothing written when nothing boots"

log "read-only physical root: remounted for the writes, read-only again after"
in_namespace "make_sysroot; state $A $B 3 pending; rmdir $S/ostree/deploy/debian/deploy/$A.0/var
    mount -o remount,ro $S
    prepare 'larch=$(dep "$A")'; booted >$T/booted; $SAVE
    findmnt -n -o OPTIONS $S/sysroot >$T/options"
assert_eq "$A" "$(cat "$T/booted")"
assert_contains "$(bootstate)" "tries-left=2"
assert_contains "$(out)" "remounted $S read-write"
assert_contains "$(cat "$T/options")" "ro," "physical root options after"

log "mount points missing in the deployment (var, sysroot) are created"
in_namespace "make_sysroot; state $A $B 0 good; rmdir $S/ostree/deploy/debian/deploy/$A.0/var
    prepare 'larch=$(dep "$A")'; test -d $S/sysroot/ostree && echo ok >$T/physical"
assert_eq 0 "$(rc)"
assert_eq ok "$(cat "$T/physical")"
assert_contains "$(out)" "created the mount point /var in ${A:0:12}.0"

log "shared var missing: no deployment can be mounted, each attempt is undone"
in_namespace "make_sysroot; state $A $B 0 good; rmdir $S/ostree/deploy/debian/var
    prepare 'larch=$(dep "$A")'; grep -c \" $S \" /proc/self/mountinfo >$T/mounts || true"
assert_eq 1 "$(rc)"
assert_contains "$(out)" "larch admin os-init makes it"
assert_eq 1 "$(cat "$T/mounts")" "everything undone: one mount at the sysroot"

# static: an ELF file without a program interpreter
is_static() { readelf -l "$1" 2>/dev/null | grep -q 'LOAD' && ! readelf -l "$1" | grep -q 'INTERP'; }

if [ -n "$BUSYBOX" ] && is_static "$(readlink -f "$BUSYBOX")"; then
    log "PID 1: switches root itself and execs init with the arguments after --"
    in_namespace "make_sysroot; state $A $B 3 pending
        root=$S/ostree/deploy/debian/deploy/$A.0
        cp $BUSYBOX \$root/usr/bin/busybox
        printf '#!/usr/bin/busybox sh\necho \"init args: \$*\"; /usr/bin/busybox cat /etc/which; /usr/bin/busybox ls /sysroot/ostree; /usr/bin/busybox cat /proc/1/comm\n' >\$root/usr/sbin/init
        printf '%s\n' 'larch=$(dep "$A")' >$T/cmdline
        unshare -p -f --mount-proc $HELPER --log=stderr --cmdline $T/cmdline $S -- single debug >$T/pid1 2>&1 || true"
    cat "$T/pid1" >&2
    assert_contains "$(cat "$T/pid1")" "init args: single debug"
    assert_contains "$(cat "$T/pid1")" "$A"
    assert_contains "$(cat "$T/pid1")" "deploy"
else
    log "no static busybox: PID 1 case left to test-boot-qemu.sh"
fi

log "PID 1, nothing bootable: a rescue shell, or with larch.shell=0 an exit (the kernel panics)"
for shell in 1 0; do
    in_namespace "make_sysroot; state $A $B 3 pending; rm -rf $S/ostree/deploy/debian/deploy/*/usr
        printf '%s\n' 'larch=$(dep "$A") larch.shell=$shell' >$T/cmdline
        rc=0; unshare -p -f --mount-proc $HELPER --log=stderr --cmdline $T/cmdline $S </dev/null >$T/pid1 2>&1 || rc=\$?
        echo \$rc >$T/rc"
    cat "$T/pid1" >&2
    assert_contains "$(cat "$T/pid1")" "nothing to boot: no bootable deployment"
    if [ "$shell" = 1 ]; then
        assert_contains "$(cat "$T/pid1")" "dropping to the initramfs shell"
    else
        assert_contains "$(cat "$T/pid1")" "giving up: init exits, the kernel panics"
        assert_eq 1 "$(rc)" "exit status of PID 1 with larch.shell=0"
    fi
done

log "run time on this machine's disk (real fsyncs), not in a tmpfs"
DISK=$T/on-disk
mkdir -p "$DISK"
in_namespace "S=$DISK SYSROOT_ON_DISK=1; make_sysroot; state $A $B 3 pending; sync
    for i in 1 2 3; do
        unshare -m bash -c \"\$(declare -f prepare); S=$DISK; prepare 'larch=$(dep "$A")'\" 2>/dev/null
        grep -o 'done in [0-9]*' $T/out | cut -d' ' -f3 >>$T/ms; grep -o 'done in.*' $T/out >>$T/ms-detail
    done"
log "larch-prepare-root run times with a pending default (decrement, two fsyncs): $(tr '\n' ' ' <"$T/ms")ms"
log "last run: $(tail -1 "$T/ms-detail")"
[ "$(wc -l <"$T/ms")" -eq 3 ] || fail "run times missing"
while read -r ms; do [ "$ms" -le 1000 ] || fail "larch-prepare-root took $ms ms"; done <"$T/ms"

log "size: the stripped helper is static and within the 1 MiB budget"
strip -o "$T/stripped" "$HELPER"
size=$(stat -c %s "$T/stripped")
log "larch-prepare-root: $size bytes stripped"
[ "$size" -le 1048576 ] || fail "larch-prepare-root is $size bytes stripped, over the 1 MiB budget"
is_static "$HELPER" || fail "larch-prepare-root is not statically linked (it has a program interpreter)"
if nm "$HELPER" 2>/dev/null | grep -qiE 'curl_|sqlite3_|EVP_|SSL_'; then fail "curl, SQLite or OpenSSL linked in"; fi
log "PASS"
