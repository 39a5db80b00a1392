#!/bin/bash
# ctest-labels: no-sanitizer
# (no-sanitizer: what it checks is text, shell or another tool's work, not
# Larch's memory handling; the ASan pass of tools/run-tests.sh leaves it out)
# test-larch-health.sh - the health-check runner (initramfs/health/
# larch-health) inside a deployment as it runs after boot: chrooted into a
# deployment directory (static busybox for the shell tools) with the
# physical root bound at /sysroot, and a stand-in `larch` that records how
# it was called. Checks run in order, a failure or a timeout keeps the boot
# pending, boot-ok is called for the deployment "/" is (by inode, not by
# larch=), each mode does only its part. Also `systemd-analyze verify` of
# the units when systemd is there. A few seconds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (mount namespace, chroot)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && ! readelf -l "$(readlink -f "$BUSYBOX")" | grep -q INTERP ||
    skip "no static busybox (busybox-static)"
SRC=$LARCH_SOURCE_DIR/initramfs

if command -v systemd-analyze >/dev/null; then
    log "systemd-analyze verify of the units"
    # What this host lacks (the installed programs, an initrd's sysroot.mount) is expected.
    out=$(systemd-analyze verify "$SRC"/systemd/*.service "$SRC"/systemd/*.timer "$SRC"/dracut/90larch/*.service 2>&1 |
        grep -v -e 'is not executable: No such file' -e 'Unit sysroot.mount not found' || true)
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
    # A fleet must not ask the server at one instant.
    delay=$(sed -n 's/^RandomizedDelaySec=//p' "$SRC/systemd/larch-upgrade.timer")
    us=$(systemd-analyze timespan "${delay:-0}" | sed -n 's/^ *μs: //p')
    [ "${us:-0}" -ge 3600000000 ] || fail "larch-upgrade.timer: RandomizedDelaySec '$delay' is under an hour"
fi

T=$(tmpdir work)
S=$T/sysroot
A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))
for d in $A $B; do
    D=$S/ostree/deploy/debian/deploy/$d.0
    mkdir -p "$D"/usr/bin "$D"/usr/libexec/larch "$D"/etc/larch/health.d "$D"/tmp "$D"/sysroot "$D"/dev
    ln -s usr/bin "$D/bin"
    cp "$BUSYBOX" "$D/usr/bin/busybox"
    for a in sh stat date timeout mktemp rm cat echo sleep; do ln -s busybox "$D/usr/bin/$a"; done
    install -m 755 "$SRC/health/larch-health" "$D/usr/libexec/larch/larch-health"
    cat >"$D/usr/bin/larch" <<'FAKE'
#!/bin/sh
# stand-in for larch: records its arguments and the --cmdline file
echo "larch $*" >>/tmp/calls
prev=""
for a in "$@"; do
    [ "$prev" = --cmdline ] && cat "$a" >>/tmp/calls
    prev=$a
done
exit "${FAKE_LARCH_EXIT:-0}"
FAKE
    chmod 755 "$D/usr/bin/larch"
done
D=$S/ostree/deploy/debian/deploy/$A.0
check() {   # check NAME EXIT [SECONDS]: a health check
    printf '#!/bin/sh\necho "check %s ran"\nsleep %s\nexit %s\n' "$1" "${3:-0}" "$2" >"$D/etc/larch/health.d/$1"
    chmod 755 "$D/etc/larch/health.d/$1"
}
# run ARGS...: larch-health in deployment A, booted with larch= naming B
# (as after a fallback); output in $OUT, exit status in $RC.
run() {
    rm -f "$D/tmp/calls"
    RC=0
    OUT=$(unshare -m --propagation private bash -c \
        "mount --bind '$S' '$D/sysroot' && mount --rbind /dev '$D/dev' &&
         chroot '$D' /usr/bin/env -i PATH=/usr/bin ${ENVS:-} LARCH_CMDLINE=larch=/ostree/deploy/debian/deploy/$B.0 \
             /usr/libexec/larch/larch-health $*" 2>&1) ||
        RC=$?
    CALLS=$(cat "$D/tmp/calls" 2>/dev/null || true)
    printf '%s\n' "$OUT" >&2
}
ln -s busybox "$D/usr/bin/env"

log "all checks pass: boot-ok for the deployment / is, in order"
check 20-app 0
check 10-net 0
run
assert_eq 0 "$RC" "exit status"
assert_contains "$OUT" "check 10-net ran"$'\n'"larch-health: check 10-net passed"
assert_contains "$OUT" "larch-health: check 20-app passed"
[[ "$OUT" == *"10-net ran"*"20-app ran"* ]] || fail "checks not run in name order"
assert_contains "$CALLS" "larch admin boot-ok --sysroot /sysroot --cmdline /tmp/larch-health."
assert_contains "$CALLS" "larch=/ostree/deploy/debian/deploy/$A.0"

log "--booted names the deployment by inode, not larch="
run --booted
assert_eq 0 "$RC"
assert_eq "/ostree/deploy/debian/deploy/$A.0" "$OUT"

log "a failing check: the others still run, nothing is marked, exit 1"
check 15-db 3
run
assert_eq 1 "$RC" "exit status"
assert_contains "$OUT" "check 15-db FAILED (exit 3)"
assert_contains "$OUT" "check 20-app passed"
assert_contains "$OUT" "health checks failed: 15-db; the deployment stays pending"
assert_eq "" "$CALLS" "larch calls"

log "a check over its time limit fails"
check 15-db 0 3
ENVS="LARCH_HEALTH_TIMEOUT=1" run --checks
assert_eq 1 "$RC"
assert_contains "$OUT" "check 15-db FAILED"
rm "$D/etc/larch/health.d/15-db"

log "--checks only checks, --mark-good only marks"
run --checks
assert_eq 0 "$RC"
assert_eq "" "$CALLS" "larch calls of --checks"
run --mark-good
assert_eq 0 "$RC"
assert_contains "$CALLS" "larch admin boot-ok"
[[ "$OUT" != *"ran"* ]] || fail "--mark-good ran checks"

log "boot-ok failing: exit 2"
ENVS="FAKE_LARCH_EXIT=5" run
assert_eq 2 "$RC"
assert_contains "$OUT" "larch admin boot-ok failed (exit 5)"
log "PASS"
