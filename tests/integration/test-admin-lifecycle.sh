#!/bin/bash
# ctest-labels: slow
# Acceptance test "deployments": real Debian root filesystems (corpus v1 and
# v2) published by a signed archive store over file://, pulled into a real
# sysroot's bare store and deployed through the real binary:
#
#   deploy v1 -> boot-ok -> user edits /etc -> upgrade to v2 (pull + deploy)
#   -> reboot into v2 -> rollback -> undeploy -> cleanup
#
# After each step `larch admin status --json` and the files on disk (the
# deployment trees, /etc, BLS entries, boot-state, kernels in /boot) are
# checked; the store passes fsck throughout. The second deployment's disk
# cost is measured: no more than v2's changed files plus metadata.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
CORPUS=$(corpus_dir)
V1=$CORPUS/v1 V2=$CORPUS/v2

log "publish v1; a device sysroot pulls it"
make_publisher "$W"
C1=$(publish "$V1" 1.0)
make_device "$W/sysroot"
larch pull --repo "$DEVREPO" origin os/stable >/dev/null

log "deploy v1"
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
assert_eq 1 "$(admin_status '.deployments | length')" "deployments after the first deploy"
assert_eq "1.0 origin:os/stable $C1 true false" \
    "$(admin_status '.deployments[0] | "\(.version) \(.origin) \(.commit) \(.default) \(.pinned)"')" "deployment 0"
assert_eq "pending 3" "$(admin_status '.boot | "\(.status) \(.tries_left)"')" "boot state"
D1=$(deployment_path 0)
tree_compare "$V1/usr" "$S$D1/usr" --links superset --exclude etc
tree_compare "$V1/etc" "$S$D1/usr/etc" --links superset
tree_compare "$V1/etc" "$S$D1/etc" --links exact
assert_eq "$(stat -c %i "$DEVREPO/$(object_of "$DEVREPO" "$C1" /usr/bin/apt)")" "$(stat -c %i "$S$D1/usr/bin/apt")" \
    "/usr/bin/apt: a hard link to its store object"
[ "$(stat -c %h "$S$D1/etc/passwd")" = 1 ] || fail "/etc/passwd of the deployment is not a copy of its own"
grep -qx "options larch=$D1" "$S/boot/loader/entries/larch-debian-0.conf" || fail "BLS entry without larch=$D1"
KERNEL=$(sed -n 's/^linux //p' "$S/boot/loader/entries/larch-debian-0.conf")
cmp "$S$KERNEL" "$V1/usr/lib/modules/6.1.0-test/vmlinuz" || fail "kernel in /boot differs"
grep -qx "default=$D1" "$S/ostree/boot/boot-state" || fail "boot-state does not name $D1"
[ -d "$S/ostree/deploy/debian/var" ] || fail "no shared /var"

log "first boot of v1: boot-ok; the user edits /etc"
boot_into "$D1"
larch admin boot-ok --sysroot "$S" >/dev/null
assert_eq "good true" "$(admin_status '.boot.status + " " + (.deployments[0].booted | tostring)')" "after boot-ok"
echo "user's motd" > "$S$D1/etc/motd"                         # user-modified
echo "mine" > "$S$D1/etc/larch-user.conf"                     # user-added
rm "$S$D1/etc/issue.net"                                      # user-deleted

log "publish v2; pull it, then measure what deploying it costs"
C2=$(publish "$V2" 2.0)
BEFORE_PULL=$(du_bytes "$S")
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
BEFORE_DEPLOY=$(du_bytes "$S")
larch admin upgrade --sysroot "$S" >/dev/null
AFTER=$(du_bytes "$S")
assert_eq 2 "$(admin_status '.deployments | length')" "deployments after the upgrade"
assert_eq "2.0 $C2 true false" "$(admin_status '.deployments[0] | "\(.version) \(.commit) \(.pending) \(.booted)"')" "new default"
assert_eq "1.0 true" "$(admin_status '.deployments[1] | "\(.version) \(.booted)"')" "booted v1"
assert_eq "pending 3" "$(admin_status '.boot | "\(.status) \(.tries_left)"')" "boot state of the new default"
D2=$(deployment_path 0)
tree_compare "$V2/usr" "$S$D2/usr" --links superset --exclude etc
assert_eq "user's motd" "$(cat "$S$D2/etc/motd")" "user-modified /etc/motd carried over"
assert_eq "mine" "$(cat "$S$D2/etc/larch-user.conf")" "user-added file carried over"
[ ! -e "$S$D2/etc/issue.net" ] || fail "user-deleted /etc/issue.net came back"
cmp "$V2/etc/passwd" "$S$D2/etc/passwd" || fail "untouched /etc/passwd does not follow v2"
assert_eq "$(stat -c %i "$S$D1/usr/bin/bash")" "$(stat -c %i "$S$D2/usr/bin/bash")" "unchanged /usr/bin/bash shared"
grep -qx "options larch=$D2" "$S/boot/loader/entries/larch-debian-0.conf" || fail "entry 0 is not v2"
grep -qx "options larch=$D1" "$S/boot/loader/entries/larch-debian-1.conf" || fail "entry 1 is not v1"

