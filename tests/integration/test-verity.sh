#!/bin/bash
# test-verity.sh - a verified /usr on this host, whose kernel has no
# fs-verity (docs/verity.md): every path must take the "cannot seal" branch
# cleanly, and what needs no kernel support must hold here.
#   - init-fs says whether the filesystem can seal and how to turn it on;
#     the sysroot's store is verity=opportunistic and goes on unsealed
#   - larch.conf verity=required refuses an upgrade it cannot seal, and
#     changes nothing
#   - an object damaged on disk: `admin deploy` refuses it (exit 4, object
#     and path named, nothing changed); fsck names it
#   - larch-prepare-root with a boot keyring: a deployment whose /usr is not
#     sealed, one with a file the commit does not have, and one whose commit
#     no key of the keyring signed are each not bootable, with the reason
# The sealed path (seals made, measured, a changed byte refused by the
# kernel, the boot-time check passing) runs under qemu: test-verity-qemu.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/../initramfs/larch-prepare-root}
[ -x "$HELPER" ] || fail "larch-prepare-root not found at $HELPER (build first)"
unshare -m true 2>/dev/null || skip "mount namespaces are not available here"

# tree DIR VERSION: admin_lib's small tree with an init (the helper boots
# only a deployment that has one) and a symlink in /usr.
tree() {
    small_tree "$1" "$2"
    mkdir -p "$1/usr/sbin"
    printf '#!/bin/sh\necho init\n' >"$1/usr/sbin/init"
    chmod 755 "$1/usr/sbin/init"
    ln -s usr/sbin "$1/sbin"
    ln -s app "$1/usr/bin/app-link"
}
make_publisher "$W/pub"
tree "$W/tree1" 1.0
V1=$(publish "$W/tree1" 1.0)

log "init-fs reports what the filesystem can do about fs-verity"
mkdir -p "$W/dev"
assert_exit 0 "$LARCH" admin init-fs "$W/dev"
assert_contains "$LAST_STDOUT" "fs-verity: this filesystem cannot seal files" "init-fs output"
assert_contains "$LAST_STDOUT" "tune2fs -O verity" "init-fs output"
assert_contains "$(cat "$W/dev/ostree/repo/config")" "verity=opportunistic" "the sysroot store's config"
rm -rf "$W/dev"
make_device "$W/dev"

log "opportunistic: the pull and the deploy go on unsealed"
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
assert_eq 1 "$(admin_status '.deployments | length')" "deployments"
assert_exit 0 "$LARCH" fsck --repo "$DEVREPO"

log "verity=required in larch.conf: an upgrade that cannot seal is refused, nothing changes"
tree "$W/tree2" 2.0
V2=$(publish "$W/tree2" 2.0)
echo "verity=required" > "$S/ostree/larch.conf"
# What was downloaded stays in the store's tmp/downloads for the next
# attempt (as after any failed pull); nothing else may change.
sysroot_state_without_downloads() {
    (cd "$S" && find . \( -path ./ostree/repo/state.db\* -o -path ./ostree/repo/tmp \) -prune -o \
        -printf '%p %y %s %m %u %l\n' | LC_ALL=C sort &&
        find . \( -path ./ostree/repo/state.db\* -o -path ./ostree/repo/tmp \) -prune -o -type f -exec sha256sum {} + |
        LC_ALL=C sort) | sha256sum
}
before=$(sysroot_state_without_downloads)
assert_exit 7 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDERR" "verity=required" "stderr of the refused upgrade"
assert_contains "$LAST_STDERR" "tune2fs -O verity" "stderr of the refused upgrade"
assert_eq "$before" "$(sysroot_state_without_downloads)" "sysroot after the refused upgrade"
rm "$S/ostree/larch.conf"
larch admin upgrade --sysroot "$S" >/dev/null
assert_eq "$V2" "$(admin_status '.deployments[0].commit')" "the new default"

log "a damaged object no deployment links yet: admin deploy refuses it and names it, fsck names it"
tree "$W/tree3" 3.0
V3=$(publish "$W/tree3" 3.0)
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
app3=$("$LARCH" ls --repo "$DEVREPO" --json "$V3" /usr/bin/app | jq -r '.[0].id')
obj3="$DEVREPO/objects/${app3:0:2}/${app3:2}.file"
[ -f "$obj3" ] || fail "object $obj3 not found"
printf 'X' | dd of="$obj3" bs=1 seek=100 conv=notrunc status=none
refused_admin 4 "objects/${app3:0:2}/${app3:2}.file" deploy "$V3"
assert_contains "$LAST_STDERR" "/usr/bin/app" "stderr of the refused deploy"
assert_exit 4 "$LARCH" fsck --repo "$DEVREPO"
assert_contains "$LAST_STDOUT" "objects/${app3:0:2}/${app3:2}.file" "fsck output"
# Not used by a deployment: admin fsck --repair names it and leaves it.
assert_exit 4 "$LARCH" admin fsck --repair --sysroot "$S"
assert_contains "$LAST_STDOUT" "not repaired: objects/${app3:0:2}/${app3:2}.file: no deployment uses it" "admin fsck --repair"
# Fetched whole again (the same bytes as the server's), it deploys.
larch refs --repo "$DEVREPO" --delete origin:os/stable >/dev/null
rm "$obj3"
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
assert_exit 0 "$LARCH" fsck --repo "$DEVREPO"

