#!/bin/bash
# `larch admin upgrade --check`, `--download-only` and `--reboot` against a
# real nginx on 127.0.0.1 serving a publisher's signed releases and a delta:
#   --check reports the update and its bytes (the delta's size on disk, or
#     objects) and changes nothing (files, refs, deployments, boot
#     configuration, state.db); exit 0 with an update, 77 without, 1 when
#     the server cannot be reached;
#   --download-only pulls (ref and trust state as a pull) but deploys
#     nothing; the upgrade after it fetches no update content from nginx;
#   --reboot runs $LARCH_REBOOT_COMMAND after a deploy, and not when there
#     was nothing to deploy;
#   modes that make no sense together are refused before anything runs.
# A few seconds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
# admin_lib.sh last: its publish (commit, sign, summary) is the one used here.
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
require_http_tools

# device_state: the sysroot as --check must leave it: every file (name,
# type, size, mode, owner, content) but the pull's download cache
# (ostree/repo/tmp, where a dry run keeps the superblock it verified) and
# state.db, which is compared by its rows, history included; and the refs.
device_state() {
    (cd "$S" && find . \( -path ./ostree/repo/tmp -o -path './ostree/repo/state.db*' \) -prune -o \
            -type d -printf '%p d - %m %u\n' -o -printf '%p %y %s %m %u %l\n' | LC_ALL=C sort &&
        find . \( -path ./ostree/repo/tmp -o -path './ostree/repo/state.db*' \) -prune -o \
            -type f -exec sha256sum {} + | LC_ALL=C sort)
    sqlite3 "file:$DEVREPO/state.db?mode=ro" .dump
    "$LARCH" refs --repo "$DEVREPO" --json
}

# same_state BEFORE WHAT: device_state is still BEFORE; else the difference.
same_state() {
    local now
    now=$(device_state)
    [ "$1" == "$now" ] || { diff <(printf '%s\n' "$1") <(printf '%s\n' "$now") >&2 || true; fail "$2: changed"; }
}

