#!/bin/sh
# dracut pre-pivot hook (shell init): turn $NEWROOT, the mounted physical
# root, into the deployment to boot. Not a Larch system (no larch= and no
# boot-state): nothing to do.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

if getarg larch= >/dev/null 2>&1 || [ -e "$NEWROOT/ostree/boot/boot-state" ]; then
    /usr/bin/larch-prepare-root --no-switch "$NEWROOT" ||
        die "larch-prepare-root: no deployment could be prepared (see the messages above)"
fi
