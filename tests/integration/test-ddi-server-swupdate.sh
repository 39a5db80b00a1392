#!/bin/bash
# The hawkBit DDI test server (tests/integration/ddi_server.py) checked with
# an independent DDI client: swupdate's suricatta (Debian's build), so that
# tests of Larch's own client rest on a server a real client agrees with.
#
# A signed .swu (CMS signature of sw-description by a self-signed
# certificate, as Debian's swupdate requires; one file for the "rawfile"
# handler) is assigned to a target as a forced action. swupdate polls with
# its target token, downloads the artifact - the server cuts the first
# transfer short, so swupdate has to resume it with a Range request -,
# installs the file and reports "proceeding". With no persistent update
# state (bootloader "none"), swupdate reports the final result only when it
# is started again ("after the reboot") with -c 2 (state TESTING): then it
# sends closed/success. Checked on the server's side: polls, the token, the
# downloads, the feedback sequence, the attributes from configData, the
# action finished and offered as installedBase; on the device's side: the
# file, byte for byte. And a wrong or missing token gets 401.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
# shellcheck source=lib-ddi.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-ddi.sh"

command -v swupdate >/dev/null 2>&1 || skip "swupdate is not installed (tools/setup.sh installs it)"
for t in openssl cpio timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
done
require_ddi_tools

W=$(tmpdir work)
mkdir -p "$W/swu" "$W/out" "$W/tmp"
TENANT=DEFAULT DEV=larch-dev-1
TOKEN=$(openssl rand -hex 16)
CUT=65536

log "a signing certificate and a signed .swu with one file for the rawfile handler"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=larch-ddi-test-signer" \
    -keyout "$W/signer.key" -out "$W/signer.crt" \
    -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=emailProtection" 2>/dev/null ||
    fail "openssl could not make the signing certificate"
# Random bytes, so that a cut in the middle of the download cuts through it.
head -c 300000 /dev/urandom > "$W/swu/payload.bin"
cat > "$W/swu/sw-description" <<EOF
software =
{
	version = "2.0";
	description = "larch DDI test server check";
	hardware-compatibility: [ "1.0" ];
	files: (
		{
			filename = "payload.bin";
			path = "$W/out/payload.bin";
			sha256 = "$(sha256sum "$W/swu/payload.bin" | cut -d' ' -f1)";
		}
	);
}
EOF
openssl cms -sign -in "$W/swu/sw-description" -out "$W/swu/sw-description.sig" \
    -signer "$W/signer.crt" -inkey "$W/signer.key" -outform DER -nosmimecap -binary ||
    fail "openssl cms -sign failed"
# sw-description first, its signature right after it.
(cd "$W/swu" && printf '%s\n' sw-description sw-description.sig payload.bin |
    cpio -o -H crc --quiet > "$W/update.swu")
SWU_SIZE=$(stat -c %s "$W/update.swu")
log "update.swu: $SWU_SIZE bytes"

start_ddi_server --sleep 00:00:01
ddi_add_target "$TENANT" "$DEV" "$TOKEN"
ACTION=$(ddi_assign "$TENANT" "$DEV" forced "$W/update.swu" filename=update.swu cut_after=$CUT)
log "action $ACTION assigned to $DEV; its first download is cut after $CUT bytes"

cat > "$W/swupdate.cfg" <<EOF
globals :
{
	loglevel = 5;
};
identify : (
	{ name = "hwRevision"; value = "1.0"; },
	{ name = "serialNo"; value = "larch-test-0001"; }
);
suricatta :
{
	tenant = "$TENANT";
	id = "$DEV";
	url = "$DDI_URL";
	targettoken = "$TOKEN";
	polldelay = 1;
	retry = 5;
	retrywait = 1;
	connection-timeout = 5;
};
EOF

# start_swupdate NAME [SURICATTA-ARGS]: swupdate in suricatta mode in the
# background (its log in $W/NAME.log), under timeout, which makes it a
# process group of its own: stop_swupdate ends all of it (swupdate forks
# helpers). TMPDIR keeps its sockets and temporary files in the scratch
# space; -B none: the update state stays in memory, no bootloader is
# touched.
SW_PID=""
start_swupdate() {
    local name=$1; shift
    SW_LOG=$W/$name.log
    (cd "$W" && TMPDIR=$W/tmp exec timeout 50 swupdate -f "$W/swupdate.cfg" -k "$W/signer.crt" \
        -H larch-test:1.0 -B none -l 5 -u "$*") > "$SW_LOG" 2>&1 &
    SW_PID=$!
    log "swupdate $name (process group $SW_PID) -u '$*'"
}

# shellcheck disable=SC2317  # also called by the exit hook
stop_swupdate() {
    [ -n "$SW_PID" ] || return 0
    kill -TERM -- "-$SW_PID" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$SW_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$SW_PID" 2>/dev/null || true
    wait "$SW_PID" 2>/dev/null || true
    SW_PID=""
}
larch_on_exit stop_swupdate

# show_swupdate_log: its last log lines ("[LEVEL] : ..."), without the HTTP
# headers and bodies its curl prints.
show_swupdate_log() {
    grep '^\[' "$SW_LOG" | tail -n 40 >&2 || true
}