# boot_config: the deployments, the boot entries and the boot-state.
boot_config() {
    (cd "$S" && find boot ostree/boot ostree/deploy/debian/deploy -maxdepth 3 -printf '%p %y %l\n' | LC_ALL=C sort &&
        find boot ostree/boot -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# upgrade_json ARGS...: `larch admin upgrade --json ARGS` expected to exit
# $WANT (default 0); its output in $J.
upgrade_json() {
    assert_exit "${WANT:-0}" "$LARCH" admin upgrade --sysroot "$S" --json "$@"
    J=$LAST_STDOUT
}
field() { jq -r "$1" <<<"$J"; }

# content_requests MARK: requests for update content (objects other than
# the commit and its signatures, delta parts, dictionaries) nginx served
# after MARK; they are listed on stderr.
content_requests() {
    awk -v since="$1" 'NR > since { print $8 }' "$NGINX_LOG" |
        grep -E '^/(objects/|deltas/[^ ]*/[0-9]|dictionaries/)' | grep -vE '\.commit(meta)?$' | tee /dev/stderr | wc -l
}

make_publisher "$W"
small_tree "$W/t1" 1.0
C1=$(publish "$W/t1" 1.0)
start_nginx "$SRV"
make_device "$W/sysroot"
larch remote add --repo "$DEVREPO" origin "$NGINX_URL" --keyring "$RING" --compatible board-a --replace
larch pull --repo "$DEVREPO" origin os/stable >/dev/null
larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
boot_into "$(deployment_path 0)"

REBOOTS=$W/reboots
printf '#!/bin/sh\necho "reboot $*" >> %s\n' "$REBOOTS" > "$W/reboot.sh"
chmod 755 "$W/reboot.sh"
export LARCH_REBOOT_COMMAND="$W/reboot.sh"

log "up to date: --check exits 77 and says so; --reboot does not reboot"
before=$(device_state)
WANT=77 upgrade_json --check
assert_eq "check true false $C1" "$(field '"\(.mode) \(.up_to_date) \(.available) \(.commit)"')" "--check, up to date"
assert_eq 0 "$(field .download_bytes)" "bytes to download when up to date"
assert_exit 77 "$LARCH" admin upgrade --sysroot "$S" --check
assert_contains "$LAST_STDOUT" "origin:os/stable is up to date"
same_state "$before" "device after --check with nothing new"
config=$(boot_config)
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --reboot
assert_contains "$LAST_STDOUT" "is up to date"
[ ! -e "$REBOOTS" ] || fail "--reboot rebooted with nothing deployed"
assert_eq "$config" "$(boot_config)" "boot configuration after an upgrade with nothing new"

log "release 2 with a delta from release 1"
small_tree "$W/t2" 2.0
C2=$(publish "$W/t2" 2.0)
larch delta generate --repo "$SRV" --from "$C1" --to "$C2" --sign-key "$KEY.key" >/dev/null
larch summary --repo "$SRV" --update -k "$KEY.key" >/dev/null
DELTA=$(find "$SRV/deltas" -mindepth 1 -maxdepth 1 -name "*$C2*")
[ -d "$DELTA" ] || fail "no delta to $C2 in $SRV/deltas"
DELTA_BYTES=$(find "$DELTA" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
log "delta $(basename "$DELTA"): $DELTA_BYTES bytes on disk"

log "--check: available, the delta's size, nothing changed, no delta part fetched"
before=$(device_state)
config=$(boot_config)
mark=$(nginx_mark)
upgrade_json --check
assert_eq "check true $C2 2.0 $C1" "$(field '"\(.mode) \(.available) \(.commit) \(.version) \(.current)"')" "--check"
assert_eq "delta $C1 false" "$(field '"\(.method) \(.delta_from) \(.downloaded)"')" "--check: how"
assert_eq "$DELTA_BYTES" "$(field .download_bytes)" "--check: bytes to download = the delta on disk"
nginx_settle
assert_eq 0 "$(content_requests "$mark")" "delta parts or objects fetched by --check"
same_state "$before" "device after --check"
assert_eq "$config" "$(boot_config)" "boot configuration after --check"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --check
assert_contains "$LAST_STDOUT" "Update available for origin:os/stable: $C2 (version 2.0)"
assert_contains "$LAST_STDOUT" "Would download $DELTA_BYTES bytes"
same_state "$before" "device after a second --check"

log "--download-only: pulled and trusted, not deployed"
upgrade_json --download-only
assert_eq "download-only false $C2 delta" "$(field '"\(.mode) \(.up_to_date) \(.commit) \(.method)"')" "--download-only"
assert_eq "$C2" "$(pulled_ref "$DEVREPO" origin:os/stable)" "origin:os/stable after --download-only"
assert_eq "2.0" "$(sqlite3 "file:$DEVREPO/state.db?mode=ro" "SELECT version FROM refs WHERE remote = 'origin'")" \
    "installed version in the trust state"
assert_eq "$config" "$(boot_config)" "boot configuration after --download-only"
assert_eq "$C1" "$(admin_status '.deployments[0].commit')" "the default after --download-only"
larch fsck --repo "$DEVREPO" >/dev/null
upgrade_json --check
assert_eq "true true 0" "$(field '"\(.available) \(.downloaded) \(.download_bytes)"')" "--check after --download-only"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --check
assert_contains "$LAST_STDOUT" "Already downloaded"

log "upgrade deploys what was downloaded, fetching none of it again"
nginx_settle
mark=$(nginx_mark)
upgrade_json
assert_eq "$C2 2.0" "$(field '"\(.commit) \(.version)"')" "deployed"
assert_eq "$C2 true" "$(admin_status '.deployments[0] | "\(.commit) \(.pending)"')" "release 2 is the default"
nginx_settle
assert_eq 0 "$(content_requests "$mark")" "update content fetched again"
log "nginx after --download-only: $(nginx_requests "$mark") requests, $(nginx_bytes_sent "$mark") bytes" \
    "($(awk -v s="$mark" 'NR > s { print $8 }' "$NGINX_LOG" | tr -d '"' | tr '\n' ' '))"
wire_report "$SRV" "$mark" >/dev/null
[ ! -e "$REBOOTS" ] || fail "rebooted without --reboot"
WANT=77 upgrade_json --check
assert_eq "false $C2" "$(field '"\(.available) \(.current)"')" "--check after the upgrade"

log "release 3 without a delta: --check counts objects; --reboot deploys and reboots once"
small_tree "$W/t3" 3.0
C3=$(publish "$W/t3" 3.0)
upgrade_json --check
assert_eq "true objects $C3" "$(field '"\(.available) \(.method) \(.commit)"')" "--check without a delta"
[ "$(field .download_bytes)" -gt 0 ] || fail "--check: no bytes to download for release 3"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --reboot
assert_contains "$LAST_STDOUT" "Rebooting: $W/reboot.sh"
assert_eq "reboot " "$(cat "$REBOOTS")" "the reboot command, called once"
assert_eq "$C3" "$(admin_status '.deployments[0].commit')" "release 3 is the default"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --reboot
assert_eq 1 "$(wc -l < "$REBOOTS")" "reboots after an upgrade with nothing new"

log "a reboot command that fails: the upgrade stays deployed, the exit says it failed"
small_tree "$W/t4" 4.0
C4=$(publish "$W/t4" 4.0)
LARCH_REBOOT_COMMAND=false assert_exit 1 "$LARCH" admin upgrade --sysroot "$S" --reboot
assert_contains "$LAST_STDERR" "the reboot command 'false' failed"
assert_eq "$C4" "$(admin_status '.deployments[0].commit')" "release 4 is the default"

log "refused combinations change nothing"
refused_admin 2 "excludes" upgrade --check --bundle "$W/none.bundle"
refused_admin 2 "excludes" upgrade --download-only --reboot
refused_admin 2 "excludes" upgrade --check --reboot
refused_admin 2 "excludes" upgrade --check --download-only

log "--check without the server: a failure (1), not 'no update' (77)"
stop_nginx
assert_exit 1 "$LARCH" admin upgrade --sysroot "$S" --check
assert_contains "$LAST_STDERR" "larch admin upgrade: error:"
log "ok"
