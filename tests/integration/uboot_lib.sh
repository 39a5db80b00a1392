# shellcheck shell=bash
# uboot_lib.sh - what test-uboot-arm64-qemu.sh needs to boot an ARM64 guest
# through real U-Boot: Debian's qemu_arm64 U-Boot (u-boot-qemu) as the
# firmware of qemu-system-aarch64 -M virt, Debian's arm64 kernel, a static
# arm64 busybox and libubootenv's fw_setenv (all fetched once with apt-get
# download into a cache, never installed), the cross-built larch and
# larch-prepare-root (tools/cross/), and a GPT disk made without loop
# devices. Source after lib.sh and boot_lib.sh: it points boot_lib.sh's
# build_initramfs and build_rootfs at the arm64 pieces.
#
# Facts this relies on (docs/arm64.md): the arm64 kernel package ships an
# uncompressed Image (booti loads it as is); virtio-mmio, virtio-blk, ext4
# and vfat are modules; U-Boot's distro boot runs boot.scr from the first
# partition of virtio 0 with devtype, devnum and distro_bootpart set.

ARM64_CACHE=${LARCH_ARM64_CACHE:-/var/cache/larch-test-arm64}
UBOOT_BIN=${LARCH_UBOOT_BIN:-/usr/lib/u-boot/qemu_arm64/u-boot.bin}
# Load order, each after what it needs (crc32c for ext4's metadata_csum).
ARM64_BOOT_MODULES=(
    kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
    kernel/crypto/crc32c_generic.ko kernel/fs/ext4/ext4.ko
    kernel/drivers/virtio/virtio_mmio.ko kernel/drivers/block/virtio_blk.ko
)
# The guest mounts the FAT boot partition (the counter's file) with these.
ARM64_FAT_MODULES=(kernel/fs/fat/fat.ko kernel/fs/fat/vfat.ko kernel/fs/nls/nls_cp437.ko kernel/fs/nls/nls_ascii.ko)

# arm64_setup: the tools, the arm64 build (LARCH_ARM64_BUILD, default
# build-arm64 beside the host build) and the cache; then KVER, KDIR,
# BUSYBOX (arm64), GUEST_LARCH, HELPER (arm64) and the overrides
# boot_lib.sh's builders read (BOOT_MODULES, STRIP, BUSYBOX_LIST,
# needed_libs). Skips when something is missing, fails in CI.
# shellcheck disable=SC2034  # the variables are boot_lib.sh's
arm64_setup() {
    local tool build
    require_larch
    for tool in qemu-system-aarch64 qemu-aarch64-static mkimage fw_printenv mkenvimage sfdisk mkfs.vfat \
        mcopy mkfs.ext4 debugfs e2fsck cpio aarch64-linux-gnu-readelf aarch64-linux-gnu-strip apt-get dpkg-deb; do
        command -v "$tool" >/dev/null || _arm64_missing "$tool is not installed (tools/setup.sh installs it)"
    done
    [ -f "$UBOOT_BIN" ] || _arm64_missing "no $UBOOT_BIN (u-boot-qemu)"
    build=${LARCH_ARM64_BUILD:-$(cd "$(dirname "$LARCH")/../.." && pwd)/build-arm64}
    GUEST_LARCH=$build/tools/larch
    HELPER=$build/initramfs/larch-prepare-root
    if [ ! -x "$GUEST_LARCH" ] || [ ! -x "$HELPER" ]; then
        _arm64_missing "no arm64 build in $build (tools/cross/build-arm64.sh makes it)"
    fi
    aarch64-linux-gnu-readelf -h "$GUEST_LARCH" | grep -q AArch64 || fail "$GUEST_LARCH is not an arm64 binary"
    fetch_arm64 || _arm64_missing "cannot fetch the arm64 packages (apt-get download ...:arm64)"
    BUSYBOX=$KDIR/busybox
    BUSYBOX_LIST="qemu-aarch64-static $BUSYBOX"
    STRIP=aarch64-linux-gnu-strip
    BOOT_MODULES=("${ARM64_BOOT_MODULES[@]}")
}

_arm64_missing() {
    [ "${CI:-}" = true ] && fail "$1"
    skip "$1"
}

# needed_libs BINARY (arm64): its interpreter and every shared library it
# needs, recursively, found in $KDIR/lib (fetched packages) or the arm64
# multiarch directories.
needed_libs() {
    local todo=("$1") seen=" " bin name dir found
    aarch64-linux-gnu-readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p'
    while [ "${#todo[@]}" -gt 0 ]; do
        bin=${todo[0]}
        todo=("${todo[@]:1}")
        for name in $(aarch64-linux-gnu-readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            case "$seen" in *" $name "*) continue ;; esac
            seen+="$name "
            found=""
            for dir in "$KDIR/lib" /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu; do
                [ -e "$dir/$name" ] && { found=$dir/$name; break; }
            done
            [ -n "$found" ] || fail "no arm64 $name (needed by $bin)"
            case "$found" in
                "$KDIR/lib/"*) echo "/usr/lib/aarch64-linux-gnu/$name=$found" ;;
                *) echo "$found" ;;
            esac
            todo+=("$found")
        done
    done
}

