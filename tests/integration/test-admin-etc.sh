#!/bin/bash
# The /etc three-way merge through the real binary: a user's edits to the
# running deployment's /etc meet an update's new defaults. Every case of
# docs/deploy.md's table, a conflict reported on stdout and in the history,
# the new default saved beside the user's file, and /usr/etc holding the
# pristine defaults. (Each rule alone: deploy/etc_merge_test.cc.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
T=$W/tree
mkdir -p "$T/usr/lib/modules/6.1.0" "$T/etc/ssh" "$T/etc/default" "$T/etc/cron.d"
echo kernel > "$T/usr/lib/modules/6.1.0/vmlinuz"
for f in hostname motd issue fstab; do echo "$f v1" > "$T/etc/$f"; done
echo "PermitRootLogin no" > "$T/etc/ssh/sshd_config"
echo "GRUB_TIMEOUT=5" > "$T/etc/default/grub"
echo "* * * * * root true" > "$T/etc/cron.d/job"
ln -s /usr/share/zoneinfo/UTC "$T/etc/localtime"
ln -s ../run/resolv.conf "$T/etc/resolv.conf"
install -m 0600 /dev/null "$T/etc/shadow-like"

S=$W/sysroot
mkdir -p "$S"
larch admin init-fs "$S" >/dev/null
larch admin os-init debian --sysroot "$S"
REPO=$S/ostree/repo
larch commit --repo "$REPO" --branch os --tree "$T" --version 1 >/dev/null
larch admin deploy os --sysroot "$S" >/dev/null
D1=$(admin_status '.deployments[0].path')
boot_into "$D1"
E=$S$D1/etc

log "the user's changes"
echo "user motd" > "$E/motd"                                  # modified
echo "mine" > "$E/local.conf"                                 # added
rm "$E/issue"                                                 # deleted
echo "PermitRootLogin yes" > "$E/ssh/sshd_config"            # modified; the update changes it too
chmod 0640 "$E/shadow-like"                                   # mode changed
ln -sfn /usr/share/zoneinfo/Europe/Paris "$E/localtime"      # symlink retargeted
rm "$E/cron.d/job"; rmdir "$E/cron.d"; echo "not a dir" > "$E/cron.d"   # type changed by the user

log "the update's changes"
echo "hostname v2" > "$T/etc/hostname"                        # untouched by the user: follows
echo "PermitRootLogin prohibit-password" > "$T/etc/ssh/sshd_config"   # conflict
rm "$T/etc/fstab"; mkdir "$T/etc/fstab"; echo "/dev/root /" > "$T/etc/fstab/00-root"   # type changed
rm "$T/etc/resolv.conf"; ln -s ../run/systemd/resolve/resolv.conf "$T/etc/resolv.conf" # symlink retargeted
echo "new" > "$T/etc/default/new-tool"                        # added
rm "$T/etc/default/grub"                                      # removed
larch commit --repo "$REPO" --branch os --tree "$T" --version 2 >/dev/null
OUT=$(larch admin deploy os --sysroot "$S")
D2=$(admin_status '.deployments[0].path')
N=$S$D2/etc

assert_contains "$OUT" "/etc conflict: /etc/ssh/sshd_config" "deploy output"
assert_eq "user motd" "$(cat "$N/motd")" "user-modified motd"
assert_eq "mine" "$(cat "$N/local.conf")" "user-added local.conf"
[ ! -e "$N/issue" ] || fail "user-deleted issue came back"
assert_eq "PermitRootLogin yes" "$(cat "$N/ssh/sshd_config")" "conflict: the user's version stays"
assert_eq "PermitRootLogin prohibit-password" "$(cat "$N/ssh/sshd_config.larch-new")" "conflict: the new default beside it"
assert_eq "640" "$(stat -c %a "$N/shadow-like")" "user-changed mode"
assert_eq "/usr/share/zoneinfo/Europe/Paris" "$(readlink "$N/localtime")" "user-retargeted symlink"
assert_eq "not a dir" "$(cat "$N/cron.d")" "user's type change"
assert_eq "hostname v2" "$(cat "$N/hostname")" "untouched file follows the update"
assert_eq "/dev/root /" "$(cat "$N/fstab/00-root")" "update's type change"
assert_eq "../run/systemd/resolve/resolv.conf" "$(readlink "$N/resolv.conf")" "update's symlink change"
assert_eq "new" "$(cat "$N/default/new-tool")" "update's addition"
[ ! -e "$N/default/grub" ] || fail "file removed by the update is still there"
tree_compare "$T/etc" "$S$D2/usr/etc" --links superset
[ "$(stat -c %h "$N/hostname")" = 1 ] || fail "merged /etc file is a hard link"
DETAIL=$(larch admin history --sysroot "$S" --json | jq -r '.deployments[0].detail')
assert_contains "$DETAIL" "ssh/sshd_config" "history detail"
# The old deployment's /etc is left as the user had it.
assert_eq "user motd" "$(cat "$E/motd")" "old deployment's /etc"
log "ok"
