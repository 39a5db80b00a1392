# shellcheck shell=bash
# admin_lib.sh - helpers for the `larch admin` integration tests
# (test-admin-*.sh). Source it after lib.sh:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"
#
# A publisher (archive store served over file://, a signing key, a keyring)
# and a device sysroot whose bare store trusts it as remote "origin".

# admin_test_start: what every admin test needs first: the binary, root
# (a bare store keeps file owners), $W a scratch directory, and no booted
# deployment unless the test says so (boot_into).
admin_test_start() {
    require_larch
    [ "$(id -u)" -eq 0 ] || skip "needs root: a bare store keeps file owners"
    W=$(tmpdir work)
    unset LARCH_CMDLINE
}

# small_tree DIR VERSION: a small root filesystem with a kernel pair, a
# 20 kB program (a delta has something to patch) and /etc.
small_tree() {
    mkdir -p "$1/usr/bin" "$1/usr/lib/modules/6.1.0" "$1/etc/ssh"
    echo "kernel" > "$1/usr/lib/modules/6.1.0/vmlinuz"
    echo "initramfs" > "$1/usr/lib/modules/6.1.0/initramfs.img"
    { head -c 20000 /usr/bin/env; echo "app $2"; } > "$1/usr/bin/app"
    echo "VERSION=$2" > "$1/etc/os-release"
    echo "PermitRootLogin no" > "$1/etc/ssh/sshd_config"
}

# release_tree DIR VERSION HEALTH-EXIT: small_tree with an init program and
# a health check in /etc/larch/health.d that exits HEALTH-EXIT.
release_tree() {
    small_tree "$1" "$2"
    mkdir -p "$1/etc/larch/health.d" "$1/usr/sbin"
    ln -s usr/sbin "$1/sbin"
    printf '#!/bin/sh\nexec /bin/sh\n' >"$1/usr/sbin/init"   # the helper boots only a tree with an init
    chmod 755 "$1/usr/sbin/init"
    printf '#!/bin/sh\necho "app %s: exit %s"\nexit %s\n' "$2" "$3" "$3" >"$1/etc/larch/health.d/10-app"
    chmod 755 "$1/etc/larch/health.d/10-app"
}

# make_publisher DIR: $SRV (archive store), $KEY (private key), $RING (keyring).
make_publisher() {
    SRV=$1/server KEY=$1/key RING=$1/keyring
    mkdir -p "$RING"
    "$LARCH" key generate -o "$KEY" >/dev/null
    cp "$KEY.pub" "$RING/"
    "$LARCH" init --repo "$SRV" --mode archive >/dev/null
}

# publish TREE VERSION [COMPATIBLE]: commit TREE as os/stable, sign it,
# publish a new summary; prints the commit id.
publish() {
    local id
    id=$("$LARCH" commit --repo "$SRV" --branch os/stable --tree "$1" --version "$2" \
        --metadata "compatible=${3:-board-a}")
    "$LARCH" sign --repo "$SRV" "$id" -k "$KEY.key" >/dev/null
    "$LARCH" summary --repo "$SRV" --update -k "$KEY.key" >/dev/null
    printf '%s\n' "$id"
}

# make_device DIR [COMPATIBLE]: an initialized sysroot $S with OS "debian"
# and remote origin; $DEVREPO is its store.
make_device() {
    S=$1
    mkdir -p "$S"
    "$LARCH" admin init-fs "$S" >/dev/null
    "$LARCH" admin os-init debian --sysroot "$S"
    DEVREPO=$S/ostree/repo
    "$LARCH" remote add --repo "$DEVREPO" origin "file://$SRV" --keyring "$RING" --compatible "${2:-board-a}"
}

# admin_status JQ-FILTER: a field of `larch admin status --json`.
admin_status() {
    "$LARCH" admin status --sysroot "$S" --json | jq -r "$1"
}

# boot_into PATH: pretend the running kernel was booted with larch=PATH.
boot_into() {
    export LARCH_CMDLINE="root=/dev/vda2 rw larch=$1"
    log "booted into $1"
}

# deployment_path INDEX: the path of deployment INDEX in the sysroot.
deployment_path() {
    admin_status ".deployments[$1].path"
}

# sysroot_state: one hash over every entry of the sysroot except the state
# database (name, type, size, mode, owner, symlink target, content).
sysroot_state() {
    (cd "$S" && find . -path ./ostree/repo/state.db\* -prune -o -printf '%p %y %s %m %u %l\n' | LC_ALL=C sort &&
        find . -path ./ostree/repo/state.db\* -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}

# refused_admin CODE NEEDLE ARGS...: `larch admin ARGS` exits CODE, says
# NEEDLE on stderr, and changes nothing in the sysroot.
refused_admin() {
    local code=$1 needle=$2 before
    shift 2
    before=$(sysroot_state)
    assert_exit "$code" "$LARCH" admin "$@" --sysroot "$S"
    assert_contains "$LAST_STDERR" "$needle" "stderr of larch admin $*"
    assert_eq "$before" "$(sysroot_state)" "sysroot after refused: larch admin $*"
}

# du_bytes DIR: bytes of disk blocks used below DIR (hard links once),
# the state database left out.
du_bytes() {
    du -s -B1 --exclude='state.db*' "$1" | cut -f1
}
