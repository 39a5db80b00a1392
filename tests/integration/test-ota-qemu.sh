#!/bin/bash
# ctest-labels: slow
# test-ota-qemu.sh - the over-the-air cycle end to end (issue 8): a real
# Debian kernel under qemu boots a small busybox system that `larch admin`
# deployed into an ext4 disk image; inside the guest `larch admin upgrade`
# pulls the next release - signed, as a delta - from a real nginx on the
# host's loopback (qemu's user-mode network reaches it at 10.0.2.2, through
# fault_proxy.py, the network cable the test pulls). The test plays the
# boot loader (it boots the default BLS entry's options line, read from the
# disk) and reads every outcome from the guest console and from the disk
# (debugfs, e2fsck); bytes are counted in nginx's access log.
#
#   publisher  r1, r2, r3 committed, signed, deltas r1->r2 and r2->r3, a
#              signed summary; r3 only after the device runs r2. Each
#              release patches files of the last and adds 5 MB of new
#              (random) data; r3 also adds 2000 small files (its deploy
#              takes a while) and its health check fails.
#   reference  a copy of the device's store pulls each update on the host,
#              over a good link: the bytes one uninterrupted pull takes.
#   boot 1     r1: health passes, marked good; the device's remote is set
#              (`larch remote add`: the server, the keyring r1 ships); the
#              upgrade pulls r2 with the delta and deploys it
#   boot 2     r2 (the new default): health passes, marked good; the upgrade
#              to r3 starts; half way through the delta the cable is pulled
#              (the proxy stopped): the pull fails; the cable is put back; the
#              next attempt resumes the download where the guest stopped
#              receiving and finishes it (at most 1.05x the reference bytes,
#              nothing sent whole twice) and starts the deploy; the power is
#              cut there (qemu SIGKILLed)
#   boot 3     a complete release comes up (r2: the deploy had not switched
#              the boot configuration; r3 if it had); `larch fsck` of the
#              store passes in the guest; the upgrade is run again and
#              deploys r3 without downloading the delta again
#   boots 4, 5 r3 (boot-tries=2): its health check fails, it stays pending
#   boot 6     tries used up: the helper boots r2 by itself; `larch admin
#              status --json` in the guest says r2 is booted and the last
#              boot fell back, and why
# After every boot that powered off, e2fsck of the image is clean.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
source "$(dirname "${BASH_SOURCE[0]}")/boot_lib.sh"

boot_test_setup
require_http_tools
fetch_kernel_modules "${NET_MODULES[@]}" || fail "cannot fetch the network modules of linux-image-$KVER"
log "kernel $KVER from $KDIR"

W=$(tmpdir work)
INITRD=$W/initramfs.img
build_initramfs "$INITRD"
SRV=$W/server RING=$W/keyring
mkdir -p "$RING"
larch key generate -o "$W/k1" >/dev/null
cp "$W/k1.pub" "$RING/"