# Disk cost. v2's changed files: every regular file of v2 whose content,
# mode or owner differs from v1's file at the same path (or is new),
# counted by its blocks, hard links once. Metadata: per directory one block
# for the deployment's directory and one for a new dirtree object (an upper
# bound: most are shared), /etc copied, and 1 MiB for the rest (commit,
# dirmetas, refs, boot configuration).
read -r CHANGED DIRS ETC < <(python3 - "$V1" "$V2" <<'PY'
import hashlib, os, sys
v1, v2 = sys.argv[1], sys.argv[2]
def digest(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).digest()
changed, dirs, etc, seen = 0, 0, 0, set()
for root, dnames, fnames in os.walk(v2):
    dirs += 1
    for n in fnames:
        p = os.path.join(root, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, v2)
        if rel.startswith("etc/") and not os.path.islink(p):
            etc += st.st_blocks * 512
        if not os.path.isfile(p) or os.path.islink(p) or st.st_ino in seen:
            continue
        seen.add(st.st_ino)
        q = os.path.join(v1, rel)
        try:
            o = os.lstat(q)
            same = (o.st_mode, o.st_uid, o.st_gid) == (st.st_mode, st.st_uid, st.st_gid) and digest(p) == digest(q)
        except (FileNotFoundError, IsADirectoryError):
            same = False
        if not same:
            changed += st.st_blocks * 512
print(changed, dirs, etc)
PY
)
META=$(( DIRS * 4096 * 2 + ETC + (1 << 20) ))
COST=$(( AFTER - BEFORE_PULL ))
DEPLOY_COST=$(( AFTER - BEFORE_DEPLOY ))
log "second deployment: pull + deploy cost $COST bytes; v2 changed files $CHANGED + metadata bound $META; deploy alone $DEPLOY_COST bytes ($DIRS directories, /etc $ETC bytes)"
[ "$COST" -le $(( CHANGED + META )) ] || fail "the second deployment cost $COST bytes, more than changed files ($CHANGED) + metadata ($META)"
[ "$DEPLOY_COST" -le $(( DIRS * 4096 + ETC + (1 << 20) )) ] || fail "the deployment itself cost $DEPLOY_COST bytes"

log "reboot into v2; boot-ok; v1 is the rollback"
boot_into "$D2"
larch admin boot-ok --sysroot "$S" >/dev/null
assert_eq "true false good" "$(admin_status '"\(.deployments[0].booted) \(.deployments[0].pending) \(.boot.status)"')" "v2 booted"
assert_eq "true" "$(admin_status '.deployments[1].rollback')" "v1 is the rollback"

log "rollback"
larch admin rollback --sysroot "$S" >/dev/null
assert_eq "$D1 $D2" "$(admin_status '[.deployments[].path] | join(" ")')" "order after rollback"
assert_eq "true pending 3" "$(admin_status '"\(.deployments[0].pending) \(.boot.status) \(.boot.tries_left)"')" "v1 pending"
grep -qx "options larch=$D1" "$S/boot/loader/entries/larch-debian-0.conf" || fail "entry 0 is not v1 after rollback"
grep -qx "default=$D1" "$S/ostree/boot/boot-state" || fail "boot-state default after rollback"

log "undeploy: not the booted one; then v2 after rebooting into v1"
refused_admin 2 "is the booted one" undeploy 1
boot_into "$D1"
larch admin undeploy 1 --sysroot "$S" >/dev/null
assert_eq "$D1" "$(admin_status '[.deployments[].path] | join(" ")')" "after undeploy"
[ ! -e "$S$D2" ] && [ ! -e "$S$D2.origin" ] || fail "undeployed v2 is still on disk"
assert_eq "1" "$(find "$S/boot/loader/entries" -name '*.conf' | wc -l)" "BLS entries after undeploy"

log "cleanup: leftovers and the objects only v2 needed"
mkdir -p "$S/ostree/deploy/debian/deploy/.stage-leftover/usr"
larch refs --repo "$DEVREPO" --delete origin:os/stable
OBJECTS_BEFORE=$(find "$DEVREPO/objects" -type f | wc -l)
larch admin cleanup --sysroot "$S" >/dev/null
OBJECTS_AFTER=$(find "$DEVREPO/objects" -type f | wc -l)
[ "$OBJECTS_AFTER" -lt "$OBJECTS_BEFORE" ] || fail "cleanup deleted no objects ($OBJECTS_BEFORE -> $OBJECTS_AFTER)"
[ ! -e "$S/ostree/deploy/debian/deploy/.stage-leftover" ] || fail "cleanup left the staging leftover"
larch fsck --repo "$DEVREPO" >/dev/null
tree_compare "$V1/usr" "$S$D1/usr" --links superset --exclude etc
assert_eq 1 "$(admin_status '.deployments | length')" "deployments after cleanup"

log "history"
HISTORY=$(larch admin history --sysroot "$S" --json)
assert_eq "cleanup undeploy rollback upgrade deploy" "$(jq -r '[.deployments[].action] | join(" ")' <<<"$HISTORY")" "history actions"
assert_eq "good good" "$(jq -r '[.boots[].outcome] | join(" ")' <<<"$HISTORY")" "boot outcomes"
assert_eq "2.0" "$(jq -r '.deployments[3].to_version' <<<"$HISTORY")" "upgrade recorded with its version"
log "ok"
