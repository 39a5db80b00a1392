#!/bin/bash
# dracut module "larch": puts larch-prepare-root into the initramfs and runs
# it once the physical root is mounted at /sysroot ($NEWROOT), before the
# switch to it (docs/boot.md, "dracut").
#   - systemd in the initramfs: larch-prepare-root.service, after
#     sysroot.mount and before initrd-root-fs.target;
#   - dracut's shell init: a pre-pivot hook.
# Either way the helper runs as a step (--no-switch) and dracut's own
# switch_root takes over. Install: copy this directory to
# /usr/lib/dracut/modules.d/90larch; it is included whenever the helper is
# installed (or ask for it: dracut --add larch). LARCH_PREPARE_ROOT names
# another build of the helper to put in (tests, image builders).

larch_helper() { echo "${LARCH_PREPARE_ROOT:-/usr/bin/larch-prepare-root}"; }

check() {
    [ -x "$(larch_helper)" ] || return 1
    return 0
}

depends() {
    echo base
    return 0
}

install() {
    inst_simple "$(larch_helper)" /usr/bin/larch-prepare-root
    # Verified boot (docs/verity.md): the keys the helper trusts to sign
    # what it boots. Without any, the helper does not check.
    local key
    for key in /etc/larch/boot-keys/*.pub; do
        [ -f "$key" ] && inst_simple "$key" "$key"
    done
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/larch-prepare-root.service" "$systemdsystemunitdir/larch-prepare-root.service"
        $SYSTEMCTL -q --root "$initdir" add-wants initrd-root-fs.target larch-prepare-root.service
    else
        inst_hook pre-pivot 50 "$moddir/larch-prepare-root-hook.sh"
    fi
}
