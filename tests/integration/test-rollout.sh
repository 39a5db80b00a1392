#!/bin/bash
# Rollout control without a fleet server (docs/rollouts.md), with the real
# binary, a real nginx serving the publisher's store, and devices that boot
# in a private mount namespace (lib-boot-sim.sh):
#   1. a staged rollout: a device outside the 10% wave hears "update
#      available, not yet for this device (staged at 10%)" from --check
#      and status and installs nothing; one inside installs; a halt stops
#      new installs; --ignore-rollout installs anyway;
#   2. a recall: a device on the recalled release goes back to the named
#      one and marks it good, a device still on the older release is left
#      alone; a recall signed below the remote's threshold, a recall to a
#      commit the ref never had, and a replayed older summary are refused
#      with the device unchanged;
#   3. the update window and install hooks, with the controllable clock
#      (LARCH_TEST_NOW, TZ=UTC): a deploy outside the window is deferred
#      (status says when it opens), --now overrides; a check hook that
#      refuses defers; a pre-deploy hook that hangs is stopped at its limit
#      and nothing is deployed; the hooks' environment, output and exit are
#      in admin history; boot-ok and fell-back hooks after the reboots.
# The fleet of 10,000 devices is repo/trust/rollout_test.cc.
# About a minute.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
# shellcheck source=lib-boot-sim.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-boot-sim.sh"
# shellcheck source=admin_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"

admin_test_start
require_http_tools
boot_sim_tools
export TZ=UTC

# The publisher signs with two keys; devices require both (threshold 2).
SRV=$W/server RING=$W/keyring
mkdir -p "$RING"
larch key generate -o "$W/k1" >/dev/null
larch key generate -o "$W/k2" >/dev/null
cp "$W/k1.pub" "$W/k2.pub" "$RING/"
larch init --repo "$SRV" --mode archive >/dev/null
SIGN=(-k "$W/k1.key" -k "$W/k2.key")

# release TREE VERSION [BRANCH]: commit, sign with both keys; prints the id.
release() {
    local id
    id=$("$LARCH" commit --repo "$SRV" --branch "${3:-os/stable}" --tree "$1" --version "$2" --metadata compatible=board-a)
    "$LARCH" sign --repo "$SRV" "$id" "${SIGN[@]}" >/dev/null
    printf '%s\n' "$id"
}
summary() { larch summary --repo "$SRV" --update "${SIGN[@]}" "$@" >/dev/null; }

# device NAME: a sysroot $W/NAME on the head of os/stable, booted once.
device() {
    local s=$W/$1
    mkdir -p "$s"
    "$LARCH" admin init-fs "$s" >/dev/null
    "$LARCH" admin os-init debian --sysroot "$s"
    "$LARCH" remote add --repo "$s/ostree/repo" origin "$NGINX_URL" --keyring "$RING" --threshold 2 \
        --compatible board-a
    "$LARCH" pull --repo "$s/ostree/repo" origin os/stable >/dev/null
    "$LARCH" admin deploy origin:os/stable --sysroot "$s" >/dev/null
    on "$1"
    boot
}
# device_id NAME ID: its id for staged rollouts (larch.conf device-id=).
device_id() { printf 'device-id=%s\n' "$2" >"$W/$1/ostree/larch.conf"; }

# on NAME: the device the next commands address ($S, $DEVREPO, its boots).
on() {
    S=$W/$1 DEVREPO=$W/$1/ostree/repo
    mkdir -p "$W/boot-$1"
    if [ -s "$W/boot-$1/booted" ]; then export LARCH_CMDLINE="larch=$(cat "$W/boot-$1/booted")"; else unset LARCH_CMDLINE; fi
}
boot() {
    boot_sim "$S" "$W/boot-${S##*/}" > >(sed 's/^/   /' >&2)
    log "${S##*/} booted $BOOTED"
}
running() { admin_status '.deployments[] | select(.booted) | .version'; }
default_version() { admin_status '.deployments[0].version'; }
# device_state: the sysroot's files (state.db aside) and the trust rows.
device_state() {
    sysroot_state
    sqlite3 "file:$DEVREPO/state.db?mode=ro" "SELECT remote, summary_serial FROM remotes; SELECT * FROM refs"
}

for v in 1.0 2.0 3.0; do release_tree "$W/t$v" "$v" 0; done
release_tree "$W/t4.0" 4.0 1   # its health check fails
C1=$(release "$W/t1.0" 1.0)
summary
start_nginx "$SRV"
for d in probe out in1 in2; do device "$d"; done

log "1. staged rollout of 2.0 at 10%"
C2=$(release "$W/t2.0" 2.0)
summary --rollout os/stable=10
assert_contains "$("$LARCH" summary --repo "$SRV")" "rollout os/stable ${C2:0:16}: 10%"
# Device ids in and out of 2.0's 10% wave, found the way devices decide.
in_ids=() out_id=""
on probe
for i in $(seq 1 80); do
    device_id probe "dev-$i"
    if "$LARCH" admin upgrade --sysroot "$S" --check >/dev/null 2>&1; then
        in_ids+=("dev-$i")
    elif [ -z "$out_id" ]; then
        out_id=dev-$i
    fi
    [ "${#in_ids[@]}" -lt 2 ] || [ -z "$out_id" ] || break
