#!/bin/bash
# Pull over HTTP(S) through the real binary, against a real nginx started
# here on 127.0.0.1 and serving a repository made by Larch (issue 5):
#
#   tls       TLS from a test CA with nginx requiring a client certificate:
#             --ca-file + --client-cert/--client-key pulls; no client
#             certificate, one from an untrusted CA, or the system CAs only
#             (no --ca-file) fail with a clear message and change nothing;
#             a file:// remote of the same repository pulls the same commit.
#   faults    through tests/integration/fault_proxy.py, the v1 -> v2 update
#             with the connection cut (once mid-object, then every 256 kB
#             with resets): completes by resuming with Range requests; a
#             stall: fails with --stall-timeout (or resumes when the link
#             comes back); a flipped byte: "does not match", the object is
#             never stored; a short file; endless data: "exceeded its
#             limit". Every failure leaves the device's files, refs and
#             trust rows as they were (a failed attempt may add a "failed"
#             history row, never an "ok" one), fsck passes, and the next
#             pull over a good link completes.
#   flags     --dry-run (bytes before spending them), --json events,
#             --max-rate, --retries, the free-space check, a disk that
#             fills during a download (exit 6, tmp/downloads/ emptied).
#
# Each section runs on its own copy of the device store and is reported
# separately (section in lib-http.sh), so one run lists every failing check.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"

require_larch
require_http_tools

W=$(tmpdir work)
SRV=$W/server RING=$W/keyring BASE=$W/device-v1
mkdir -p "$RING"

# A small root filesystem whose file objects are large enough to be cut in
# the middle: random content does not compress, so a 256 kB file is a
# ~256 kB object on the wire.
make_tree() {   # make_tree DIR SEED-WORD
    local d=$1 i
    mkdir -p "$d/usr/bin" "$d/usr/lib/firmware" "$d/etc" "$d/var/lib/app"
    for i in 1 2 3 4 5 6 7 8; do
        head -c $((200000 + i * 13000)) /dev/urandom > "$d/usr/lib/firmware/blob$i.bin"
    done
    for i in $(seq 20); do echo "$2 config $i" > "$d/etc/app$i.conf"; done
    printf '#!/bin/sh\necho %s\n' "$2" > "$d/usr/bin/app"
    chmod 755 "$d/usr/bin/app"
    ln -sf ../lib/firmware/blob1.bin "$d/usr/bin/blob-link"
    echo "VERSION=$2" > "$d/etc/os-release"
}

log "publisher: archive store with v1.0, signed, summary"
larch key generate -o "$W/k1" >/dev/null
cp "$W/k1.pub" "$RING/"
make_tree "$W/tree1" one
V1=$(publish "$SRV" "$W/tree1" 1.0 "$W/k1.key")
update_summary "$SRV" "$W/k1.key"

log "device at v1.0 (pulled from a file:// remote)"
device_from_file "$BASE" "$SRV" "$RING" "$V1"

# new_device NAME [remote add options...]: a fresh empty bare store with the
# remote origin at $URL (set by the caller).
new_device() {
    local d=$W/$1; shift
    bare_device "$d" "$URL" "$RING" "$@"
    printf '%s\n' "$d"
}

# device_at_v1 NAME URL: a copy of the device at v1.0 whose remote origin
# now points at URL.
device_at_v1() {
    local d=$W/$1
    cp -a "$BASE" "$d"
    "$LARCH" remote add --repo "$d" origin "$2" --keyring "$RING" --compatible board-a --replace
    printf '%s\n' "$d"
}

# ------------------------------------------------------------------ (a) TLS
CA=$W/ca
make_test_ca "$CA"
start_nginx "$SRV" --tls "$CA" --client-cert-required
TLS_URL=$NGINX_URL

