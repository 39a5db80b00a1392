# shellcheck shell=bash
# debian_boot_lib.sh - a real Debian 12 system with systemd for the qemu
# test test-debian-boot-qemu.sh: the debootstrapped base (built once,
# cached), chroots with /proc, /sys and /dev, and Larch's Debian packages.
# Source after lib.sh.

# What the base holds: systemd as init, Debian's kernel, initramfs-tools
# (busybox: its initramfs shell, as a standard install has it) and the
# libraries the larch package needs, so that its install needs no download.
DEBIAN_BOOT_SUITE=bookworm
DEBIAN_BOOT_PACKAGES=(
    systemd-sysv udev kmod linux-image-amd64 initramfs-tools busybox zstd
    libssl3 libzstd1 libcurl4 libfmt9 libsqlite3-0 libattr1 libdivsufsort3 zlib1g libfsverity0
)
# Downloaded (not installed) into the base's dracut-debs/: the dracut
# variant swaps initramfs-tools for it (they conflict) without a download.
DEBIAN_BOOT_DRACUT=dracut
DEBIAN_BOOT_CACHE=${LARCH_DEBIAN_BOOT_CACHE:-/var/tmp/larch-debian-boot-base}

# debian_archive POCKET: the first archive URI this machine's apt uses for
# POCKET/main (from `apt-cache policy`; nothing is hard-coded).
debian_archive() {
    apt-cache policy | awk -v want="$1/main" '$2 ~ /^(https?|file):/ && $3 == want { print $2; exit }'
}

# Mounts made in chroots, undone at exit (last first): a killed run must
# not leave /proc mounted inside a tree someone later removes.
CHROOT_MOUNTS=()
chroot_umount_all() {
    local i
    for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${CHROOT_MOUNTS[i]}" 2>/dev/null || umount -l "${CHROOT_MOUNTS[i]}" 2>/dev/null || true
    done
    CHROOT_MOUNTS=()
}
larch_on_exit chroot_umount_all

# chroot_mount ROOT: /proc, /sys and the host's /dev inside ROOT (dracut,
# update-initramfs and apt expect them).
chroot_mount() {
    local root=$1
    mount -t proc proc "$root/proc" && CHROOT_MOUNTS+=("$root/proc")
    mount -t sysfs sysfs "$root/sys" && CHROOT_MOUNTS+=("$root/sys")
    mount --bind /dev "$root/dev" && CHROOT_MOUNTS+=("$root/dev")
}

