#!/bin/bash
# `larch hawkbit` against the DDI test server (ddi_server.py, validated with
# swupdate's suricatta in test-ddi-server-swupdate.sh) and a real nginx that
# serves the publisher's signed releases. The device boots in a private
# mount namespace (lib-boot-sim.sh: the real larch-prepare-root counts the
# tries, larch-health runs the release's health check, boot-ok marks it).
#   1. pointer artifact: the device pulls the release from its remote with
#      a delta, exactly the bytes a plain `admin upgrade` fetches; the
#      feedback sequence is proceeding, downloaded, proceeding, proceeding,
#      and closed/success only after the reboot and boot-ok;
#   2. bundle artifact, its download cut short and resumed with a Range
#      request, outside the maintenance window first: downloaded only, then
#      deployed once the window opens;
#   3. an action for the release that already runs closes at once;
#   4. cancel before the deploy is accepted, after it rejected; a lost
#      action record (a crash right after the deploy) does not install
#      twice;
#   5. a bad release (health check fails): three failed boots, the helper
#      falls back, the server gets closed/failure with the reason, and the
#      same release assigned again is refused without a deploy;
#   6. refused installs (another key's signature, another compatible id, an
#      older version, a wrong artifact hash) end closed/failure with the
#      reason and leave the store, refs and deployments as they were;
#   7. attributes (configData), a wrong token, back-off while the server
#      is down.
# About a minute.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
# shellcheck source=lib-ddi.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-ddi.sh"
# shellcheck source=lib-boot-sim.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-boot-sim.sh"
# admin_lib.sh last: its publish (commit, sign, summary) is the one used here.
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
require_http_tools
require_ddi_tools
boot_sim_tools

# pointer FILE COMMIT VERSION: a pointer artifact for origin:os/stable.
pointer() {
    jq -n --arg c "$2" --arg v "$3" \
        '{format: "larch-pointer-1", remote: "origin", ref: "os/stable", commit: $c, version: $v}' >"$1"
}

# assign FILE [WINDOW] [ARTIFACT-JSON-EXTRA]: a forced action for dev1 with
# FILE as its one artifact; prints the action id.
assign() {
    local window=${2:-null} extra=${3:-"{}"} reply
    reply=$(ddi_mgmt POST /mgmt/actions "$(jq -nc --arg p "$1" --arg f "$(basename "$1")" --argjson w "$window" \
        --argjson x "$extra" '{tenant: "DEFAULT", controller: "dev1", type: "forced", maintenanceWindow: $w,
            chunks: [{part: "os", name: "release", version: "x",
                      artifacts: [({path: $p, filename: $f} + $x)]}]}')")
    jq -r .id <<<"$reply"
}

# poll: one `larch hawkbit --once` of the device; its output in the log.
poll() {
    assert_exit 0 "$LARCH" hawkbit --once --sysroot "$S" -c "$W/hawkbit.conf"
    printf '%s\n' "$LAST_STDOUT" | sed 's/^/   /' >&2
}

executions() { ddi_executions "$1" | tr '\n' ',' | sed 's/,$//'; }
action_status() { ddi_action "$1" | jq -r .status; }
last_detail() { ddi_feedback "$1" | jq -r '.[-1].status.details[0]'; }
deployments() { admin_status '[.deployments[].commit] | join(" ")'; }
boot() {
    boot_sim "$S" "$W" > >(sed 's/^/   /' >&2)   # not a pipe: boot_sim sets BOOTED here
    log "booted $BOOTED"
}
local_phase() { sqlite3 "file:$DEVREPO/state.db?mode=ro" "SELECT phase || ' ' || result FROM hawkbit_actions WHERE action_id = '$1'"; }

log "publisher: releases 1.0 and 2.0 (delta from 1.0), served by nginx"
make_publisher "$W"
release_tree "$W/t1" 1.0 0
release_tree "$W/t2" 2.0 0
release_tree "$W/t3" 3.0 0
release_tree "$W/t4" 4.0 1   # the bad release: its health check fails
C1=$(publish "$W/t1" 1.0)
start_nginx "$SRV"