# tls_refused NAME WHAT REGEX [REMOTE-ADD-OPTIONS...]: a new device with
# those TLS settings fails to pull (exit 1, stderr matching REGEX) and is
# left as it was.
tls_refused() {
    local name=$1 what=$2 regex=$3; shift 3
    local d
    d=$(new_device "$name" "$@")
    device_snapshot "$d" "$d.snap"
    run_pull "$d" origin os/stable
    expect_pull_failed "$what" "1" "$regex"
    assert_device_unchanged "$d" "$d.snap" "$what"
    log "  message: $(tail -n 1 <<<"$PULL_ERR")"
}

tls_section() {
    local URL=$TLS_URL d

    log "with the pinned CA and a client certificate: pulls"
    d=$(new_device tls-ok --ca-file "$CA/ca.crt" --client-cert "$CA/client.crt" --client-key "$CA/client.key")
    run_pull "$d" origin os/stable
    expect_pull_ok "https with client certificate"
    assert_eq "$V1" "$(pulled_ref "$d" origin:os/stable)" "ref pulled over https"
    larch fsck --repo "$d" >/dev/null
    larch checkout --repo "$d" origin:os/stable "$W/co-tls" >/dev/null
    tree_compare "$W/tree1" "$W/co-tls"
    grep -q '"GET /summary HTTP/2.0"' "$NGINX_LOG" || fail "the https pull did not use HTTP/2 (access log: $NGINX_LOG)"

    log "without a client certificate: refused by nginx, nothing changes"
    tls_refused tls-nocert "no client certificate" "certificate|HTTP 400" --ca-file "$CA/ca.crt"
    grep -q '^400 ' "$NGINX_LOG" || fail "nginx did not answer 400 to the request without a client certificate"

    log "with a client certificate from another CA: refused, nothing changes"
    tls_refused tls-othercert "client certificate from an untrusted CA" "certificate|HTTP 400" \
        --ca-file "$CA/ca.crt" --client-cert "$CA/other-client.crt" --client-key "$CA/other-client.key"

    log "with the system CAs only (no --ca-file): the server certificate is refused"
    tls_refused tls-systemca "system CAs only" "certificate" \
        --client-cert "$CA/client.crt" --client-key "$CA/client.key"

    log "a file:// remote of the same repository pulls the same commit"
    URL="file://$SRV"
    d=$(new_device file-remote)
    run_pull "$d" origin os/stable
    expect_pull_ok "file:// remote"
    assert_eq "$V1" "$(pulled_ref "$d" origin:os/stable)" "ref pulled from file://"
    larch fsck --repo "$d" >/dev/null
}
section "tls: client certificate, pinned CA, system CAs, file://" tls_section
stop_nginx

# ------------------------------------------------------------------ v2
log "publisher: v2.0 (six of eight blobs and every config file change)"
cp -a "$W/tree1" "$W/tree2"
for i in 1 2 3 4 5 6; do head -c $((230000 + i * 7000)) /dev/urandom > "$W/tree2/usr/lib/firmware/blob$i.bin"; done
for i in $(seq 20); do echo "two config $i" > "$W/tree2/etc/app$i.conf"; done
echo "VERSION=two" > "$W/tree2/etc/os-release"
V2=$(publish "$SRV" "$W/tree2" 2.0 "$W/k1.key")
update_summary "$SRV" "$W/k1.key"

# The objects the faults aim at: blob3 of v2 (a file object of ~250 kB the
# device does not have) and the root directory listing of v2.
BLOB3=$(object_of "$SRV" "$V2" /usr/lib/firmware/blob3.bin)
BLOB3_ID=$(basename "$BLOB3" .file)
BLOB3_ID=${BLOB3:8:2}$BLOB3_ID
BLOB3_SIZE=$(stat -c %s "$SRV/$BLOB3")
log "target object: $BLOB3 ($BLOB3_SIZE bytes on the server)"
[ "$BLOB3_SIZE" -gt 200000 ] || fail "blob3's object is only $BLOB3_SIZE bytes; the tests need it large"

start_nginx "$SRV"

# count_files DIR: regular files below DIR (0 if there is no DIR).
count_files() {
    if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi
}