# in_chroot ROOT CMD...: CMD in ROOT with a clean environment; no service
# is started (policy-rc.d, made by debian_boot_base).
in_chroot() {
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# debian_boot_base: print the cache entry holding rootfs/ (the base system)
# and dracut-debs/, building it when missing (debootstrap, minutes; once per
# package list). Built in a temporary directory and renamed when complete;
# concurrent runs wait on a lock. Skips when debootstrap or the archive is
# missing (fails in CI).
debian_boot_base() {
    local key dir tmp archive rc=0
    key=$(printf '%s\n' "$DEBIAN_BOOT_SUITE" "${DEBIAN_BOOT_PACKAGES[@]}" "$DEBIAN_BOOT_DRACUT" | sha256sum | cut -c1-16)
    dir=$DEBIAN_BOOT_CACHE/$key
    if [ -f "$dir/complete" ]; then
        printf '%s\n' "$dir"
        return 0
    fi
    command -v debootstrap >/dev/null || skip "debootstrap is not installed (tools/setup.sh installs it)"
    archive=$(debian_archive "$DEBIAN_BOOT_SUITE")
    if [ -z "$archive" ]; then
        [ "${CI:-}" = true ] && fail "apt knows no archive for $DEBIAN_BOOT_SUITE/main (apt-get update?)"
        skip "apt knows no archive for $DEBIAN_BOOT_SUITE/main and no base is cached in $DEBIAN_BOOT_CACHE"
    fi
    mkdir -p "$DEBIAN_BOOT_CACHE"
    exec 8>"$DEBIAN_BOOT_CACHE/lock"
    flock 8
    if [ -f "$dir/complete" ]; then
        exec 8>&-
        printf '%s\n' "$dir"
        return 0
    fi
    tmp=$(mktemp -d "$DEBIAN_BOOT_CACHE/.build.XXXXXX")
    log "building the Debian base in $dir (debootstrap, once; log: $tmp/debootstrap.log)"
    debootstrap --variant=minbase --include="$(IFS=,; echo "${DEBIAN_BOOT_PACKAGES[*]}")" \
        "$DEBIAN_BOOT_SUITE" "$tmp/rootfs" "$archive" >"$tmp/debootstrap.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 30 "$tmp/debootstrap.log" >&2
        fail "debootstrap failed (exit $rc); see above"
    fi
    printf '#!/bin/sh\nexit 101\n' >"$tmp/rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/rootfs/usr/sbin/policy-rc.d"
    chroot_mount "$tmp/rootfs"
    # (debootstrap leaves its own downloads in the archives: cleaned first)
    in_chroot "$tmp/rootfs" apt-get clean && in_chroot "$tmp/rootfs" apt-get -q update >>"$tmp/debootstrap.log" 2>&1 &&
        in_chroot "$tmp/rootfs" apt-get -q -y --no-install-recommends --download-only install "$DEBIAN_BOOT_DRACUT" \
            >>"$tmp/debootstrap.log" 2>&1 || rc=$?
    chroot_umount_all
    [ "$rc" -eq 0 ] || { tail -n 30 "$tmp/debootstrap.log" >&2; fail "downloading $DEBIAN_BOOT_DRACUT failed"; }
    mkdir "$tmp/dracut-debs"
    mv "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp/dracut-debs/"
    rm -rf "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/var/cache/apt/*.bin
    printf '%s\n' "${DEBIAN_BOOT_PACKAGES[@]}" >"$tmp/packages"
    touch "$tmp/complete"
    sync -f "$tmp/complete"
    rm -rf --one-file-system "$dir"
    mv "$tmp" "$dir"
    exec 8>&-
    printf '%s\n' "$dir"
}

# larch_debs: print a directory holding larch_*.deb and larch-boot_*.deb:
# $LARCH_DEBS when set, else the packages of this source tree, built once
# per content of the tree (dpkg-buildpackage -us -uc -b, no tests) into
# $DEBIAN_BOOT_CACHE/debs/<hash>. Always in the same directory, so ccache
# finds the same compiler command lines again. Skips when the tree has no
# debian/.
larch_debs() {
    local src=$LARCH_SOURCE_DIR key dir build rc=0
    if [ -n "${LARCH_DEBS:-}" ]; then
        compgen -G "$LARCH_DEBS/larch_*.deb" >/dev/null && compgen -G "$LARCH_DEBS/larch-boot_*.deb" >/dev/null ||
            fail "LARCH_DEBS=$LARCH_DEBS holds no larch_*.deb and larch-boot_*.deb"
        (cd "$LARCH_DEBS" && pwd)
        return 0
    fi
    [ -d "$src/debian" ] || skip "$src has no debian/: no Larch packages to install (set LARCH_DEBS=DIR of built .debs)"
    command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (tools/setup.sh installs it)"
    # The tree's files as git sees them (tracked and untracked, not ignored):
    # the build directory never counts.
    source_files() {
        if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
            git -C "$src" ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
                [ -e "$src/$f" ] && printf '%s\0' "$f"
            done
        else
            (cd "$src" && find . -path ./build -prune -o -type f -print0)
        fi
    }
    key=$(cd "$src" && source_files | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
    dir=$DEBIAN_BOOT_CACHE/debs/$key
    if [ ! -f "$dir/complete" ]; then
        mkdir -p "$DEBIAN_BOOT_CACHE/debs"
        exec 7>"$DEBIAN_BOOT_CACHE/debs/lock"
        flock 7
        if [ ! -f "$dir/complete" ]; then
            build=$DEBIAN_BOOT_CACHE/debs/build
            rm -rf --one-file-system "$build"
            mkdir -p "$build/larch"
            (cd "$src" && source_files | tar -c --null -T -) | tar -x -C "$build/larch"
            log "building the Larch packages in $build (dpkg-buildpackage -us -uc -b; log: $build/build.log)"
            (cd "$build/larch" && CMAKE_CXX_COMPILER_LAUNCHER=$(command -v ccache || true) \
                DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
                >"$build/build.log" 2>&1 || rc=$?
            if [ "$rc" -ne 0 ]; then
                tail -n 40 "$build/build.log" >&2
                fail "dpkg-buildpackage failed (exit $rc); see above"
            fi
            rm -rf --one-file-system "$dir"
            rm -rf --one-file-system "$dir.tmp"
            mkdir -p "$dir.tmp"
            mv "$build"/*.deb "$dir.tmp/"
            touch "$dir.tmp/complete"
            mv "$dir.tmp" "$dir"
            rm -rf --one-file-system "$build"
        fi
        exec 7>&-
    fi
    printf '%s\n' "$dir"
}

# apt_install_debs ROOT LOG DEB...: apt-get install these package files in
# ROOT (chroot_mount first), their dependencies from what ROOT has; the
# output goes to LOG, shown when apt fails.
apt_install_debs() {
    local root=$1 log=$2 f in_root=()
    shift 2
    mkdir -p "$root/tmp/larch-apt-debs"
    for f in "$@"; do
        cp "$f" "$root/tmp/larch-apt-debs/"
        in_root+=("/tmp/larch-apt-debs/${f##*/}")
    done
    in_chroot "$root" apt-get install -y -q --no-install-recommends "${in_root[@]}" >"$log" 2>&1 ||
        { cat "$log" >&2; fail "apt-get install ${in_root[*]##*/} failed in $root"; }
    rm -rf "$root/tmp/larch-apt-debs"
}
