#!/bin/bash
# ctest-labels: no-sanitizer
# (no-sanitizer: what it checks is text, shell or another tool's work, not
# Larch's memory handling; the ASan pass of tools/run-tests.sh leaves it out)
# test-initramfs-hooks.sh - the dracut module (initramfs/dracut/90larch)
# and the initramfs-tools hook and local-bottom script put
# larch-prepare-root, and what runs it, into real initramfs images built by
# dracut and mkinitramfs. Nothing is installed on the host: dracut runs
# from a copy of its module tree (dracutbasedir), mkinitramfs with its own
# configuration directory, in a mount namespace whose /lib/modules holds
# an empty module tree for a made-up kernel version.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/../initramfs/larch-prepare-root}
[ -x "$HELPER" ] || fail "larch-prepare-root not found at $HELPER (build first)"
[ "$(id -u)" -eq 0 ] || skip "needs root"
export LARCH_PREPARE_ROOT=$HELPER
SRC=$LARCH_SOURCE_DIR/initramfs
T=$(tmpdir work)
ran=0

# dracut_image OUT MODULES...: an initramfs of just those dracut modules.
dracut_image() {
    local out=$1
    shift
    dracutbasedir=$T/dracut dracut --quiet --force --no-kernel --no-hostonly --no-early-microcode --nostrip \
        --modules "$*" --tmpdir "$T" "$out" 2>"$T/dracut.log" ||
        { cat "$T/dracut.log" >&2; fail "dracut --modules '$*' failed"; }
    lsinitrd "$out"
}

if command -v dracut >/dev/null && command -v lsinitrd >/dev/null && [ -d /usr/lib/dracut/modules.d ]; then
    log "dracut: shell init, the pre-pivot hook"
    cp -a /usr/lib/dracut "$T/dracut"
    cp -a "$SRC/dracut/90larch" "$T/dracut/modules.d/90larch"
    list=$(dracut_image "$T/dracut.img" base larch)
    assert_contains "$list" "usr/bin/larch-prepare-root" "dracut image"
    assert_contains "$list" "hooks/pre-pivot/50-larch-prepare-root-hook.sh" "dracut image"
    lsinitrd -f usr/bin/larch-prepare-root "$T/dracut.img" | cmp - <(cat "$HELPER") ||
        fail "the helper in the dracut image differs from the build"
    if [ -d "$T/dracut/modules.d/00systemd" ] && command -v systemctl >/dev/null; then
        log "dracut: systemd in the initramfs, larch-prepare-root.service"
        list=$(dracut_image "$T/dracut-systemd.img" systemd systemd-initrd base larch)
        assert_contains "$list" "larch-prepare-root.service" "dracut systemd image"
        assert_contains "$list" "initrd-root-fs.target.wants/larch-prepare-root.service" "dracut systemd image"
    fi
    ran=$((ran + 1))
else
    log "dracut is not installed: dracut module not tested"
fi

if command -v mkinitramfs >/dev/null && command -v lsinitramfs >/dev/null; then
    log "initramfs-tools: the hook and the local-bottom script"
    kver=0.0.0-larch-test
    mkdir -p "$T/modules/$kver" "$T/conf"
    cp -a /etc/initramfs-tools/. "$T/conf/"
    sed -i 's/^MODULES=.*/MODULES=list/' "$T/conf/initramfs.conf"
    mkdir -p "$T/conf/hooks" "$T/conf/scripts/local-bottom"
    install -m 755 "$SRC/initramfs-tools/hooks/larch" "$T/conf/hooks/larch"
    install -m 755 "$SRC/initramfs-tools/scripts/local-bottom/larch" "$T/conf/scripts/local-bottom/larch"
    touch "$T/modules/$kver/modules.order" "$T/modules/$kver/modules.builtin"
    mkdir -p "$T/boot"
    echo CONFIG_RD_GZIP=y >"$T/boot/config-$kver"   # what mkinitramfs reads to pick a compressor
    # A container may have no /lib/modules or /boot to mount on: made
    # (empty) for the run and removed after.
    made=()
    for d in /lib/modules /boot; do
        [ -d "$d" ] || { mkdir "$d" && made+=("$d"); }
    done
    rc=0
    unshare -m --propagation private bash -c \
        "mount --bind '$T/modules' /lib/modules && mount --bind '$T/boot' /boot &&
         mkinitramfs -d '$T/conf' -o '$T/initrd.img' $kver" >"$T/mkinitramfs.log" 2>&1 || rc=$?
    for d in "${made[@]}"; do rmdir "$d"; done
    [ "$rc" -eq 0 ] || { cat "$T/mkinitramfs.log" >&2; fail "mkinitramfs failed"; }
    list=$(lsinitramfs "$T/initrd.img")
    assert_contains "$list" "usr/bin/larch-prepare-root" "initramfs-tools image"
    assert_contains "$list" "scripts/local-bottom/larch" "initramfs-tools image"
    assert_contains "$list" "scripts/local-bottom/ORDER" "initramfs-tools image"
    ran=$((ran + 1))
else
    log "initramfs-tools is not installed: hook not tested"
fi

if command -v grub-script-check >/dev/null && command -v grub-mkrelpath >/dev/null; then
    log "grub.d/09_larch: GRUB accepts what it adds to grub.cfg"
    out=$("$LARCH_SOURCE_DIR/initramfs/grub/09_larch")
    printf '%s\n' "$out" >"$T/09_larch.cfg"
    grub-script-check "$T/09_larch.cfg" || fail "grub-script-check refuses the output of 09_larch: $out"
    assert_contains "$out" "configfile \"$(grub-mkrelpath /boot | sed 's#^/$##')/loader/grub.cfg\"" "09_larch output"
else
    log "grub-common is not installed: grub.d/09_larch not tested"
fi

[ "$ran" -gt 0 ] || skip "neither dracut nor initramfs-tools is installed (tools/setup.sh installs both)"
log "PASS"