# check_updated DIR WHAT: DIR is at v2, passes fsck, and checks out as tree2.
check_updated() {
    assert_eq "$V2" "$(pulled_ref "$1" origin:os/stable)" "$2: ref after the pull"
    larch fsck --repo "$1" >/dev/null
    rm -rf "$W/co-check"
    larch checkout --repo "$1" origin:os/stable "$W/co-check" >/dev/null
    tree_compare "$W/tree2" "$W/co-check"
}

# pull_fails WHAT CODES REGEX [PULL-ARGS...]: the device $FD (fault_device)
# pulls and fails as expect_pull_failed says; its state before is kept in
# $FD.snap for check_failed_cleanly.
pull_fails() {
    local what=$1 codes=$2 regex=$3; shift 3
    device_snapshot "$FD" "$FD.snap"
    run_pull "$FD" origin os/stable "$@"
    expect_pull_failed "$what" "$codes" "$regex"
    log "  message: $(tail -n 1 <<<"$PULL_ERR")"
}

# check_failed_cleanly WHAT: after pull_fails, nothing that counts changed in
# $FD, it passes fsck, the target object is not stored, and a pull over a
# good link (no faults) then completes.
check_failed_cleanly() {
    assert_device_unchanged "$FD" "$FD.snap" "$1"
    larch fsck --repo "$FD" >/dev/null
    [ ! -e "$FD/$BLOB3" ] || fail "$1: $BLOB3 is in the store after a failed pull"
    log "  recovery: the same pull straight from nginx"
    stop_proxy
    "$LARCH" remote add --repo "$FD" origin "$NGINX_URL" --keyring "$RING" --compatible board-a --replace
    run_pull "$FD" origin os/stable
    expect_pull_ok "$1: pull after the failure"
    check_updated "$FD" "$1: recovered"
}

# Uninterrupted reference: how many bytes the update costs through the proxy.
ref_section() {
    local d
    d=$(device_at_v1 ref-pull "http://unused")
    start_proxy
    larch remote add --repo "$d" origin "$PROXY_URL" --keyring "$RING" --compatible board-a --replace
    run_pull "$d" origin os/stable
    expect_pull_ok "uninterrupted pull"
    check_updated "$d" "uninterrupted pull"
    stop_proxy
    proxy_bytes > "$W/ref-bytes"
    log "uninterrupted v1 -> v2 pull: $(cat "$W/ref-bytes") bytes through the proxy"
}
section "reference: uninterrupted pull through the proxy" ref_section
REF_BYTES=$(cat "$W/ref-bytes" 2>/dev/null || echo 0)

# fault_device NAME RULES...: a device at v1 behind a fresh proxy with RULES.
fault_device() {
    local name=$1; shift
    start_proxy "$@"
    FD=$(device_at_v1 "$name" "$PROXY_URL")
}

cut_once_section() {
    fault_device cut-once --fault "cut:after=60000,path=$BLOB3"
    run_pull "$FD" origin os/stable
    expect_pull_ok "connection cut 60000 bytes into $BLOB3"
    check_updated "$FD" "cut once"
    assert_eq 1 "$(proxy_actions cut)" "cuts made"
    grep -q "GET /$BLOB3 .*range=bytes=60000-" "$PROXY_LOG" ||
        fail "no Range request resumed $BLOB3 at byte 60000 (proxy log $PROXY_LOG)"
    log "resumed with a Range request from byte 60000; $(proxy_bytes) bytes through the proxy (uninterrupted: $REF_BYTES)"
}
section "cut once mid-object: resumes with Range" cut_once_section