# Two identical devices: S takes updates from hawkBit, S2 (the control)
# with a plain `larch admin upgrade`.
new_device() {
    make_device "$1"
    larch remote add --repo "$DEVREPO" origin "$NGINX_URL" --keyring "$RING" --compatible board-a --replace
    larch pull --repo "$DEVREPO" origin os/stable >/dev/null
    larch admin deploy origin:os/stable --sysroot "$S" >/dev/null
}
new_device "$W/control"
S2=$S
new_device "$W/sysroot"
unset LARCH_CMDLINE
boot
assert_eq "$C1" "$(admin_status '.deployments[0].commit')" "first boot"

start_ddi_server --sleep 00:00:01
printf 'tok-dev1\n' >"$W/token"
chmod 600 "$W/token"
ddi_add_target DEFAULT dev1 tok-dev1
cat >"$W/hawkbit.conf" <<EOF
server=$DDI_URL
controller-id=dev1
target-token-file=$W/token
retry-interval=1
retry-max=2
EOF
export LARCH_REBOOT_COMMAND="echo reboot >> $W/reboots"

log "an idle poll sends the attributes and installs nothing"
poll
assert_contains "$LAST_STDOUT" "configData"
attrs=$(ddi_target DEFAULT dev1 | jq -c .attributes)
assert_eq "1.0 $C1 board-a debian origin:os/stable" \
    "$(jq -r '"\(."larch.version") \(."larch.commit") \(."larch.compatible") \(."larch.os") \(."larch.origin")"' <<<"$attrs")" \
    "attributes the server got"

log "1. pointer artifact: 2.0 pulled from nginx with a delta, as admin upgrade would"
C2=$(publish "$W/t2" 2.0)
larch delta generate --repo "$SRV" --from "$C1" --to "$C2" --sign-key "$KEY.key" >/dev/null
larch summary --repo "$SRV" --update -k "$KEY.key" >/dev/null
pointer "$W/release-2.0.json" "$C2" 2.0
A1=$(assign "$W/release-2.0.json")
nginx_settle
mark=$(nginx_mark)
poll
nginx_settle
hb_bytes=$(nginx_bytes_sent "$mark") hb_requests=$(nginx_requests "$mark")
assert_contains "$LAST_STDOUT" "rebooting"
assert_eq "reboot" "$(cat "$W/reboots")" "the reboot command ran once"
assert_eq "$C2 $C1" "$(deployments)" "deployments after the hawkBit install"
mark=$(nginx_mark)
LARCH_CMDLINE="larch=$(cd "$S2" && ls -d ostree/deploy/debian/deploy/*.0 | sed 's|^|/|')" \
    "$LARCH" admin upgrade --sysroot "$S2" -q >/dev/null
nginx_settle
assert_eq "$(nginx_bytes_sent "$mark") $(nginx_requests "$mark")" "$hb_bytes $hb_requests" \
    "nginx bytes and requests: plain admin upgrade vs hawkBit pointer"
log "pointer install: $hb_bytes bytes in $hb_requests requests, the same as admin upgrade"
assert_eq "proceeding none,downloaded none,proceeding none,proceeding none" "$(executions "$A1")" \
    "feedback before the reboot"
assert_eq "running" "$(action_status "$A1")" "action before the reboot"
assert_eq "rebooting " "$(local_phase "$A1")" "the device's record before the reboot"
poll   # not booted yet: nothing new
assert_eq 4 "$(ddi_feedback "$A1" | jq length)" "feedback after a poll before the reboot"
boot
assert_eq "/ostree/deploy/debian/deploy/$C2.0" "$BOOTED" "the boot after the install"
poll
assert_eq "proceeding none,downloaded none,proceeding none,proceeding none,closed success" "$(executions "$A1")" \
    "feedback after the boot"
assert_contains "$(last_detail "$A1")" "booted version 2.0"
assert_eq "finished" "$(action_status "$A1")" "action after the boot"
assert_eq "$A1" "$(ddi_target DEFAULT dev1 | jq -r .installed_action)" "installedBase"
ddi_mgmt POST /mgmt/targets/DEFAULT/dev1/request-attributes >/dev/null
poll
assert_eq "2.0 $C2" "$(ddi_target DEFAULT dev1 | jq -r '"\(.attributes."larch.version") \(.attributes."larch.commit")"')" \
    "attributes after the update"