log "a damaged object a deployment links: fsck and admin fsck name it"
app=$("$LARCH" ls --repo "$DEVREPO" --json "$V1" /usr/bin/app | jq -r '.[0].id')
[ -n "$app" ] && [ "$app" != null ] || fail "no file id for /usr/bin/app"
obj="$DEVREPO/objects/${app:0:2}/${app:2}.file"
[ -f "$obj" ] || fail "object $obj not found"
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc status=none
assert_exit 4 "$LARCH" fsck --repo "$DEVREPO"
assert_contains "$LAST_STDOUT" "objects/${app:0:2}/${app:2}.file" "fsck output"

log "admin fsck names it too; --repair fetches that one object again and relinks the deployment using it"
DEP1=$(admin_status ".deployments[] | select(.commit == \"$V1\") | .path")
[ -n "$DEP1" ] || fail "no deployment of $V1"
assert_exit 4 "$LARCH" admin fsck --sysroot "$S"
assert_contains "$LAST_STDOUT" "objects/${app:0:2}/${app:2}.file" "admin fsck output"
assert_contains "$LAST_STDERR" "larch admin fsck --repair" "admin fsck's hint"
damaged_inode=$(stat -c %i "$obj")
[ "$(stat -c %i "$S$DEP1/usr/bin/app")" = "$damaged_inode" ] || fail "the deployment does not link the damaged object"
assert_exit 0 "$LARCH" admin fsck --repair --sysroot "$S"
assert_contains "$LAST_STDOUT" "Repaired 1 object(s) from remote origin (1 requests" "admin fsck --repair output"
assert_contains "$LAST_STDOUT" "relinked: $DEP1/usr/bin/app" "admin fsck --repair output"
assert_contains "$LAST_STDOUT" ": ok" "admin fsck --repair output"
cmp "$W/tree1/usr/bin/app" "$S$DEP1/usr/bin/app" || fail "the deployment's /usr/bin/app was not repaired"
[ "$(stat -c %i "$S$DEP1/usr/bin/app")" = "$(stat -c %i "$obj")" ] || fail "the deployment does not link the repaired object"
assert_exit 0 "$LARCH" fsck --repo "$DEVREPO"

log "larch-prepare-root with a boot keyring: unsealed /usr, foreign files and unknown signers are not bootable"
mkdir -p "$W/keys" "$W/other-keys"
cp "$KEY.pub" "$W/keys/publisher.pub"
"$LARCH" key generate -o "$W/other" >/dev/null
cp "$W/other.pub" "$W/other-keys/other.pub"
DEP=$(deployment_path 0)
# prepare KEYRING: the helper in script mode in a private mount namespace;
# output in $T_OUT, exit status in $T_RC.
prepare() {
    printf 'root=/dev/vda2 larch=%s\n' "$DEP" > "$W/cmdline"
    T_RC=0
    T_OUT=$(unshare -m "$HELPER" --no-switch --log=stderr --cmdline "$W/cmdline" --keyring "$1" "$S" 2>&1) || T_RC=$?
    printf '%s\n' "$T_OUT" >&2
}
prepare "$W/keys"
assert_eq 1 "$T_RC" "helper exit status (nothing bootable)"
assert_contains "$T_OUT" "verified boot: 1 key(s) in $W/keys"
assert_contains "$T_OUT" "not sealed (this filesystem has no fs-verity)"
echo extra > "$S$DEP/usr/extra"
prepare "$W/keys"
assert_contains "$T_OUT" "verified /usr: usr/extra: not in the signed commit"
rm "$S$DEP/usr/extra"
prepare "$W/other-keys"
assert_contains "$T_OUT" "has no valid signature by a key of the initramfs keyring"
echo "not a key" > "$W/other-keys/broken.pub"
prepare "$W/other-keys"
assert_contains "$T_OUT" "boot keyring: $W/other-keys/broken.pub is not an Ed25519 public key in PEM"
assert_contains "$T_OUT" "nothing to boot"

log "without a keyring the helper does not check (verified boot is off)"
prepare "$W/no-such-dir"
assert_eq 0 "$T_RC" "helper exit status without a keyring"

log "PASS"