# The proxy counts what it writes to the device's socket; a reset throws
# away what still sat in the proxy's send buffer, which the device never
# received. A 32 kB send buffer keeps that small, and the proxy takes what
# its own transport still buffered off the count (fault_proxy.py: a slow
# device, e.g. a sanitizer build, leaves up to 64 kB there at each cut), so
# the count is what the device received, as the 1.05x criterion means.
cut_every_section() {
    fault_device cut-every --fault "cut:every=262144,rst=1" --sndbuf 32768
    run_pull "$FD" origin os/stable
    expect_pull_ok "connection reset every 256 kB"
    check_updated "$FD" "cut every 256 kB"
    local cuts bytes
    cuts=$(proxy_actions cut) bytes=$(proxy_bytes)
    [ "$cuts" -ge 5 ] || fail "only $cuts cuts happened; the test expects at least 5"
    log "$cuts connection resets; $bytes bytes through the proxy (uninterrupted: $REF_BYTES)"
    [ "$REF_BYTES" -gt 0 ] || fail "no reference figure"
    awk -v b="$bytes" -v r="$REF_BYTES" 'BEGIN { exit !(b <= 1.05 * r) }' ||
        fail "the cut pull moved $bytes bytes, more than 1.05x the uninterrupted $REF_BYTES"
}
section "cut every 256 kB (TCP reset): completes within 1.05x the bytes" cut_every_section

stall_fail_section() {
    fault_device stall-always --fault "stall:after=0,times=0,path=$BLOB3"
    pull_fails "a link that stalls every time" "1" "stall|too slow|timed out|timeout" --stall-timeout 2 --retries 1
    awk -v s="$PULL_SECONDS" 'BEGIN { exit !(s < 60) }' || fail "the stalled pull took ${PULL_SECONDS}s"
    check_failed_cleanly "stall"
}
section "stall (every time): fails after --stall-timeout, nothing changes" stall_fail_section

stall_once_section() {
    fault_device stall-once --fault "stall:after=50000,path=$BLOB3"
    run_pull "$FD" origin os/stable --stall-timeout 2
    expect_pull_ok "a link that stalls once"
    check_updated "$FD" "stall once"
    grep -q "GET /$BLOB3 .*range=bytes=50000-" "$PROXY_LOG" ||
        fail "no Range request resumed $BLOB3 at byte 50000 after the stall"
}
section "stall once: resumes after --stall-timeout" stall_once_section

corrupt_file_section() {
    # Every copy of blob3 served has byte 100000 flipped: a bad mirror.
    fault_device corrupt-file --fault "corrupt:path=$BLOB3,offset=100000,times=0"
    pull_fails "a flipped byte in $BLOB3" "4" "does not match"
    grep -q "$BLOB3_ID" <<<"$PULL_ERR" || fail "the message does not name the object $BLOB3_ID: $PULL_ERR"
    check_failed_cleanly "corrupt file object"
}
section "corrupt file object (every time): 'does not match', never stored" corrupt_file_section

corrupt_once_section() {
    # The first copy of blob3 has a flipped byte, later ones are good: the
    # pull may fetch it again or fail, but the bad bytes are never stored.
    fault_device corrupt-once --fault "corrupt:path=$BLOB3,offset=-5000"
    run_pull "$FD" origin os/stable
    if [ "$PULL_RC" -eq 0 ]; then
        check_updated "$FD" "corrupt once"
        log "the corrupted copy was refused and fetched again"
    else
        expect_pull_failed "a flipped byte in $BLOB3 (once)" "4" "does not match"
        larch fsck --repo "$FD" >/dev/null
        [ ! -e "$FD/$BLOB3" ] || fail "$BLOB3 stored after a corrupted download"
    fi
    assert_eq 1 "$(proxy_actions corrupt)" "corruptions made"
}
section "corrupt file object (once): caught by hashing" corrupt_once_section

corrupt_meta_section() {
    fault_device corrupt-dirtree --fault 'corrupt:path=\.dirtree$,offset=3,times=0'
    pull_fails "a flipped byte in a directory listing" "4" "does not match"
    local bad
    bad=$(awk '/action=corrupt/ { print $4; exit }' "$PROXY_LOG")
    [ -n "$bad" ] || fail "the proxy corrupted nothing"
    [ ! -e "$FD$bad" ] || fail "the corrupted $bad is in the store"
    check_failed_cleanly "corrupt dirtree"
}
section "corrupt dirtree: 'does not match', never stored" corrupt_meta_section