# swupdate_waits_for_restart: it installed the update and, having no place
# to keep the state across a reboot, ignores the action until restarted.
swupdate_waits_for_restart() {
    [ -f "$W/out/payload.bin" ] && grep -q "pending testing" "$SW_LOG"
}

closed_feedback() {
    ddi_executions "$ACTION" | grep -q '^closed '
}

log "phase 1: swupdate polls, downloads, installs"
start_swupdate install
if ! (ddi_wait 40 "swupdate to install the update" swupdate_waits_for_restart); then
    show_swupdate_log
    fail "swupdate did not install the update (log $SW_LOG)"
fi
stop_swupdate
cmp "$W/swu/payload.bin" "$W/out/payload.bin" || fail "the installed file differs from the payload"
assert_eq running "$(ddi_action "$ACTION" | jq -r .status)" "action status before the confirmation"
log "  feedback so far: $(ddi_executions "$ACTION" | sort | uniq -c | tr -s ' \n' ' ')"

log "phase 2: swupdate restarted with -c 2 (the new software works) reports closed"
start_swupdate confirm -c 2
if ! (ddi_wait 20 "closed feedback" closed_feedback); then
    show_swupdate_log
    fail "no closed feedback for action $ACTION (log $SW_LOG)"
fi
stop_swupdate

ACT=$(ddi_action "$ACTION")
TGT=$(ddi_target "$TENANT" "$DEV")
log "server's view of the action: status $(jq -r .status <<<"$ACT"), $(jq '.feedback | length' <<<"$ACT") feedback, downloads $(jq -c '[.downloads[] | [.status, .range_start, .bytes_sent]]' <<<"$ACT")"
log "server's view of the target: polls $(jq .polls <<<"$TGT"), auth $(jq -c .auth <<<"$TGT"), attributes $(jq -c .attributes <<<"$TGT")"

log "checks: polls with the target token"
[ "$(jq .polls <<<"$TGT")" -ge 1 ] || fail "the target never polled"
[ "$(jq '.auth.TargetToken // 0' <<<"$TGT")" -ge 1 ] || fail "no request with the target token"
assert_eq 0 "$(jq '.auth.GatewayToken // 0' <<<"$TGT")" "requests with a gateway token"
assert_eq 0 "$(jq .unauthorized <<<"$TGT")" "swupdate's requests refused"
jq -e --arg p "/$TENANT/controller/v1/$DEV" '[.requests[] | select(.[0] == "GET" and .[1] == $p)] | length >= 1' \
    <<<"$TGT" >/dev/null || fail "no GET of the base poll resource in the requests"

log "checks: the download, cut once and resumed with Range"
jq -e '.downloads | length >= 1' <<<"$ACT" >/dev/null || fail "no download recorded"
jq -e --argjson cut "$CUT" '.downloads[0] | .range_start == 0 and .bytes_sent == $cut and .cut' \
    <<<"$ACT" >/dev/null || fail "the first download was not the one cut after $CUT bytes"
jq -e --argjson cut "$CUT" --argjson size "$SWU_SIZE" \
    'any(.downloads[]; .status == 206 and .range_start == $cut and .bytes_sent == $size - $cut)' \
    <<<"$ACT" >/dev/null || fail "swupdate did not resume the download at byte $CUT with a Range request"

log "checks: the feedback"
ddi_executions "$ACTION" | grep -q '^proceeding none$' || fail "no proceeding feedback"
assert_eq "closed success" "$(ddi_executions "$ACTION" | tail -n 1)" "the last feedback"
assert_eq "$ACTION" "$(ddi_feedback "$ACTION" | jq -r '.[-1].id')" "the action id in the last feedback"
assert_eq finished "$(jq -r .status <<<"$ACT")" "action status"
assert_eq "$ACTION" "$(jq -r .installed_action <<<"$TGT")" "the target's installed action"
assert_eq '[]' "$(jq -c .rejected_feedback <<<"$ACT")" "feedback the server refused"

log "checks: configData (swupdate's identify section)"
assert_eq '{"hwRevision":"1.0","serialNo":"larch-test-0001"}' "$(jq -cS .attributes <<<"$TGT")" "attributes"

log "checks: the poll now offers installedBase and nothing to deploy"
POLL=$(curl -sS -H "Authorization: TargetToken $TOKEN" "$DDI_URL/$TENANT/controller/v1/$DEV")
jq -e --arg a "$ACTION" '._links.installedBase.href | endswith("/installedBase/" + $a)' <<<"$POLL" >/dev/null ||
    fail "no installedBase link: $POLL"
jq -e '._links.deploymentBase == null and ._links.configData == null' <<<"$POLL" >/dev/null ||
    fail "the poll still offers a deployment or asks for attributes: $POLL"

log "checks: a wrong token, and none, get 401 with a JSON error"
for auth in "Authorization: TargetToken wrong-$TOKEN" "Authorization: GatewayToken $TOKEN" "X-None: 1"; do
    code=$(curl -sS -o "$W/401.json" -w '%{http_code}' -H "$auth" "$DDI_URL/$TENANT/controller/v1/$DEV")
    assert_eq 401 "$code" "status with '$auth'"
    jq -e '.message | length > 0' "$W/401.json" >/dev/null || fail "401 without a JSON error body: $(cat "$W/401.json")"
done

stop_ddi_server
log "ok"
