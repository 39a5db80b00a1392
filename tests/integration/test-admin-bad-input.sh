#!/bin/bash
# `larch admin` refusing bad input through the real binary, each with its
# exit code, a message naming the problem, and the sysroot unchanged (every
# entry, mode, owner and byte except the state database):
#   a commit that is not in the store                    exit 3
#   unsigned, when the remote requires signatures        exit 5
#   built for another `compatible`                       exit 5
#   an older version without --allow-downgrade           exit 5
#   a full disk during deploy (tmpfs in a mount namespace), both at the
#   min-free-space guard and at a real ENOSPC            exit 6
#   a corrupt boot-state file                            exit 4
#   a file object the commit needs missing from the store exit 4
#   not a sysroot, a bad larch= argument, a bad index    exit 2 / 3
# Small trees: what is tested is the refusal, not the size.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start


make_publisher "$W"
small_tree "$W/t1" 1.0
small_tree "$W/t2" 2.0
C1=$(publish "$W/t1" 1.0)
make_device "$W/sysroot"
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
C2=$(publish "$W/t2" 2.0)
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null

log "a commit that is not in the store"
MISSING=$(printf 'e%.0s' $(seq 64))
refused_admin 3 "commit $MISSING is not in the store" deploy "$MISSING"
refused_admin 3 'no ref or commit named "origin:os/nope"' deploy origin:os/nope

log "an older version needs --allow-downgrade"
refused_admin 5 "version rule: version 1.0 is older than 2.0" deploy "$C1"
[[ "$(larch admin history --sysroot "$S" --json | jq -r '.deployments[0] | .outcome + " " + .detail')" == "refused commit $C1: "*"version rule"* ]] ||
    fail "the refused downgrade is not in the history"

log "unsigned, while the remote requires signatures"
echo "local build" > "$W/t2/usr/bin/app"
UNSIGNED=$(larch commit --repo "$DEVREPO" --branch local --tree "$W/t2" --version 3.0 --metadata compatible=board-a \
    --metadata ref-binding=os/stable)
refused_admin 5 "signature threshold rule" deploy "$UNSIGNED"

log "built for another compatible"
small_tree "$W/t3" 3.0
larch remote add --repo "$DEVREPO" origin "file://$SRV" --keyring "$RING" --compatible board-a board-b --replace
C3=$(publish "$W/t3" 3.0 board-b)
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch remote add --repo "$DEVREPO" origin "file://$SRV" --keyring "$RING" --compatible board-a --replace
refused_admin 5 "compatibility rule: it is built for board-b; this device is board-a" deploy origin:os/stable

log "the downgrade goes through when allowed"
larch admin deploy "$C1" --allow-downgrade --sysroot "$S" >/dev/null
assert_eq "$C1 1.0" "$(admin_status '.deployments[0] | .commit + " " + .version')" "downgraded default"

log "a local commit deploys unverified (development)"
larch admin deploy local --sysroot "$S" >/dev/null
assert_eq "$UNSIGNED local" "$(admin_status '.deployments[0] | .commit + " " + .origin')" "local deployment"

log "a file object missing from the store: corruption, the object named"
echo "only in this commit" > "$W/t2/usr/bin/lost"
larch commit --repo "$DEVREPO" --branch lost --tree "$W/t2" --version 4.0 --metadata compatible=board-a >/dev/null
LOST_ID=$(larch ls --repo "$DEVREPO" lost /usr/bin/lost --json | jq -r '.[0].id')
LOST_OBJECT="$DEVREPO/objects/${LOST_ID:0:2}/${LOST_ID:2}.file"
rm "$LOST_OBJECT"
refused_admin 4 "missing object $LOST_OBJECT" deploy lost
rm "$W/t2/usr/bin/lost"

log "a corrupt boot-state file"
cp "$S/ostree/boot/boot-state" "$W/boot-state.good"
sed -i 's/^tries-left=.*/tries-left=many/' "$S/ostree/boot/boot-state"
refused_admin 4 "boot-state file $S/boot/loader.$(readlink "$S/boot/loader" | cut -d. -f2)/boot-state is corrupt: line 4" deploy origin:os/stable
refused_admin 4 "is corrupt" status
refused_admin 4 "is corrupt" rollback
cp "$W/boot-state.good" "$S/ostree/boot/boot-state"

log "not a sysroot; a malformed larch= argument; indexes"
mkdir "$W/empty"
assert_exit 2 "$LARCH" admin status --sysroot "$W/empty"
assert_contains "$LAST_STDERR" "is not a larch sysroot"
echo "root=/dev/vda larch=/ostree/deploy/debian/deploy/xyz" > "$W/cmdline"
refused_admin 2 "larch=/ostree/deploy/debian/deploy/xyz is not a deployment path" boot-ok --cmdline "$W/cmdline"
refused_admin 3 "no deployment with index 9" set-default 9
refused_admin 2 "the kernel command line names no deployment" boot-ok

log "a full disk: small tmpfs mounts in a private mount namespace"
# The sysroot on a 24 MiB tmpfs with its /boot a 256 KiB tmpfs of its own
# (a small boot partition): v2's 1 MiB kernel does not fit there, so the
# deploy meets a real ENOSPC while installing it. Then the min-free-space
# guard refuses before writing. Outside the namespace nothing is mounted.
unshare -m -- bash -s "$LARCH" "$W/full" "$W/t1" "$W/t2" <<'INNER' || fail "full-disk checks failed (see above)"
set -euo pipefail
LARCH=$1 D=$2 T1=$3 T2=$4
fail() { echo "FAIL (full disk): $*" >&2; exit 1; }
state() {
    (cd "$D/s" && find . -path ./ostree/repo/state.db\* -prune -o -printf '%p %y %s %m\n' | LC_ALL=C sort &&
        find . -path ./ostree/repo/state.db\* -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}
# refused NEEDLE: deploy exits 6 naming NEEDLE and changes nothing.
refused() {
    local before rc=0
    before=$(state)
    "$LARCH" admin deploy os --sysroot "$D/s" 2> "$D/err" || rc=$?
    [ "$rc" = 6 ] || { cat "$D/err" >&2; fail "deploy exited $rc, not 6"; }
    grep -q "$1" "$D/err" || { cat "$D/err" >&2; fail "message lacks: $1"; }
    [ "$before" = "$(state)" ] || fail "a refused deploy ($1) changed the sysroot"
}
mkdir -p "$D"
mount -t tmpfs -o size=24m tmpfs "$D"
mkdir -p "$D/s/boot"
mount -t tmpfs -o size=256k tmpfs "$D/s/boot"
"$LARCH" admin init-fs "$D/s" >/dev/null
"$LARCH" admin os-init debian --sysroot "$D/s"
echo "min-free-space=0" > "$D/s/ostree/larch.conf"
"$LARCH" commit --repo "$D/s/ostree/repo" --branch os --tree "$T1" --version 1.0 >/dev/null
"$LARCH" admin deploy os --sysroot "$D/s" >/dev/null
grep -q "^linux /larch/" "$D/s/boot/loader/entries/larch-debian-0.conf" || fail "entry paths not relative to the boot partition"
head -c 1048576 /dev/urandom > "$T2/usr/lib/modules/6.1.0/vmlinuz"
"$LARCH" commit --repo "$D/s/ostree/repo" --branch os --tree "$T2" --version 2.0 >/dev/null
refused "No space left on device"
echo "min-free-space=23M" > "$D/s/ostree/larch.conf"
refused "min-free-space (ostree/larch.conf) keeps"
umount "$D/s/boot" "$D"
INNER
log "ok"
