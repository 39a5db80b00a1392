# shellcheck shell=bash
# boot_lib.sh - what test-boot-qemu.sh needs to boot a real Debian kernel:
# the kernel (fetched once into a cache), an initramfs with
# larch-prepare-root, guest root filesystems, and qemu. Source after lib.sh.
#
# Facts this relies on (measured here, see docs/boot.md "Testing"):
# virtio and ext4 are modules in Debian's kernel; devtmpfs is not mounted
# by the kernel; the uncompressed ELF boots through PVH about twice as fast
# as bzImage; -enable-kvm does not work on these machines.

KERNEL_CACHE=${LARCH_KERNEL_CACHE:-/var/cache/larch-test-kernel}
# Load order (each after what it depends on; crc32c for ext4's metadata_csum).
BOOT_MODULES=(
    kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
    kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko
    kernel/drivers/virtio/virtio_pci.ko kernel/drivers/block/virtio_blk.ko
    kernel/crypto/crc32c_generic.ko kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko
    kernel/lib/crc16.ko kernel/fs/ext4/ext4.ko
)

# vmlinux_from VMLINUZ OUT: the uncompressed ELF inside a bzImage (its XZ
# payload, followed by trailing bytes the decompressor stops before).
vmlinux_from() {
    python3 - "$1" "$2" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("no XZ payload in " + sys.argv[1])
out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if out[:4] != b"\x7fELF":
    sys.exit("the payload is not an ELF file")
open(sys.argv[2], "wb").write(out)
PY
}

