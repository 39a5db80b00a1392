# shellcheck shell=bash
# lib-boot-sim.sh - one power-on of a device, played on this machine in a
# private mount namespace (nothing is mounted outside it; it ends with the
# boot). Shared by tools/demo.sh and the tests that need a device to boot
# without qemu (test-hawkbit.sh). Source it after lib.sh.
#
#   boot_sim_tools               finds larch-prepare-root ($BOOT_SIM_HELPER)
#                                and larch-health ($BOOT_SIM_HEALTH), or fails
#   boot_sim SYSROOT SCRATCH     one boot; sets BOOTED and exports
#                                LARCH_CMDLINE="larch=$BOOTED"
#
# A boot is:
#  - the boot loader: the options line of the default boot entry
#    (boot/loader/entries/larch-<os>-0.conf);
#  - larch-prepare-root, the boot-time helper, as the initramfs runs it:
#    counts the try in the boot-state on disk, chooses the deployment
#    (falling back when the default is out of tries) and mounts it on the
#    sysroot, the physical root at sysroot/sysroot;
#  - larch-health --checks (larch-health.service): the executables in the
#    booted deployment's /etc/larch/health.d (run here without a chroot);
#  - when they pass, larch admin boot-ok (larch-boot-ok.service) for the
#    deployment that really runs, found as larch-health finds it: by device
#    and inode.
# Output goes to stdout, indented by three spaces.

# shellcheck disable=SC2016  # expanded by the shell inside the namespace
BOOT_SIM_SCRIPT='
    set -euo pipefail
    S=$1 helper=$2 health=$3 larch=$4 W=$5
    mount --bind "$S" "$S"
    "$helper" --no-switch --log=stderr --cmdline "$W/cmdline" "$S" 2>&1 |
        grep -v -e "created the mount point" -e " done in " | sed "s/^/   /"
    booted=""
    for d in "$S"/sysroot/ostree/deploy/*/deploy/*; do
        [ "$(stat -c %d:%i "$d")" = "$(stat -c %d:%i "$S")" ] && booted=${d#"$S/sysroot"}
    done
    echo "$booted" >"$W/booted"
    if LARCH_HEALTH_DIR="$S/etc/larch/health.d" "$health" --checks | sed "s/^/   /"; then
        LARCH_CMDLINE="larch=$booted" "$larch" admin boot-ok --sysroot "$S/sysroot" | sed "s/^/   /"
    fi'

# boot_sim_tools: $BOOT_SIM_HELPER and $BOOT_SIM_HEALTH from $LARCH_PREPARE_ROOT
# and $LARCH_HEALTH, else beside $LARCH (installed) or in its build tree.
boot_sim_tools() {
    local src=${LARCH_SOURCE_DIR:?}
    BOOT_SIM_HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/larch-prepare-root}
    [ -n "${LARCH_PREPARE_ROOT:-}" ] || [ -x "$BOOT_SIM_HELPER" ] ||
        BOOT_SIM_HELPER=$(dirname "$LARCH")/../initramfs/larch-prepare-root
    [ -x "$BOOT_SIM_HELPER" ] || fail "no larch-prepare-root at $BOOT_SIM_HELPER (set LARCH_PREPARE_ROOT)"
    BOOT_SIM_HEALTH=${LARCH_HEALTH:-$src/initramfs/health/larch-health}
    [ -x "$BOOT_SIM_HEALTH" ] || fail "no larch-health at $BOOT_SIM_HEALTH (set LARCH_HEALTH)"
    unshare -m true 2>/dev/null || skip "mount namespaces (unshare -m) are not available here"
}

# boot_sim SYSROOT SCRATCH: one boot of SYSROOT (above); SCRATCH holds the
# command line and the answer. Sets BOOTED (the deployment's path) and
# LARCH_CMDLINE, which larch admin reads instead of /proc/cmdline.
boot_sim() {
    local s=$1 w=$2 entry
    entry=$(find "$s/boot/loader/entries" -name 'larch-*-0.conf' | head -n 1)
    [ -n "$entry" ] || fail "boot_sim: $s has no default boot entry"
    sed -n 's/^options //p' "$entry" >"$w/cmdline"
    unshare -m --propagation private bash -c "$BOOT_SIM_SCRIPT" boot "$s" "$BOOT_SIM_HELPER" "$BOOT_SIM_HEALTH" \
        "$LARCH" "$w"
    BOOTED=$(cat "$w/booted")
    [ -n "$BOOTED" ] || fail "boot_sim: no deployment is mounted after the boot of $s"
    export LARCH_CMDLINE="larch=$BOOTED"
}