# ------------------------------------------------------------ releases
# release DIR VERSION HEALTH LETTER: build_rootfs's system, with this test's init,
# the network modules, the keyring the device trusts, and data: four
# 256 kB files each release patches (16 kB rewritten: the delta carries
# bsdiff patches), 5 MB new (random) in each release.
release() {
    local dir=$1 version=$2 m i
    GUEST_INIT=ota_guest_init.sh build_rootfs "$dir" "$version" "$3"
    for m in "${NET_MODULES[@]}"; do
        cp "$KDIR/modules/${m##*/}" "$dir/usr/lib/modules/$KVER/"
        echo "${m##*/}" >>"$dir/usr/lib/modules/$KVER/larch-test-net"
    done
    mkdir -p "$dir/usr/share/larch/keyrings/origin" "$dir/usr/share/larch-test/data"
    cp "$RING/k1.pub" "$dir/usr/share/larch/keyrings/origin/"
    for i in 1 2 3 4; do
        if [ -n "${PREV:-}" ]; then
            cp "$PREV/usr/share/larch-test/data/blob$i.bin" "$dir/usr/share/larch-test/data/"
            head -c 16384 /dev/urandom | dd of="$dir/usr/share/larch-test/data/blob$i.bin" \
                bs=16384 seek=$((i + ${version#r})) conv=notrunc status=none
        else
            head -c 262144 /dev/urandom >"$dir/usr/share/larch-test/data/blob$i.bin"
        fi
    done
    # (named so that no file of the last release looks like its older
    # version: the delta sends it whole, not as a patch of random data)
    head -c 5242880 /dev/urandom >"$dir/usr/share/larch-test/data/new-$4.bin"
    PREV=$dir
}
PREV=""
release "$W/r1" r1 ok a
release "$W/r2" r2 ok b
release "$W/r3" r3 fail c
mkdir -p "$W/r3/usr/share/larch-test/many"
for i in $(seq 2000); do echo "r3 file $i" >"$W/r3/usr/share/larch-test/many/f$i"; done

log "publisher: r1 (signed, summary)"
R1=$(publish "$SRV" "$W/r1" 1 "$W/k1.key")
update_summary "$SRV" "$W/k1.key"

# nginx serves the archive store; the guest reaches it through the proxy,
# whose port stays the same when it is restarted (the cable put back). A
# small send buffer: what nginx has pushed out but the guest never gets
# when the cable is pulled stays small.
start_nginx "$SRV" --sndbuf 32768
start_proxy
PROXY_PORT=${PROXY_URL##*:}
GUEST_URL=http://10.0.2.2:$PROXY_PORT

# ------------------------------------------------------------- the device
log "device: sysroot, r1 pulled from a file:// mirror and deployed"
S=$W/sysroot
new_sysroot "$S" 2
DEV=$S/ostree/repo
larch remote add --repo "$DEV" origin "file://$SRV" --keyring "$RING" --compatible board-a
larch pull --repo "$DEV" origin os/stable >/dev/null
echo >"$W/no-cmdline"
larch admin deploy origin:os/stable --sysroot "$S" --cmdline "$W/no-cmdline" >/dev/null

log "reference device on the host: a copy of that store, pulling from nginx directly"
REF=$W/reference
clone_store "$DEV" "$REF"
larch remote add --repo "$REF" origin "$NGINX_URL" --keyring "$RING" --compatible board-a --replace

# publish_next REV-VAR TREE VERSION FROM: commit, sign, delta FROM -> new, summary.
publish_next() {
    local rev
    rev=$(publish "$SRV" "$2" "$3" "$W/k1.key")
    larch delta generate --repo "$SRV" --from "$4" --to "$rev" --sign-key "$W/k1.key" >&2
    update_summary "$SRV" "$W/k1.key"
    printf -v "$1" '%s' "$rev"
}
# reference_pull NAME: the reference device pulls os/stable; sets
# REF_BYTES (bytes nginx sent).
reference_pull() {
    local mark
    mark=$(nginx_mark)
    run_pull "$REF" --json origin os/stable
    expect_pull_ok "reference pull of $1"
    nginx_settle
    REF_BYTES=$(nginx_bytes_sent "$mark")
    log "reference: $1 over a good link: $REF_BYTES bytes sent by nginx ($(pull_json_field method))"
}
publish_next R2 "$W/r2" 2 "$R1"
reference_pull r2
REF_R2=$REF_BYTES
assert_eq "$R2" "$(pulled_ref "$REF" origin:os/stable)" "the reference device's ref after pulling r2"

IMG=$W/disk.img
mkfs.ext4 -q -F -L larchroot -d "$S" "$IMG" 512M
log "disk image: $(du -h --apparent-size "$IMG" | cut -f1) ($(du -sh "$IMG" | cut -f1) used)"

# ---------------------------------------------------------------- boots
QEMU_NET="-netdev user,id=n0 -device virtio-net-pci,netdev=n0"
BOOT=0
TOTAL_BOOT_SECONDS=0
# boot_start EXTRA-ARGS...: start booting the default entry in the
# background; its console is $W/console-N.log. boot_end waits for the end,
# boot_cut cuts the power; both set $CONSOLE and echo what the test checks.
boot_start() {
    BOOT=$((BOOT + 1))
    local opts
    opts=$(boot_options "${LOADER_IMG:-$IMG}")
    [ -n "$opts" ] || fail "no options in the default boot entry"
    log "boot $BOOT: $opts $*"
    BOOT_MARK=$(nginx_mark)
    qemu_start "$IMG" "$W/console-$BOOT.log" "$opts console=ttyS0 panic=-1 $*"
}
boot_done() {
    CONSOLE=$(tr -d '\r' <"$W/console-$BOOT.log")
    TOTAL_BOOT_SECONDS=$((TOTAL_BOOT_SECONDS + BOOT_SECONDS))
    log "boot $BOOT took ${BOOT_SECONDS}s"
    grep -E 'larch-prepare-root:|GUEST:|STATUS:|UPGRADE:|FSCK:|larch-health:|Kernel panic' <<<"$CONSOLE" >&2 || true
}
boot_end() { qemu_wait; boot_done; }
boot_cut() { qemu_kill; boot_done; }
expect() {   # expect NEEDLE: the console of the last boot says NEEDLE
    assert_contains "$CONSOLE" "$1" "console of boot $BOOT"
}
deployment_of() { sed -n 's/.*larch=\([^ ]*\).*/\1/p' <<<"$1"; }
default_deployment() { deployment_of "$(boot_options "$IMG")"; }
# status_json FIELD-EXPRESSION: from the JSON line of the last boot, a
# Python expression over `s` (the parsed `larch admin status --json`).
status_json() {
    grep '^JSON: ' <<<"$CONSOLE" | tail -n 1 | sed 's/^JSON: //' |
        python3 -c 'import json, sys; s = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
clean_disk() {
    e2fsck -fn "$IMG" >"$W/e2fsck.log" 2>&1 || { cat "$W/e2fsck.log" >&2; fail "boot $BOOT: the disk is not clean"; }
}
# guest_bytes: what nginx sent since the last boot started.
guest_bytes() { nginx_settle; nginx_bytes_sent "$BOOT_MARK"; }
D1=$(default_deployment)

# --------------------------------------------------------------- boot 1
boot_start larchtest.remote="$GUEST_URL" larchtest.upgrade=1
boot_end
expect "GUEST: booted r1, larch=$D1"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${D1##*/}, good"
expect "GUEST: remote origin: url=$GUEST_URL keyring=/usr/share/larch/keyrings/origin"
expect "GUEST: network: 10.0.2.15/24"
expect "GUEST: upgrade attempt 1 exit 0"
expect "GUEST: powering off"
clean_disk
BYTES_R2=$(guest_bytes)
wire_report "$SRV" "$BOOT_MARK" >/dev/null
grep -q '"GET /deltas/' <(tail -n +"$((BOOT_MARK + 1))" "$NGINX_LOG") || fail "boot 1: the upgrade did not fetch the delta"
! grep -q '"GET /objects/.*\.file' <(tail -n +"$((BOOT_MARK + 1))" "$NGINX_LOG") ||
    fail "boot 1: the upgrade fetched file objects besides the delta"
D2=$(default_deployment)
[ "$D2" != "$D1" ] || fail "boot 1: the upgrade did not change the default entry"
assert_contains "$D2" "$R2" "the new default deployment (r2's commit)"
assert_contains "$(boot_state "$IMG")" "fallback=$D1"
log "r2: the guest downloaded $BYTES_R2 bytes (reference $REF_R2, $(ratio "$BYTES_R2" "$REF_R2")x)"

# ------------------------------------------------ r3, and the cable pulled
publish_next R3 "$W/r3" 3 "$R2"
reference_pull r3
REF_R3=$REF_BYTES
PART=$SRV/deltas/$R2-$R3/0
[ -f "$PART" ] || fail "no part 0 in the delta r2 -> r3 ($(ls "$SRV/deltas"))"
PART_SIZE=$(stat -c %s "$PART")
# A slow link (1 MB/s at the proxy) so that the host pulls the cable half
# way through the delta's part; what the proxy reads ahead from nginx is
# kept small (what nginx sent that never reached the guest when the cable
# is pulled: it counts in nginx's figures).
stop_proxy
start_proxy --port "$PROXY_PORT" --rate 1000000 --upstream-rcvbuf 16384

# --------------------------------------------------------------- boot 2
boot_start larchtest.upgrade=4
await "GUEST: upgrade attempt 1"
limit=$((SECONDS + 120))
until [ "$(proxy_bytes)" -ge $((PART_SIZE / 2)) ]; do
    if ! kill -0 "$QEMU_PID" 2>/dev/null || [ "$SECONDS" -ge "$limit" ]; then
        qemu_kill
        cat "$W/console-$BOOT.log" >&2
        fail "boot 2: the delta never got half way"
    fi
    sleep 0.05
done
stop_proxy
FORWARDED=$(proxy_bytes)
nginx_settle
CUT_MARK=$(nginx_mark)
log "cable pulled: the proxy had forwarded $FORWARDED bytes to the guest (the part is $PART_SIZE)"
await "GUEST: upgrade attempt 1 exit"
start_proxy --port "$PROXY_PORT"
log "cable back"
await "GUEST: deploy staging"
boot_cut
log "power cut during the deploy"
expect "GUEST: booted r2, larch=$D2"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${D2##*/}, good"
grep -q '^GUEST: upgrade attempt 1 exit [1-9]' <<<"$CONSOLE" || fail "boot 2: the first upgrade attempt did not fail"
expect "GUEST: upgrade attempt 2"
expect "GUEST: deploy staging $R3."
BYTES_R3_CUT=$(guest_bytes)
read -r _ AGAIN REPEATS < <(wire_report "$SRV" "$BOOT_MARK")
PART_LOG=$(tail -n +"$((BOOT_MARK + 1))" "$NGINX_LOG" | grep "GET /deltas/$R2-$R3/0 ")
log "nginx, the part:"$'\n'"$PART_LOG"
grep -q '^206 .*"bytes=[1-9][0-9]*-' <<<"$PART_LOG" || fail "boot 2: the second attempt did not resume the part with a Range request"
# What the guest had received of the part when the cable was pulled: what
# the proxy forwarded, less the other responses before the cut and the
# part's status line and headers (nginx logged both; the proxy forwards
# them byte for byte). The resumed request must start there: nothing the
# guest had is fetched again, nothing it lacks is skipped.
BEFORE_CUT=$(sed -n "$((BOOT_MARK + 1)),${CUT_MARK}p" "$NGINX_LOG")
OTHER=$(grep -v "GET /deltas/$R2-$R3/0 " <<<"$BEFORE_CUT" | awk '{ s += $3 } END { print s + 0 }')
PART_HEAD=$(grep "GET /deltas/$R2-$R3/0 " <<<"$BEFORE_CUT" | awk '{ print $3 - $2 }')
RECEIVED=$((FORWARDED - OTHER - PART_HEAD))
RESUMED_AT=$(sed -n 's/^206 .*"bytes=\([0-9]*\)-"$/\1/p' <<<"$PART_LOG" | head -n 1)
log "the guest had received $RECEIVED bytes of the part; the resumed request asked for bytes $RESUMED_AT-"
if [ "$RESUMED_AT" -gt "$RECEIVED" ] || [ "$RESUMED_AT" -lt $((RECEIVED - 16384)) ]; then
    fail "boot 2: the resumed request started at byte $RESUMED_AT, the guest had received $RECEIVED"
fi
assert_eq 0 "$REPEATS" "files sent whole twice"
le "$BYTES_R3_CUT" "$REF_R3" 1.05 ||
    fail "boot 2: the interrupted download took $BYTES_R3_CUT bytes, over 1.05x the reference $REF_R3"
log "r3 with the cable pulled: $BYTES_R3_CUT bytes ($(ratio "$BYTES_R3_CUT" "$REF_R3")x the reference $REF_R3; $AGAIN bytes of delta sent again)"

# The disk as the power cut left it, on a copy: e2fsck's boot-time check
# (-p: replays the journal, fixes only what is safe without asking, such as
# the superblock's free counts, which ext4 does not journal) must leave it
# consistent; then which deployments and boot configuration it holds.
cp --sparse=always "$IMG" "$W/cut.img"
rc=0
e2fsck -fp "$W/cut.img" >"$W/e2fsck-cut.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$W/e2fsck-cut.log" >&2; fail "the disk after the power cut needs manual repair (e2fsck -p exit $rc)"; }
e2fsck -fn "$W/cut.img" >/dev/null 2>&1 || fail "the disk after the power cut is not clean once its journal is replayed"
log "after the power cut, e2fsck -p (exit $rc):"$'\n'"$(cat "$W/e2fsck-cut.log")"$'\n'"the deployments:"
debugfs -R "ls -p /ostree/deploy/debian/deploy" "$W/cut.img" 2>/dev/null |
    awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print "  " $6 }' >&2
AFTER_CUT=$(deployment_of "$(disk_cat "$W/cut.img" "$(loader_dir "$W/cut.img")/entries/larch-debian-0.conf")")

# --------------------------------------------------------------- boot 3
# (The boot loader reads the disk as the kernel will see it: the copy with
# its journal replayed.)
LOADER_IMG=$W/cut.img
if [ "$AFTER_CUT" = "$D2" ]; then
    log "the power cut came before the deploy switched the boot configuration: r2 must come up"
    boot_start larchtest.fsck=1 larchtest.upgrade=1
    LOADER_IMG=""
    boot_end
    expect "GUEST: booted r2, larch=$D2"
    expect "STATUS: Boot: default ${D2##*/}, good"
    expect "GUEST: fsck exit 0"
    expect "GUEST: upgrade attempt 1 exit 0"
    expect "UPGRADE: Deployed debian 3 (origin:os/stable)"
    TRIES=2   # r3's tries left
else
    log "the power cut came after the deploy switched the boot configuration: r3 must come up"
    assert_contains "$AFTER_CUT" "$R3" "the default after the power cut"
    boot_start larchtest.fsck=1
    LOADER_IMG=""
    boot_end
    expect "GUEST: booted r3"
    expect "1 tries left after this boot"
    expect "GUEST: fsck exit 0"
    TRIES=1
fi
expect "GUEST: powering off"
clean_disk
BYTES_R3_AFTER=$(guest_bytes)
! grep -q '"GET /deltas/' <(tail -n +"$((BOOT_MARK + 1))" "$NGINX_LOG") ||
    fail "boot 3: the delta was downloaded again"
BYTES_R3=$((BYTES_R3_CUT + BYTES_R3_AFTER))
D3=$(default_deployment)
assert_contains "$D3" "$R3" "the default deployment after the upgrade"
assert_contains "$(boot_state "$IMG")" "fallback=$D2"
assert_contains "$(boot_state "$IMG")" "tries-left=$TRIES"

# --------------------------------------------------- r3's tries, fallback
while [ "$TRIES" -gt 0 ]; do
    TRIES=$((TRIES - 1))
    boot_start
    boot_end
    expect "GUEST: booted r3, larch=$D3"
    expect "$TRIES tries left after this boot"
    expect "larch-health: check 10-app FAILED"
    expect "the deployment stays pending"
    expect "STATUS: Boot: default ${D3##*/}, pending, $TRIES tries left"
    clean_disk
done

assert_eq "$D3" "$(default_deployment)" "the boot loader still boots r3's entry"
boot_start
boot_end
expect "was not marked good within its boot tries: falling back to"
expect "boot-state written: status=fell-back"
expect "GUEST: booted r2, larch=$D3"
expect "larch-health: all health checks passed"
expect "STATUS: Boot: default ${D3##*/}, fell-back"
clean_disk
STATUS=$(grep '^JSON: ' <<<"$CONSOLE" | tail -n 1 | sed 's/^JSON: //')
log "larch admin status --json in the guest: $STATUS"
assert_eq "/ostree/deploy/debian/deploy/${D2##*/}" "$(status_json 's["booted"]')" "booted (status --json)"
assert_eq "2" "$(status_json '[d["version"] for d in s["deployments"] if d["booted"]][0]')" "version of the booted deployment"
assert_eq "/ostree/deploy/debian/deploy/${D3##*/}" "$(status_json 's["boot"]["default"]')" "default (status --json)"
assert_eq "fell-back True /ostree/deploy/debian/deploy/${D2##*/}" \
    "$(status_json '" ".join([s["boot"]["status"], str(s["boot"]["fell_back"]), s["boot"]["fell_back_to"]])')" \
    "boot status, fell_back, fell_back_to (status --json)"
REASON=$(status_json 's["boot"]["reason"]')
assert_contains "$REASON" "was not marked good within its boot tries" "reason (status --json)"
assert_contains "$(boot_state "$IMG")" "status=fell-back"

log "bytes the guest downloaded (nginx's access log: status lines, headers, bodies):"
log "  r2 (r1 -> r2, delta): $BYTES_R2 (reference, one uninterrupted pull on the host: $REF_R2)"
log "  r3 (r2 -> r3, delta): $BYTES_R3 = $BYTES_R3_CUT with the link cut once + $BYTES_R3_AFTER after the power cut (reference $REF_R3; $(ratio "$BYTES_R3" "$REF_R3")x)"
log "boots: $BOOT, ${TOTAL_BOOT_SECONDS}s in qemu"
log "PASS in ${SECONDS}s"
