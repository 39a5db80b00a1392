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
# virtio_net and what it needs (modinfo -F depends), in load order: cached
# too, for the guests that load them (test-ota-qemu.sh).
NET_MODULES=(kernel/net/core/failover.ko kernel/drivers/net/net_failover.ko kernel/drivers/net/virtio_net.ko)

# boot_test_setup: what a qemu boot test needs, or the test is skipped
# (fails in CI when the kernel cannot be had): larch and
# larch-prepare-root built (HELPER), the tools, a static busybox
# (BUSYBOX), a plain (not sanitized) build, and the kernel (fetch_kernel).
boot_test_setup() {
    local tool
    require_larch
    HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/../initramfs/larch-prepare-root}
    [ -x "$HELPER" ] || fail "larch-prepare-root not found at $HELPER (build first)"
    for tool in qemu-system-x86_64 mkfs.ext4 debugfs e2fsck cpio xz apt-get dpkg-deb; do
        command -v "$tool" >/dev/null || skip "$tool is not installed (tools/setup.sh installs it)"
    done
    BUSYBOX=$(command -v busybox || true)
    [ -n "$BUSYBOX" ] && ! readelf -l "$(readlink -f "$BUSYBOX")" | grep -q INTERP ||
        skip "no static busybox (busybox-static)"
    skip_sanitized_larch
    if ! fetch_kernel; then
        [ "${CI:-}" = true ] && fail "cannot fetch the kernel package (apt-get download linux-image-amd64)"
        skip "no kernel package reachable and none cached in $KERNEL_CACHE"
    fi
}

# skip_sanitized_larch: the sanitizer build's larch would run in the guest
# with ASan's runtime: the boot path is proven by the plain build (the
# helper is never sanitized: it is static).
skip_sanitized_larch() {
    if ldd "$LARCH" 2>/dev/null | grep -q libasan; then
        skip "sanitizer build: boots are tested with the plain build"
    fi
}

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