done
[ "${#in_ids[@]}" -ge 2 ] && [ -n "$out_id" ] || fail "no two device ids in the 10% wave among 80 (in: ${in_ids[*]})"
log "in the wave: ${in_ids[*]}; outside: $out_id"

device_id out "$out_id"
device_id in1 "${in_ids[0]}"
device_id in2 "${in_ids[1]}"
on out
assert_exit 77 "$LARCH" admin upgrade --sysroot "$S" --check
assert_contains "$LAST_STDOUT" "update available (version 2.0), not yet for this device (staged at 10%)"
before=$(device_state)
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "not yet for this device (staged at 10%)"
assert_eq "1.0" "$(default_version)" "the default outside the wave"
assert_contains "$("$LARCH" admin status --sysroot "$S")" "withheld: update available (version 2.0), not yet for this device (staged at 10%)"
assert_eq "$before" "$(device_state)" "device outside the wave (state.db aside: the offer is recorded there)"

on in1
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_eq "2.0" "$(default_version)" "the default inside the wave"
boot
assert_eq "2.0" "$(running)" "device in the wave runs 2.0"

log "   halt: the next device of the wave installs nothing; --ignore-rollout installs anyway"
summary --rollout os/stable=halt
on in2
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "its rollout is halted at 10%"
assert_eq "1.0" "$(default_version)" "a device of the wave after the halt"
on out
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --ignore-rollout
assert_eq "2.0" "$(default_version)" "--ignore-rollout"
boot
summary   # the rollout control stays while the head does
assert_contains "$("$LARCH" summary --repo "$SRV")" "rollout os/stable ${C2:0:16}: 10%, halted"

log "2. recall of 2.0 back to 1.0"
# in1 and out run 2.0; in2 is on 1.0 and never installed 2.0.
on in1
before=$(device_state)
log "   signed by one key of two: refused"
larch summary --repo "$SRV" --update -k "$W/k1.key" --recall os/stable --to "$C1" >/dev/null
assert_exit 5 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDERR" "signature"
assert_eq "$before" "$(device_state)" "device after a recall below the threshold"
log "   to a commit the ref never had: refused"
C_OTHER=$(release "$W/t3.0" 0.9 os/other)
assert_exit 0 "$LARCH" summary --repo "$SRV" --update "${SIGN[@]}" --recall os/stable --to "$C_OTHER"
assert_contains "$LAST_STDERR" "is not an earlier release of os/stable"
assert_exit 5 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDERR" "not an earlier release of os/stable"
assert_eq "2.0" "$(default_version)" "the default after a recall to a foreign commit"
log "   the right recall, countersigned: in1 goes back to 1.0 and marks it good"
cp "$SRV/summary" "$W/summary-before-recall"
larch summary --repo "$SRV" --update -k "$W/k1.key" --recall os/stable --to "$C1" >/dev/null
larch summary --repo "$SRV" -k "$W/k2.key" >/dev/null
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "is recalled: back to ${C1:0:12} (version 1.0)"
assert_eq "1.0" "$(default_version)" "the default after the recall"
boot
assert_eq "1.0" "$(running)" "in1 after the recall"
assert_contains "$("$LARCH" admin history --sysroot "$S")" "recall"
assert_contains "$("$LARCH" history --repo "$DEVREPO")" "recall: release ${C2:0:12} (version 2.0) of os/stable is recalled"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_eq "1.0" "$(default_version)" "in1 stays on 1.0 while 2.0 is recalled"
on in2
deployments=$(admin_status '[.deployments[].commit] | join(" ")')
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "is recalled; nothing to install"
assert_eq "$deployments" "$(admin_status '[.deployments[].commit] | join(" ")')" "in2, never on 2.0"
log "   a replayed older summary (2.0, no recall) is refused"
on in1
before=$(device_state)
cp "$SRV/summary" "$W/summary-recall"
cp "$W/summary-before-recall" "$SRV/summary"
assert_exit 5 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDERR" "serial"
assert_eq "$before" "$(device_state)" "device after a replayed summary"
cp "$W/summary-recall" "$SRV/summary"