truncate_section() {
    fault_device truncate --fault "truncate:path=$BLOB3,keep=100000"
    pull_fails "the server's copy of $BLOB3 is short" "1|4" "$BLOB3_ID"
    check_failed_cleanly "truncated file"
}
section "truncated file on the server: fails naming the object" truncate_section

endless_section() {
    # Paced at 4 MB/s: the client reads faster than that, so what the proxy
    # forwards is what the client took (no megabytes waiting in socket
    # buffers when it hangs up).
    fault_device endless --fault "endless:path=$BLOB3" --rate 4000000
    pull_fails "endless data for $BLOB3" "5" "exceeded its limit"
    awk -v s="$PULL_SECONDS" 'BEGIN { exit !(s < 30) }' || fail "endless data: the pull took ${PULL_SECONDS}s"
    local bytes limit
    bytes=$(proxy_bytes)
    # The limit for a file object comes from its signed size (plus zstd's
    # bound and the largest header); the client stops there.
    limit=$(grep -oE 'limit of [0-9]+' <<<"$PULL_ERR" | grep -oE '[0-9]+' | head -n 1)
    [ -n "$limit" ] || fail "the message does not give the limit"
    log "  $bytes bytes through the proxy; the whole update is $REF_BYTES, the object's limit $limit"
    [ "$bytes" -le $((REF_BYTES + limit + 262144)) ] ||
        fail "the client took $bytes bytes: more than the update ($REF_BYTES) + the limit ($limit) + 256 kB"
    check_failed_cleanly "endless data"
}
section "endless data: 'exceeded its limit', stopped early" endless_section

# ------------------------------------------------------------------ (c) flags
dry_run_section() {
    local d snap mark dry_out
    d=$(device_at_v1 dry-run "$NGINX_URL")
    snap=$W/snap.dry
    device_snapshot "$d" "$snap"
    nginx_settle
    mark=$(nginx_mark)
    run_pull "$d" origin os/stable --dry-run
    expect_pull_ok "--dry-run"
    dry_out=$PULL_OUT
    nginx_settle
    local dry_wire
    dry_wire=$(nginx_bytes_sent "$mark")
    assert_device_unchanged "$d" "$snap" "--dry-run"
    # It may keep the directory listings it read (tmp/downloads, for the real
    # pull), but no file content.
    local kept=0
    if [ -d "$d/tmp" ]; then kept=$(find "$d/tmp" -type f -name '*.file*' | wc -l); fi
    assert_eq 0 "$kept" "file objects downloaded by --dry-run"
    log "  --dry-run left $(count_files "$d/tmp") file(s) in tmp/ (directory listings)"
    log "  --dry-run said: $(tr '\n' ' ' <<<"$dry_out" | cut -c1-300)"
    log "  --dry-run cost $dry_wire bytes on the wire"
    [ "$dry_wire" -lt 65536 ] || fail "--dry-run moved $dry_wire bytes"
    run_pull "$d" origin os/stable --json
    expect_pull_ok "pull after --dry-run"
    local real
    real=$(pull_json_field bytes_received)
    # Any figure of its output, in bytes or with a unit (1541.1 kB, 1.5 MB).
    python3 - "$dry_out" "$real" <<'EOF' || fail "no figure in the --dry-run output is within 10% of the $real bytes the pull then received"
import re, sys
unit = {"": 1, "b": 1, "kb": 1e3, "kib": 1024, "mb": 1e6, "mib": 1 << 20, "gb": 1e9, "gib": 1 << 30}
numbers = [float(n) * unit.get(u.lower(), 1)
           for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|kB|KB|MB|GB|B)?\b", sys.argv[1])]
real = int(sys.argv[2])
sys.exit(0 if real > 0 and any(0.9 * real <= n <= 1.1 * real for n in numbers) else 1)
EOF
    log "  the pull received $real bytes"
}