# fetch_kernel: sets KVER and KDIR, the cache entry holding vmlinuz (as
# packaged), vmlinux (uncompressed) and modules/ (BOOT_MODULES, flat).
# Downloads the package once (apt-get download, dpkg-deb -x: never
# installed); later runs reuse the cache. Fails when neither works.
fetch_kernel() {
    local pkg tmp m
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    if [ -n "$pkg" ]; then
        KVER=${pkg#linux-image-}
    else   # no package lists: whatever the cache holds
        KVER=$(find "$KERNEL_CACHE" -mindepth 2 -maxdepth 2 -name complete 2>/dev/null |
            xargs -r -n1 dirname | xargs -r -n1 basename | sort -V | tail -1)
        [ -n "$KVER" ] || return 1
    fi
    KDIR=$KERNEL_CACHE/$KVER
    [ -f "$KDIR/complete" ] && return 0
    [ -n "$pkg" ] || return 1
    log "fetching $pkg into $KERNEL_CACHE (once)"
    mkdir -p "$KERNEL_CACHE"
    tmp=$(mktemp -d "$KERNEL_CACHE/.fetch.XXXXXX")
    if ! (cd "$tmp" && apt-get download -q "$pkg" >&2 2>/dev/null); then
        rm -rf "$tmp"
        return 1
    fi
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    mkdir -p "$tmp/out/modules"
    cp "$tmp/x/boot/vmlinuz-$KVER" "$tmp/out/vmlinuz"
    vmlinux_from "$tmp/out/vmlinuz" "$tmp/out/vmlinux" || { rm -rf "$tmp"; return 1; }
    for m in "${BOOT_MODULES[@]}"; do
        cp "$tmp/x/lib/modules/$KVER/$m" "$tmp/out/modules/" || { rm -rf "$tmp"; return 1; }
    done
    touch "$tmp/out/complete"
    rm -rf "$KDIR"
    mv "$tmp/out" "$KDIR"
    rm -rf "$tmp"
}

# build_initramfs OUT: busybox, the modules, larch-prepare-root and the
# plain initramfs /init (initramfs/plain/init), as a gzip'ed newc cpio.
build_initramfs() {
    local out=$1 dir m
    dir=$(tmpdir initramfs)
    mkdir -p "$dir/bin" "$dir/usr/bin" "$dir/lib/modules" "$dir/etc"
    cp "$BUSYBOX" "$dir/bin/busybox"
    cp "$LARCH_SOURCE_DIR/initramfs/plain/init" "$dir/init"
    strip -o "$dir/usr/bin/larch-prepare-root" "$HELPER"
    for m in "${BOOT_MODULES[@]}"; do
        cp "$KDIR/modules/${m##*/}" "$dir/lib/modules/"
        echo "${m##*/}" >>"$dir/etc/larch-modules"
    done
    (cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# copy_with_libs BINARY DEST ROOT: BINARY stripped at ROOT/DEST plus the
# shared libraries ldd names, under ROOT/usr (a usr-merged tree).
copy_with_libs() {
    local bin=$1 dest=$2 root=$3 lib rel
    mkdir -p "$root/$(dirname "$dest")"
    strip -o "$root/$dest" "$bin"
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
        rel=${lib#/usr}
        mkdir -p "$root/usr$(dirname "$rel")"
        [ -e "$root/usr$rel" ] || cp -L "$lib" "$root/usr$rel"
    done
}

# build_rootfs DIR VERSION HEALTH [DIES]: a small busybox system with larch,
# the health runner, the kernel and initramfs (as deploy expects them), a
# health check that passes (HEALTH=ok) or fails (fail), and with DIES=dies
# an init that dies on its second try. /usr/sbin/init is the test's guest
# script (tests/integration/boot_guest_init.sh).
build_rootfs() {
    local dir=$1 version=$2 health=$3 dies=${4:-} a
    mkdir -p "$dir"/usr/{bin,sbin,lib,lib64,libexec/larch,share/larch-test} \
        "$dir"/{etc/larch/health.d,var,dev,proc,sys,run,tmp,sysroot,boot,root}
    ln -s usr/bin "$dir/bin"
    ln -s usr/sbin "$dir/sbin"
    ln -s usr/lib "$dir/lib"
    ln -s usr/lib64 "$dir/lib64"
    cp "$BUSYBOX" "$dir/usr/bin/busybox"
    for a in $("$BUSYBOX" --list); do
        [ -e "$dir/usr/bin/$a" ] || ln -s busybox "$dir/usr/bin/$a"
    done
    copy_with_libs "$LARCH" usr/bin/larch "$dir"
    mkdir -p "$dir/usr/lib/modules/$KVER"
    cp "$KDIR/vmlinuz" "$dir/usr/lib/modules/$KVER/vmlinuz"
    cp "$INITRD" "$dir/usr/lib/modules/$KVER/initramfs.img"
    install -m 755 "$LARCH_SOURCE_DIR/initramfs/health/larch-health" "$dir/usr/libexec/larch/larch-health"
    install -m 755 "$LARCH_SOURCE_DIR/tests/integration/boot_guest_init.sh" "$dir/usr/sbin/init"
    echo "$version" >"$dir/usr/share/larch-test/version"
    [ "$dies" = dies ] && touch "$dir/usr/share/larch-test/dies-on-second-try"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
    echo 'root:x:0:' >"$dir/etc/group"
    echo "welcome" >"$dir/etc/motd"
    echo "$version" >"$dir/etc/larch-test-release"
    if [ "$health" = ok ]; then
        printf '#!/bin/sh\necho "health: %s is fine"\n' "$version" >"$dir/etc/larch/health.d/10-app"
    else
        printf '#!/bin/sh\necho "health: %s is broken"\nexit 1\n' "$version" >"$dir/etc/larch/health.d/10-app"
    fi
    chmod 755 "$dir/etc/larch/health.d/10-app"
}

# disk_cat IMAGE PATH: a file of the ext4 image (debugfs, no mounting).
disk_cat() {
    debugfs -R "cat $2" "$1" 2>/dev/null
}

# loader_dir IMAGE [BOOT]: the configuration directory in force, following
# the loader symlink inside BOOT (default /boot; "" on a boot partition).
loader_dir() {
    local boot=${2-/boot} target
    target=$(debugfs -R "stat $boot/loader" "$1" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
    [ -n "$target" ] || fail "no $boot/loader symlink in $1"
    printf '%s/%s\n' "$boot" "$target"
}

# boot_options IMAGE [BOOT]: the options line of the default BLS entry, as
# a boot loader would read it (the test stands in for GRUB/systemd-boot).
boot_options() {
    disk_cat "$1" "$(loader_dir "$@")/entries/larch-debian-0.conf" | sed -n 's/^options //p'
}

# boot_state IMAGE [BOOT]: the boot-state file of the configuration in force.
boot_state() {
    disk_cat "$1" "$(loader_dir "$@")/boot-state"
}

# qemu_boot IMAGE CONSOLE-LOG ARGS...: one boot (until the guest powers
# off, panics or 240 s pass) with the kernel command line ARGS. IMAGE is
# /dev/vda; $SECOND_DISK, when set, is /dev/vdb.
qemu_boot() {
    local image=$1 console=$2 start=$SECONDS rc=0 drives
    shift 2
    drives=(-drive "file=$image,format=raw,if=virtio,cache=writeback")
    [ -z "${SECOND_DISK:-}" ] || drives+=(-drive "file=$SECOND_DISK,format=raw,if=virtio,cache=writeback")
    timeout 240 qemu-system-x86_64 -m 256 -smp 1 -nographic -no-reboot \
        -kernel "$KDIR/vmlinux" -initrd "$INITRD" -append "$*" \
        "${drives[@]}" -nic none \
        </dev/null >"$console" 2>&1 || rc=$?
    BOOT_SECONDS=$((SECONDS - start))
    [ "$rc" -ne 124 ] || { cat "$console" >&2; fail "the guest did not stop within 240 s"; }
}