# fetch_arm64: KVER and KDIR (the cache entry: Image, modules/, busybox,
# fw_setenv and lib/ with libubootenv), downloaded once.
fetch_arm64() {
    local pkg tmp d rc=0
    pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    pkg=${pkg%:arm64}
    kernel_cache_entry "$ARM64_CACHE" "$pkg" || rc=$?
    [ "$rc" -ne 0 ] || return 0
    [ "$rc" -eq 1 ] || return 1
    log "fetching $pkg, busybox-static, libubootenv-tool (arm64) into $ARM64_CACHE (once)"
    mkdir -p "$ARM64_CACHE"
    tmp=$(mktemp -d "$ARM64_CACHE/.fetch.XXXXXX")
    if ! (cd "$tmp" && apt-get download -q "$pkg:arm64" busybox-static:arm64 libubootenv-tool:arm64 \
        libubootenv0.1:arm64 >&2 2>/dev/null); then
        rm -rf "$tmp"
        return 1
    fi
    for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/x" || { rm -rf "$tmp"; return 1; }; done
    mkdir -p "$tmp/out/lib"
    cp "$tmp/x/boot/vmlinuz-$KVER" "$tmp/out/vmlinuz"
    cp "$tmp/x/bin/busybox" "$tmp/out/busybox"
    cp "$tmp/x/usr/bin/fw_setenv" "$tmp/x/usr/bin/fw_printenv" "$tmp/out/"
    cp -L "$tmp"/x/usr/lib/aarch64-linux-gnu/libubootenv.so.0* "$tmp/out/lib/"
    install_cache_entry "$tmp" "${ARM64_BOOT_MODULES[@]}" "${ARM64_FAT_MODULES[@]}"
}

# copy_arm64_tool BINARY DEST ROOT: like copy_with_libs, also for libraries
# from the fetched packages (needed_libs prints them as GUEST-PATH=SOURCE).
copy_arm64_tool() {
    local bin=$1 dest=$2 root=$3 lib src rel
    mkdir -p "$root/$(dirname "$dest")"
    "$STRIP" -o "$root/$dest" "$bin"
    for lib in $(needed_libs "$bin"); do
        src=${lib#*=}
        rel=${lib%%=*}
        rel=${rel#/usr}
        mkdir -p "$root/usr$(dirname "$rel")"
        [ -e "$root/usr$rel" ] || cp -L "$src" "$root/usr$rel"
    done
}

# make_uboot_disk OUT BOOT-DIR SYSROOT UPDATES-DIR: a GPT disk: 1 "boot"
# (FAT, BOOT-DIR's files: boot.scr), 2 the sysroot (ext4), 3 "updates"
# (ext4, the bundles a USB stick would bring). Sets DISK_P1 and DISK_P2
# (byte offsets) for the disk_* helpers below.
make_uboot_disk() {
    local out=$1 boot=$2 sysroot=$3 updates=$4 w
    w=$(tmpdir)
    truncate -s 32M "$w/p1.img"
    mkfs.vfat -n BOOT "$w/p1.img" >/dev/null
    mcopy -i "$w/p1.img" "$boot"/* ::/
    mkfs.ext4 -q -F -L sysroot -d "$sysroot" "$w/p2.img" 448M
    mkfs.ext4 -q -F -L updates -d "$updates" "$w/p3.img" 64M
    rm -f "$out"
    truncate -s 546M "$out"   # 1 MiB + 32 + 448 + 64 + 1 MiB for the backup GPT
    sfdisk -q "$out" <<'PT'
label: gpt
start=2048, size=65536, name=boot, attrs=LegacyBIOSBootable
start=67584, size=917504, name=sysroot
start=985088, size=131072, name=updates
PT
    DISK_P1=$((2048 * 512)) DISK_P2=$((67584 * 512))
    dd if="$w/p1.img" of="$out" bs=1M seek=1 conv=notrunc,sparse status=none
    dd if="$w/p2.img" of="$out" bs=512 seek=67584 conv=notrunc,sparse status=none
    dd if="$w/p3.img" of="$out" bs=512 seek=985088 conv=notrunc,sparse status=none
    rm -rf "$w"
}

# disk_fat_get DISK NAME OUT / disk_fat_put DISK FILE NAME: a file of the
# FAT boot partition (mtools, at its offset: no mounting).
disk_fat_get() { mcopy -o -i "$1@@$DISK_P1" "::/$2" "$3"; }
disk_fat_put() { mcopy -o -i "$1@@$DISK_P1" "$2" "::/$3"; }

# disk_sysroot DISK OUT: the sysroot partition copied out (for debugfs and
# e2fsck, which take no offset).
disk_sysroot() {
    dd if="$1" of="$2" bs=512 skip=$((DISK_P2 / 512)) count=917504 conv=sparse status=none
}

# uboot_counter DISK: "larch_for larch_left" from the counter's file, read
# with fw_printenv as Linux reads it ("unreadable" when its CRC is bad).
uboot_counter() {
    local w
    w=$(tmpdir)
    disk_fat_get "$1" larch-boot.env "$w/env" 2>/dev/null || { echo missing; rm -rf "$w"; return; }
    echo "$w/env 0x0 0x2000" >"$w/fw_env.config"
    if fw_printenv -c "$w/fw_env.config" larch_for larch_left >"$w/out" 2>/dev/null; then
        sed 's/^larch_for=//; s/^larch_left=//' "$w/out" | tr '\n' ' ' | sed 's/ $//'
        echo
    else
        echo unreadable
    fi
    rm -rf "$w"
}

# uboot_start DISK FLASH CONSOLE-LOG: power on (QEMU_PID); the firmware
# is U-Boot, its environment flash FLASH. -no-reboot: a reboot or a panic
# ends the run, so each boot is one qemu run the test can inspect.
uboot_start() {
    QEMU_CONSOLE=$3
    QEMU_STARTED=$SECONDS
    qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -nographic -no-reboot \
        -bios "$UBOOT_BIN" -drive "if=pflash,unit=1,format=raw,file=$2" \
        -drive "if=none,file=$1,format=raw,id=hd0,cache=writeback" -device virtio-blk-device,drive=hd0 \
        -nic none </dev/null >"$QEMU_CONSOLE" 2>&1 &
    QEMU_PID=$!
}