log "2. bundle artifact, cut short and resumed, outside then inside the maintenance window"
C3=$(publish "$W/t3" 3.0)
larch bundle create --repo "$SRV" --from "$C2" --to "$C3" --sign-key "$KEY.key" -q "$W/release-3.0.bundle"
size=$(stat -c %s "$W/release-3.0.bundle")
A2=$(assign "$W/release-3.0.bundle" '"unavailable"' "{\"cut_after\": $((size / 2))}")
rm -f "$W/reboots"
poll
assert_eq "proceeding none,downloaded none" "$(executions "$A2")" "feedback outside the window"
assert_eq "downloaded " "$(local_phase "$A2")" "the device's record outside the window"
assert_eq "$C2 $C1" "$(deployments)" "deployments while the window is closed"
assert_eq "$C3" "$(pulled_ref "$DEVREPO" origin:os/stable)" "the release is in the store"
downloads=$(ddi_action "$A2" | jq -c '[.downloads[] | [.status, .range_start > 0, .cut]]')
assert_eq '[[200,false,true],[206,true,false]]' "$downloads" "the bundle's download: cut, then resumed"
poll   # still closed: nothing
assert_eq 2 "$(ddi_feedback "$A2" | jq length)" "feedback after another poll outside the window"
ddi_mgmt PUT "/mgmt/actions/$A2" '{"maintenanceWindow": "available"}' >/dev/null
poll
assert_eq "$C3 $C2 $C1" "$(deployments)" "deployments once the window opened"
assert_eq "reboot" "$(cat "$W/reboots")" "rebooted once the window opened"
boot
poll
assert_eq "proceeding none,downloaded none,proceeding none,proceeding none,closed success" "$(executions "$A2")" \
    "feedback of the windowed bundle install"
[ -z "$(ls -A "$S/ostree/hawkbit")" ] || fail "downloads left in $S/ostree/hawkbit: $(ls "$S/ostree/hawkbit")"

log "3. assigned what already runs: closed/success at once, nothing deployed"
A3=$(assign "$W/release-3.0.bundle")
poll
assert_eq "closed success" "$(ddi_executions "$A3" | tail -n 1)" "the release already running"
assert_contains "$(last_detail "$A3")" "already installed and running"
assert_eq "$C3 $C2 $C1" "$(deployments)" "deployments after assigning what runs"

log "4. cancel: accepted before the deploy, rejected after it"
C4=$(publish "$W/t4" 4.0)
larch delta generate --repo "$SRV" --from "$C3" --to "$C4" --sign-key "$KEY.key" >/dev/null
larch summary --repo "$SRV" --update -k "$KEY.key" >/dev/null
pointer "$W/release-4.0.json" "$C4" 4.0
A4=$(assign "$W/release-4.0.json" '"unavailable"')
poll
assert_eq "downloaded " "$(local_phase "$A4")" "before the cancel"
ddi_mgmt POST "/mgmt/actions/$A4/cancel" >/dev/null
poll
assert_eq "canceled" "$(action_status "$A4")" "server after the device took the cancel"
assert_eq "closed success" "$(ddi_action "$A4" | jq -r '.cancel_feedback[-1].status | "\(.execution) \(.result.finished)"')" \
    "cancel feedback"
assert_eq "$C3 $C2 $C1" "$(deployments)" "nothing deployed for the cancelled action"
rm -f "$W/reboots"
A5=$(assign "$W/release-4.0.json")
poll
assert_eq "$C4 $C3 $C2" "$(deployments)" "4.0 deployed"
D4=/ostree/deploy/debian/deploy/$C4.0
log "   a crash right after the deploy loses the record: the re-poll does not deploy twice"
sqlite3 "$DEVREPO/state.db" "DELETE FROM hawkbit_actions WHERE action_id = '$A5'"
poll
assert_eq "$C4 $C3 $C2" "$(deployments)" "deployments after the re-poll"
assert_eq "rebooting " "$(local_phase "$A5")" "the record after the re-poll"
ddi_mgmt POST "/mgmt/actions/$A5/cancel" >/dev/null
poll
assert_eq "rejected" "$(ddi_action "$A5" | jq -r '.cancel_feedback[-1].status.execution')" "cancel after the deploy"
assert_eq "running" "$(action_status "$A5")" "the action goes on after the rejected cancel"

log "5. the bad release: its health check fails, the helper falls back after three tries"
for try in 1 2 3; do
    boot
    assert_eq "$D4" "$BOOTED" "boot $try of 4.0"
    poll
    assert_eq "rebooting " "$(local_phase "$A5")" "record after failed boot $try"