# kernel_cache_entry CACHE PKG: KVER (from PKG, linux-image-<KVER>[:arch];
# without PKG, no package lists: the newest complete entry in CACHE) and
# KDIR, its entry. Returns 0 when the entry is complete, 1 when PKG is to
# be fetched into it, 2 when there is neither.
kernel_cache_entry() {
    local cache=$1 pkg=${2%:*}
    if [ -n "$pkg" ]; then
        KVER=${pkg#linux-image-}
    else
        KVER=$(find "$cache" -mindepth 2 -maxdepth 2 -name complete 2>/dev/null |
            xargs -r -n1 dirname | xargs -r -n1 basename | sort -V | tail -1)
        [ -n "$KVER" ] || return 2
    fi
    KDIR=$cache/$KVER
    [ -f "$KDIR/complete" ] && return 0
    [ -n "$pkg" ] || return 2
    return 1
}

# fetch_kernel: sets KVER and KDIR, the cache entry holding vmlinuz (as
# packaged), vmlinux (uncompressed) and modules/ (BOOT_MODULES and
# NET_MODULES, flat; a cache made before NET_MODULES: fetch_kernel_modules).
# Downloads the package once (apt-get download, dpkg-deb -x: never
# installed); later runs reuse the cache. Fails when neither works.
fetch_kernel() {
    local pkg tmp rc=0
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    kernel_cache_entry "$KERNEL_CACHE" "$pkg" || rc=$?
    [ "$rc" -ne 0 ] || return 0
    [ "$rc" -eq 1 ] || return 1
    log "fetching $pkg into $KERNEL_CACHE (once)"
    tmp=$(_kernel_package) || return 1
    mkdir -p "$tmp/out/modules"
    cp "$tmp/x/boot/vmlinuz-$KVER" "$tmp/out/vmlinuz"
    vmlinux_from "$tmp/out/vmlinuz" "$tmp/out/vmlinux" || { rm -rf "$tmp"; return 1; }
    install_cache_entry "$tmp" "${BOOT_MODULES[@]}" "${NET_MODULES[@]}"
}

# install_cache_entry TMP MODULE...: the modules (paths below
# lib/modules/$KVER of the packages extracted in TMP/x) into TMP/out/modules,
# then TMP/out, marked complete, becomes KDIR; TMP is removed either way.
install_cache_entry() {
    local tmp=$1 m
    shift
    mkdir -p "$tmp/out/modules"
    for m in "$@"; do
        cp "$tmp/x/lib/modules/$KVER/$m" "$tmp/out/modules/" || { rm -rf "$tmp"; return 1; }
    done
    touch "$tmp/out/complete"
    rm -rf "$KDIR"
    mv "$tmp/out" "$KDIR"
    rm -rf "$tmp"
}

# _kernel_package: linux-image-$KVER downloaded and extracted (never
# installed) into a new directory under the cache; prints the directory,
# whose x/ holds the package's files.
_kernel_package() {
    local tmp
    mkdir -p "$KERNEL_CACHE"
    tmp=$(mktemp -d "$KERNEL_CACHE/.fetch.XXXXXX")
    if ! (cd "$tmp" && apt-get download -q "linux-image-$KVER" >&2 2>/dev/null) ||
        ! dpkg-deb -x "$tmp"/*.deb "$tmp/x"; then
        rm -rf "$tmp"
        return 1
    fi
    printf '%s\n' "$tmp"
}

# fetch_kernel_modules MODULE...: after fetch_kernel, these modules too
# (paths as in BOOT_MODULES) in $KDIR/modules; a cache made without them
# gets them from the same package, fetched once more.
fetch_kernel_modules() {
    local m missing=() tmp
    for m in "$@"; do
        [ -f "$KDIR/modules/${m##*/}" ] || missing+=("$m")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    log "fetching linux-image-$KVER again for ${missing[*]##*/}"
    tmp=$(_kernel_package) || return 1
    for m in "${missing[@]}"; do
        # Copied beside, then renamed: a module in the cache is whole.
        cp "$tmp/x/lib/modules/$KVER/$m" "$KDIR/modules/.${m##*/}.tmp" &&
            mv "$KDIR/modules/.${m##*/}.tmp" "$KDIR/modules/${m##*/}" || { rm -rf "$tmp"; return 1; }
    done
    rm -rf "$tmp"
}

# build_initramfs OUT [KEY...]: busybox, the modules, larch-prepare-root and
# the plain initramfs /init (initramfs/plain/init), as a gzip'ed newc cpio;
# the public keys KEY... in /etc/larch/boot-keys turn verified boot on.
build_initramfs() {
    local out=$1 dir m
    shift
    dir=$(tmpdir)
    mkdir -p "$dir/bin" "$dir/usr/bin" "$dir/lib/modules" "$dir/etc"
    if [ $# -gt 0 ]; then
        mkdir -p "$dir/etc/larch/boot-keys"
        cp "$@" "$dir/etc/larch/boot-keys/"
    fi
    cp "$BUSYBOX" "$dir/bin/busybox"
    cp "$LARCH_SOURCE_DIR/initramfs/plain/init" "$dir/init"
    "${STRIP:-strip}" -o "$dir/usr/bin/larch-prepare-root" "$HELPER"
    for m in "${BOOT_MODULES[@]}"; do
        cp "$KDIR/modules/${m##*/}" "$dir/lib/modules/"
        echo "${m##*/}" >>"$dir/etc/larch-modules"
    done
    (cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# needed_libs BINARY: the shared libraries BINARY loads, one path a line
# (ldd; uboot_lib.sh replaces it for arm64 binaries).
needed_libs() {
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
}

# copy_with_libs BINARY DEST ROOT: BINARY stripped ($STRIP, default strip)
# at ROOT/DEST plus the shared libraries needed_libs names, under ROOT/usr
# (a usr-merged tree).
copy_with_libs() {
    local bin=$1 dest=$2 root=$3 lib rel
    mkdir -p "$root/$(dirname "$dest")"
    "${STRIP:-strip}" -o "$root/$dest" "$bin"
    for lib in $(needed_libs "$bin"); do
        rel=${lib#/usr}
        mkdir -p "$root/usr$(dirname "$rel")"
        [ -e "$root/usr$rel" ] || cp -L "$lib" "$root/usr$rel"
    done
}

# build_rootfs DIR VERSION HEALTH [DIES]: a small busybox system with larch
# ($GUEST_LARCH, default $LARCH; busybox's applets listed by $BUSYBOX_LIST,
# default $BUSYBOX: a busybox this machine can run),
# the health runner, the kernel and initramfs (as deploy expects them), a
# health check that passes (HEALTH=ok) or fails (fail), and with DIES=dies
# an init that dies on its second try. /usr/sbin/init is the test's guest
# script: tests/integration/$GUEST_INIT (default boot_guest_init.sh).
build_rootfs() {
    local dir=$1 version=$2 health=$3 dies=${4:-} a
    mkdir -p "$dir"/usr/{bin,sbin,lib,lib64,libexec/larch,share/larch-test} \
        "$dir"/{etc/larch/health.d,var,dev,proc,sys,run,tmp,sysroot,boot,root}
    ln -s usr/bin "$dir/bin"
    ln -s usr/sbin "$dir/sbin"
    ln -s usr/lib "$dir/lib"
    ln -s usr/lib64 "$dir/lib64"
    cp "$BUSYBOX" "$dir/usr/bin/busybox"
    for a in $(${BUSYBOX_LIST:-$BUSYBOX} --list); do
        [ -e "$dir/usr/bin/$a" ] || ln -s busybox "$dir/usr/bin/$a"
    done
    copy_with_libs "${GUEST_LARCH:-$LARCH}" usr/bin/larch "$dir"
    mkdir -p "$dir/usr/lib/modules/$KVER"
    cp "$KDIR/vmlinuz" "$dir/usr/lib/modules/$KVER/vmlinuz"
    cp "$INITRD" "$dir/usr/lib/modules/$KVER/initramfs.img"
    install -m 755 "$LARCH_SOURCE_DIR/initramfs/health/larch-health" "$dir/usr/libexec/larch/larch-health"
    install -m 755 "$LARCH_SOURCE_DIR/tests/integration/${GUEST_INIT:-boot_guest_init.sh}" "$dir/usr/sbin/init"
    install -m 644 "$LARCH_SOURCE_DIR/tests/integration/guest_lib.sh" "$dir/usr/share/larch-test/"
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

# new_sysroot DIR TRIES: an empty sysroot for the OS debian, booted from
# /dev/vda, whose new defaults get TRIES boots before the fallback.
new_sysroot() {
    mkdir -p "$1"
    larch admin init-fs "$1" >/dev/null
    larch admin os-init debian --sysroot "$1" >/dev/null
    printf 'kernel-args=root=/dev/vda rw\nboot-tries=%s\n' "$2" >"$1/ostree/larch.conf"
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

# qemu_start IMAGE CONSOLE-LOG ARGS...: start one boot in the background
# (QEMU_PID) with the kernel command line ARGS; qemu_wait waits for its
# end. IMAGE is /dev/vda; $SECOND_DISK, when set, is /dev/vdb. No network
# unless QEMU_NET holds qemu's options for one. The kernel is
# $QEMU_KERNEL (default $KDIR/vmlinux), the initramfs $INITRD; memory
# $QEMU_MEM MB (256), $QEMU_SMP CPUs (1).
qemu_start() {
    local image=$1 drives
    QEMU_CONSOLE=$2
    shift 2
    drives=(-drive "file=$image,format=raw,if=virtio,cache=writeback")
    [ -z "${SECOND_DISK:-}" ] || drives+=(-drive "file=$SECOND_DISK,format=raw,if=virtio,cache=writeback")
    QEMU_STARTED=$SECONDS
    # shellcheck disable=SC2086 # QEMU_NET: several options
    qemu-system-x86_64 -m "${QEMU_MEM:-256}" -smp "${QEMU_SMP:-1}" -nographic -no-reboot \
        -kernel "${QEMU_KERNEL:-$KDIR/vmlinux}" -initrd "$INITRD" -append "$*" \
        "${drives[@]}" ${QEMU_NET:--nic none} \
        </dev/null >"$QEMU_CONSOLE" 2>&1 &
    QEMU_PID=$!
}

# qemu_wait: until the guest powers off or panics (qemu exits), at most
# $QEMU_TIMEOUT (240) s after qemu_start; sets BOOT_SECONDS. A guest still
# running then is killed, and the test fails with the console's end.
qemu_wait() {
    local limit=${QEMU_TIMEOUT:-240}
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [ $((SECONDS - QEMU_STARTED)) -ge "$limit" ]; then
            qemu_kill
            echo "--- the last 100 lines of $QEMU_CONSOLE:" >&2
            tail -n 100 "$QEMU_CONSOLE" >&2
            fail "the guest did not stop within $limit s"
        fi
        sleep 0.2
    done
    wait "$QEMU_PID" || true
    QEMU_PID=""
    BOOT_SECONDS=$((SECONDS - QEMU_STARTED))
}

# await NEEDLE [SECONDS]: wait until the running guest's console
# ($QEMU_CONSOLE) says NEEDLE; fails when the guest stops first or SECONDS
# (default 180) pass. Polls every 10 ms, so a power cut right after it
# lands close to the line.
await() {
    local limit=$((SECONDS + ${2:-180}))
    until tr -d '\r' <"$QEMU_CONSOLE" | grep -qF -- "$1"; do
        if ! kill -0 "$QEMU_PID" 2>/dev/null || [ "$SECONDS" -ge "$limit" ]; then
            qemu_kill
            cat "$QEMU_CONSOLE" >&2
            fail "the console ($QEMU_CONSOLE) never said '$1'"
        fi
        sleep 0.01
    done
}

# qemu_kill: the power cut: SIGKILL to qemu (nothing the guest had not
# written out reaches the image).
qemu_kill() {
    [ -n "${QEMU_PID:-}" ] || return 0
    kill -KILL "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
    BOOT_SECONDS=$((SECONDS - QEMU_STARTED))
}
larch_on_exit qemu_kill

# qemu_boot IMAGE CONSOLE-LOG ARGS...: one boot, start to end.
qemu_boot() {
    qemu_start "$@"
    qemu_wait
}