log "3. update window and hooks (clock: LARCH_TEST_NOW, TZ=UTC)"
C3=$(release "$W/t3.0" 3.0)
summary
on out   # runs 2.0
hooks=$S$(admin_status '.deployments[] | select(.booted) | .path')/etc/larch/hooks.d
printf 'update-window=Mon-Fri 01:00-04:00\nhook-timeout=1\n' >>"$S/ostree/larch.conf"
export LARCH_TEST_NOW
LARCH_TEST_NOW=$(date -u -d '2026-12-07 12:00' +%s)   # a Monday, noon
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "not deployed: outside the update window (Mon-Fri 01:00-04:00); next: Tue 2026-12-08 01:00"
assert_eq "2.0" "$(default_version)" "outside the window"
status=$("$LARCH" admin status --sysroot "$S")
assert_contains "$status" "Update window: Mon-Fri 01:00-04:00; next opens Tue 2026-12-08 01:00"
assert_contains "$status" "deferred: outside the update window"
LARCH_TEST_NOW=$(date -u -d '2026-12-08 02:00' +%s)   # Tuesday, inside
mkdir -p "$hooks/check" "$hooks/pre-deploy" "$hooks/post-deploy" "$hooks/pre-reboot"
printf '#!/bin/sh\necho "busy: a recording is running"\nexit 1\n' >"$hooks/check/10-busy"
chmod 755 "$hooks/check/10-busy"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S"
assert_contains "$LAST_STDOUT" "not deployed: deferred by hook check/10-busy exited 1: busy: a recording is running"
assert_eq "2.0" "$(default_version)" "deferred by the check hook"
rm "$hooks/check/10-busy"
printf '#!/bin/sh\necho "waiting for the app"\nexec sleep 30\n' >"$hooks/pre-deploy/10-hang"
chmod 755 "$hooks/pre-deploy/10-hang"
before=$(cd "$S" && find boot ostree/deploy -maxdepth 4 | LC_ALL=C sort)
SECONDS_BEFORE=$SECONDS
assert_exit 1 "$LARCH" admin upgrade --sysroot "$S"
[ $((SECONDS - SECONDS_BEFORE)) -lt 10 ] || fail "the hanging hook was not stopped at its limit"
assert_contains "$LAST_STDERR" "hook pre-deploy/10-hang did not finish within 1 s"
assert_contains "$LAST_STDERR" "nothing was deployed"
assert_eq "$before" "$(cd "$S" && find boot ostree/deploy -maxdepth 4 | LC_ALL=C sort)" "deployments after the hung hook"
rm "$hooks/pre-deploy/10-hang"
for stage in pre-deploy post-deploy pre-reboot; do
    # shellcheck disable=SC2016  # expanded by the hook
    printf '#!/bin/sh\necho "%s: $LARCH_HOOK_STAGE $LARCH_FROM_VERSION -> $LARCH_TO_VERSION $LARCH_TO_COMMIT"\n' \
        "$stage" >"$hooks/$stage/10-log"
    chmod 755 "$hooks/$stage/10-log"
done
export LARCH_REBOOT_COMMAND="echo reboot >> $W/reboots"
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --reboot
assert_eq "3.0" "$(default_version)" "deployed inside the window"
assert_eq "reboot" "$(cat "$W/reboots")" "rebooted after the pre-reboot hook"
history=$("$LARCH" admin history --sysroot "$S" -n 50)
for stage in pre-deploy post-deploy pre-reboot; do
    assert_contains "$history" "hook $stage/10-log (exit 0"
    assert_contains "$history" "| $stage: $stage 2.0 -> 3.0 $C3"
done
assert_contains "$history" "hook pre-deploy/10-hang (stopped at its time limit"
assert_contains "$history" "| waiting for the app"
assert_contains "$history" "hook check/10-busy (exit 1"
assert_contains "$history" "| busy: a recording is running"
log "   boot-ok hooks of the new deployment, fell-back hooks of the one that runs"
new_etc=$S$(admin_status '.deployments[0].path')/etc/larch/hooks.d
mkdir -p "$new_etc/boot-ok" "$new_etc/fell-back"
printf '#!/bin/sh\necho "good: $LARCH_FROM_VERSION -> $LARCH_TO_VERSION"\n' >"$new_etc/boot-ok/10-tell"
printf '#!/bin/sh\necho "fell back from $LARCH_FROM_VERSION to $LARCH_TO_VERSION"\n' >"$new_etc/fell-back/10-tell"
chmod 755 "$new_etc/boot-ok/10-tell" "$new_etc/fell-back/10-tell"
boot
assert_eq "3.0" "$(running)" "after the reboot"
assert_contains "$("$LARCH" admin history --sysroot "$S" -n 50)" "| good: 2.0 -> 3.0"
C4=$(release "$W/t4.0" 4.0)
summary
assert_exit 0 "$LARCH" admin upgrade --sysroot "$S" --now   # hooks of 3.0: none for these stages
assert_eq "4.0" "$(default_version)" "--now"
for _ in 1 2 3 4; do boot; done
assert_eq "3.0" "$(running)" "4.0 failed its health check three times: fell back"
history=$("$LARCH" admin history --sysroot "$S" -n 50)
assert_contains "$history" "hook fell-back/10-tell (exit 0"
assert_contains "$history" "| fell back from 4.0 to 3.0"
assert_eq 1 "$(grep -c 'hook fell-back/10-tell' <<<"$history")" "fell-back hooks run once"
"$LARCH" admin history --sysroot "$S" --json | jq -e '.hooks | length > 5' >/dev/null || fail "no hooks in history --json"
log "ok"