done
boot
assert_eq "/ostree/deploy/debian/deploy/$C3.0" "$BOOTED" "the boot after three failed ones falls back to 3.0"
poll
assert_eq "closed failure" "$(ddi_executions "$A5" | tail -n 1)" "closing feedback of the bad release"
assert_contains "$(last_detail "$A5")" "did not boot; the device fell back to /ostree/deploy/debian/deploy/$C3.0"
assert_eq "error" "$(action_status "$A5")" "server status of the bad release"
assert_contains "$("$LARCH" admin status --sysroot "$S")" "$C4"
count=$(ddi_feedback "$A5" | jq length)
poll   # the server closed it: nothing offered, nothing installed
assert_eq "$count" "$(ddi_feedback "$A5" | jq length)" "feedback after the next poll"
rm -f "$W/reboots"
A6=$(assign "$W/release-4.0.json")
poll
assert_eq "closed failure" "$(ddi_executions "$A6" | tail -n 1)" "the bad release assigned again"
assert_contains "$(last_detail "$A6")" "failed to boot on this device before"
[ ! -e "$W/reboots" ] || fail "the bad release assigned again rebooted the device"
assert_eq "$BOOTED" "/ostree/deploy/debian/deploy/$C3.0" "still running 3.0"

log "6. refused installs change nothing and report the reason"
# refused_install ARTIFACT NEEDLE [ARTIFACT-JSON-EXTRA]
refused_install() {
    local before a
    before=$(sysroot_state)
    a=$(assign "$1" null "${3:-"{}"}")
    poll
    assert_eq "closed failure" "$(ddi_executions "$a" | tail -n 1)" "$(basename "$1")"
    assert_contains "$(last_detail "$a")" "$2"
    assert_eq "error" "$(action_status "$a")" "server status: $(basename "$1")"
    assert_eq "$before" "$(sysroot_state)" "sysroot after the refused $(basename "$1")"
}
larch key generate -o "$W/other" >/dev/null
larch init --repo "$W/other-srv" --mode archive >/dev/null
c=$(larch commit --repo "$W/other-srv" --branch os/stable --tree "$W/t3" --version 9.0 --metadata compatible=board-a)
larch sign --repo "$W/other-srv" "$c" -k "$W/other.key" >/dev/null
larch bundle create --repo "$W/other-srv" --from empty --to "$c" --sign-key "$W/other.key" -q "$W/other-key.bundle"
refused_install "$W/other-key.bundle" "signature"
larch init --repo "$W/board-b-srv" --mode archive >/dev/null
c=$(larch commit --repo "$W/board-b-srv" --branch os/stable --tree "$W/t3" --version 9.0 --metadata compatible=board-b)
larch sign --repo "$W/board-b-srv" "$c" -k "$KEY.key" >/dev/null
larch bundle create --repo "$W/board-b-srv" --from empty --to "$c" --sign-key "$KEY.key" -q "$W/board-b.bundle"
refused_install "$W/board-b.bundle" "compatibility rule"
larch bundle create --repo "$SRV" --from empty --to "$C2" --sign-key "$KEY.key" -q "$W/older.bundle"
refused_install "$W/older.bundle" "older"
refused_install "$W/release-3.0.bundle" "its SHA-256 is" "{\"sha256\": \"$(printf '%064d' 0)\"}"
pointer "$W/not-the-head.json" "$C2" 2.0
refused_install "$W/not-the-head.json" "not the expected $C2"

log "7. a wrong token is refused; the loop backs off while the server is down"
printf 'wrong\n' >"$W/token"
assert_exit 5 "$LARCH" hawkbit --once --sysroot "$S" -c "$W/hawkbit.conf"
assert_contains "$LAST_STDERR" "HTTP 401"
chmod 644 "$W/token"
assert_exit 2 "$LARCH" hawkbit --once --sysroot "$S" -c "$W/hawkbit.conf"
assert_contains "$LAST_STDERR" "mode 0644"
printf 'tok-dev1\n' >"$W/token"
chmod 600 "$W/token"
stop_ddi_server
assert_exit 1 "$LARCH" hawkbit --polls 3 --sysroot "$S" -c "$W/hawkbit.conf"
assert_contains "$LAST_STDERR" "(retrying in 1 s)"
assert_contains "$LAST_STDERR" "(retrying in 2 s)"
assert_eq "$BOOTED" "/ostree/deploy/debian/deploy/$C3.0" "still running 3.0 at the end"
log "ok"