section "--dry-run: tells the bytes before spending them" dry_run_section

json_section() {
    local d
    d=$(device_at_v1 json "$NGINX_URL")
    run_pull "$d" origin os/stable --json
    expect_pull_ok "--json"
    check_updated "$d" "--json"
    python3 - "$PULL_OUT" <<'EOF' || { _pull_transcript; fail "--json: not one event object per line ending with done"; }
import json, sys
lines = [l for l in sys.argv[1].splitlines() if l.strip()]
events = [json.loads(l) for l in lines]
assert all(isinstance(e, dict) and "event" in e for e in events), "an object without event"
kinds = [e["event"] for e in events]
assert kinds[-1] == "done", f"last event is {kinds[-1]}"
assert "progress" in kinds, "no progress event"
assert events[-1].get("bytes_received", 0) > 0, "done has no bytes_received"
print(f"{len(events)} events: {', '.join(sorted(set(kinds)))}", file=sys.stderr)
EOF
}
section "--json: one event per line, progress then done" json_section

max_rate_section() {
    local d rate=800000 bytes
    d=$(device_at_v1 max-rate "$NGINX_URL")
    run_pull "$d" origin os/stable --json --max-rate "$rate"
    expect_pull_ok "--max-rate"
    check_updated "$d" "--max-rate"
    bytes=$(pull_json_field bytes_received)
    log "  $bytes bytes in ${PULL_SECONDS}s at --max-rate $rate: $(awk -v b="$bytes" -v s="$PULL_SECONDS" 'BEGIN { printf "%.0f", b / s }') B/s"
    awk -v b="$bytes" -v s="$PULL_SECONDS" -v r="$rate" 'BEGIN { exit !(s >= 0.8 * b / r) }' ||
        fail "--max-rate $rate: $bytes bytes took only ${PULL_SECONDS}s (at least $(awk -v b="$bytes" -v r="$rate" 'BEGIN { printf "%.2f", 0.8 * b / r }')s expected)"
}
section "--max-rate: the whole pull stays under the rate" max_rate_section

retries_section() {
    fault_device retries --fault "stall:after=0,times=0,path=$BLOB3"
    pull_fails "--retries 2 on a link that always stalls" "1" "stall|too slow|timed out|timeout" \
        --stall-timeout 1 --retries 2
    local tries
    tries=$(grep -c "GET /$BLOB3 .*action=stall" "$PROXY_LOG" || true)
    assert_eq 3 "$tries" "attempts at $BLOB3 with --retries 2 (first try + 2 retries)"
    assert_device_unchanged "$FD" "$FD.snap" "--retries"
}
section "--retries N: N more attempts, then a clear failure" retries_section

# Small file systems for the disk-space sections (root only): tmpfs mounts
# made here in the main shell, so the exit hook unmounts them whatever
# happens.
_SMALL_MOUNTS=()
# shellcheck disable=SC2317  # called by the exit hook
_umount_small_fs() {
    local m
    for m in "${_SMALL_MOUNTS[@]}"; do umount "$m" || true; done
}
larch_on_exit _umount_small_fs
# mount_small_fs DIR SIZE: a tmpfs of SIZE on DIR; fails where mounting is
# not allowed (not root, or no CAP_SYS_ADMIN).
mount_small_fs() {
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2" larch-test "$1" 2>/dev/null || return 1
    _SMALL_MOUNTS+=("$1")
}

# device_on_small_fs OK FS WHAT: a new empty bare store on FS, its remote
# origin nginx (prints its path); when FS could not be mounted (OK is 0),
# says that WHAT is not run and fails.
device_on_small_fs() {
    if [ "$1" = 0 ]; then
        log "cannot mount a small tmpfs here (not root, or no CAP_SYS_ADMIN): $3 not run"
        return 1
    fi
    "$LARCH" init --repo "$2/device" --mode bare >/dev/null
    "$LARCH" remote add --repo "$2/device" origin "$NGINX_URL" --keyring "$RING" --compatible board-a
    printf '%s\n' "$2/device"
}

