#!/bin/bash
# `larch admin upgrade` from a remote and from an offline bundle (the USB
# stick case), through the real binary on small trees: the bundle goes
# through the same checks as a pull (a tampered or unsigned one is refused
# and changes nothing), the commit is then deployed, and an upgrade with
# nothing new says so and deploys nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start


make_publisher "$W"
small_tree "$W/t1" 1.0
C1=$(publish "$W/t1" 1.0)
make_device "$W/sysroot"
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
boot_into "$(deployment_path 0)"

log "nothing new: upgrade deploys nothing"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "is up to date"
assert_eq 1 "$(admin_status '.deployments | length')" "deployments"

log "v2 as a signed bundle"
small_tree "$W/t2" 2.0
C2=$(publish "$W/t2" 2.0)
larch bundle create --repo "$SRV" --from "$C1" --to "$C2" --sign-key "$KEY.key" "$W/v2.bundle" 2>/dev/null
larch bundle create --repo "$SRV" --from "$C1" --to "$C2" "$W/unsigned.bundle" 2>/dev/null
cp "$W/v2.bundle" "$W/tampered.bundle"
printf 'X' | dd of="$W/tampered.bundle" bs=1 seek=$(( $(stat -c %s "$W/tampered.bundle") - 10 )) conv=notrunc 2>/dev/null
refused_admin 5 "signature" upgrade --bundle "$W/unsigned.bundle"
before=$(sysroot_state)
assert_exit 4 "$LARCH" admin upgrade --bundle "$W/tampered.bundle" --sysroot "$S"
assert_eq "$before" "$(sysroot_state)" "sysroot after a tampered bundle"
assert_exit 0 "$LARCH" admin upgrade --bundle "$W/v2.bundle" --sysroot "$S" --json
assert_eq "$C2 2.0 origin:os/stable" "$(jq -r '"\(.commit) \(.version) \(.origin)"' <<<"$LAST_STDOUT")" "deployed from the bundle"
assert_eq "$C2 true" "$(admin_status '.deployments[0] | "\(.commit) \(.pending)"')" "the bundle's commit is pending"
assert_eq "2.0" "$(cat "$S$(deployment_path 0)/etc/os-release" | cut -d= -f2)" "its /etc"
larch fsck --repo "$DEVREPO" >/dev/null

log "then from the remote: v3"
small_tree "$W/t3" 3.0
C3=$(publish "$W/t3" 3.0)
larch admin upgrade --sysroot "$S" >/dev/null
assert_eq "$C3" "$(admin_status '.deployments[0].commit')" "pulled and deployed v3"
assert_eq "upgrade upgrade deploy" "$(larch admin history --sysroot "$S" --json | jq -r '[.deployments[] | select(.outcome == "ok") | .action] | join(" ")')" "history"
log "ok"