# A 1 MB file system for the free-space check.
SMALL_FS=$W/small-fs SMALL_FS_OK=0
mount_small_fs "$SMALL_FS" 1m && SMALL_FS_OK=1

free_space_section() {
    local d snap mark wire
    d=$(device_on_small_fs "$SMALL_FS_OK" "$SMALL_FS" "free-space check") || return 0
    snap=$W/snap.space
    device_snapshot "$d" "$snap"
    nginx_settle
    mark=$(nginx_mark)
    run_pull "$d" origin os/stable
    expect_pull_failed "pull of ~2.5 MB into a 1 MB file system" "6" "space|free"
    nginx_settle
    wire=$(nginx_bytes_sent "$mark")
    log "  message: $(tail -n 1 <<<"$PULL_ERR"); $wire bytes on the wire"
    [ "$wire" -lt 262144 ] || fail "the free-space check came after $wire bytes were downloaded"
    assert_device_unchanged "$d" "$snap" "free-space check"
}
section "free-space check before downloading" free_space_section

# An 80 MiB file system (a pull keeps 64 MiB free) that fills up while a
# pull downloads.
FULL_FS=$W/full-fs FULL_FS_OK=0
mount_small_fs "$FULL_FS" 80m && FULL_FS_OK=1

# The free-space check passes, then the disk fills (another writer takes the
# rest of it) while the pull is downloading at --max-rate: the pull exits 6,
# names the cause, and leaves no downloads behind in tmp/downloads/; once
# there is room again the same pull completes.
disk_fills_section() {
    local d snap pid rc=0 err=$W/disk-fills.err
    d=$(device_on_small_fs "$FULL_FS_OK" "$FULL_FS" "disk-full download") || return 0
    snap=$W/snap.fills
    device_snapshot "$d" "$snap"
    "$LARCH" pull --repo "$d" origin os/stable --max-rate 150k 2> "$err" &
    pid=$!
    for _ in $(seq 200); do
        [ -z "$(find "$d/tmp/downloads" -type f -size +0 2>/dev/null | head -n 1)" ] || break
        sleep 0.05
    done
    [ -n "$(find "$d/tmp/downloads" -type f -size +0 2>/dev/null | head -n 1)" ] ||
        fail "the pull wrote nothing into tmp/downloads/ within 10 s"
    dd if=/dev/zero of="$FULL_FS/filler" bs=64k 2>/dev/null || true
    wait "$pid" || rc=$?
    PULL_RC=$rc PULL_OUT="" PULL_ERR=$(cat "$err")
    log "  exit $rc; stderr: $(tail -n 2 "$err" | tr '\n' ' ')"
    expect_pull_failed "a disk that fills during the download" "6" "No space left on device"
    grep -q "downloads were removed" "$err" || fail "the message does not say the downloads were removed"
    local left
    left=$(find "$d/tmp/downloads" -type f 2>/dev/null | wc -l)
    [ "$left" = 0 ] || fail "$left files stayed in tmp/downloads/ after the refused pull: $(find "$d/tmp/downloads" -type f)"
    assert_device_unchanged "$d" "$snap" "disk full during a download"
    rm -f "$FULL_FS/filler"
    run_pull "$d" origin os/stable
    expect_pull_ok "the pull once there is room again"
    assert_eq "$V2" "$(pulled_ref "$d" origin:os/stable)" "ref after the disk was freed"
    larch fsck --repo "$d" >/dev/null
    larch checkout --repo "$d" --mode copy origin:os/stable "$W/co-fills" >/dev/null
    tree_compare "$W/tree2" "$W/co-fills"
}
section "a disk that fills during a download: exit 6, downloads removed" disk_fills_section

stop_nginx
sections_done
log "ok"
