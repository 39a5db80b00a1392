# boot.cmd - Larch's U-Boot boot script: boots the default deployment that
# `larch admin` wrote into /boot/uEnv.txt, counting its boots in U-Boot's
# own environment, and boots the fallback once they run out (docs/boot.md,
# "U-Boot"). Compile it for distro boot, which runs boot.scr from the first
# bootable partition:
#
#   mkimage -A arm64 -T script -C none -n "larch boot" -d boot.cmd boot.scr
#
# Only standard commands: load, env import/export, setexpr, fatwrite, booti
# (Debian's qemu_arm64 U-Boot has them all; no bootcount driver needed).
#
# Board settings (set them in U-Boot's default environment to override):
#   larch_part        partition holding the sysroot (default: the one after
#                     the partition this script came from, ${distro_bootpart})
#   larch_uenv        uEnv.txt on it (default /boot/uEnv.txt; /uEnv.txt when
#                     /boot is a partition of its own)
#   larch_state       the counter's file on this script's partition, which
#                     must be FAT (default larch-boot.env); /etc/fw_env.config
#                     names the same file for fw_setenv
#   larch_state_size  its size (default 0x2000, as in /etc/fw_env.config)
#   larch_fdt         the device tree's address (default ${fdtcontroladdr}:
#                     the one U-Boot runs with; a board that loads its own
#                     sets ${fdt_addr_r})
#
# The counter: larch_for names the default being counted, larch_left the
# boots it has left (hex, as setexpr writes it). uEnv.txt gives
# larch_default and larch_tries; a default that larch_for does not name
# starts with larch_tries. It is written back before the kernel starts;
# `larch admin boot-ok` resets it from Linux (fw_setenv) once the default
# proved itself. When it is 0, the fallback boots with
# larch.loader-fallback=<default> on its command line, and the helper in the
# initramfs records why (`larch admin status` shows it).

test -n "${larch_part}" || setexpr larch_part ${distro_bootpart} + 1
test -n "${larch_uenv}" || setenv larch_uenv /boot/uEnv.txt
test -n "${larch_state}" || setenv larch_state larch-boot.env
test -n "${larch_state_size}" || setenv larch_state_size 0x2000
test -n "${larch_fdt}" || setenv larch_fdt ${fdtcontroladdr}

# 1. The configuration in force (a symlink larch admin switches atomically).
setenv larch_default
setenv larch_tries
setenv kernel_image
setenv ramdisk_image
setenv bootargs
setenv kernel_image2
setenv ramdisk_image2
setenv bootargs2
if load ${devtype} ${devnum}:${larch_part} ${kernel_addr_r} ${larch_uenv}; then
  env import -t ${kernel_addr_r} ${filesize}
fi
if test -z "${larch_default}" || test -z "${kernel_image}"; then
  echo "larch: no usable ${larch_uenv} on ${devtype} ${devnum}:${larch_part}"
  exit
fi
test -n "${larch_tries}" || setenv larch_tries 4

# 2. The counter. A file that is missing or fails its CRC (a write cut
# short) counts afresh: the helper's own count in the boot-state still
# limits the boots of a default that reaches the initramfs.
setenv larch_for
setenv larch_left
if load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} ${larch_state}; then
  if env import -c ${ramdisk_addr_r} ${larch_state_size} larch_for larch_left; then
    true
  else
    echo "larch: ${larch_state} is corrupt (bad CRC): counting afresh"
  fi
fi
if test "${larch_for}" != "${larch_default}" || test -z "${larch_left}"; then
  setenv larch_for ${larch_default}
  setenv larch_left ${larch_tries}
fi

# 3. The choice.
setenv larch_boot default
if test "${larch_left}" = "0"; then
  if test -n "${kernel_image2}"; then
    echo "larch: default ${larch_default} used up its boot-loader tries: booting the fallback"
    setenv larch_boot fallback
  else
    echo "larch: default ${larch_default} used up its boot-loader tries, and there is no fallback: booting it"
  fi
else
  setexpr larch_left ${larch_left} - 1
  echo "larch: booting default ${larch_default}, ${larch_left} boot-loader tries left after this one"
fi

# 4. Saved before the kernel starts. If it cannot be saved, the default's
# try would go uncounted: the fallback boots instead, as the helper does.
env export -c -s ${larch_state_size} ${ramdisk_addr_r} larch_for larch_left
if fatwrite ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} ${larch_state} ${larch_state_size}; then
  echo "larch: boot counter saved"
elif test "${larch_boot}" = default && test -n "${kernel_image2}"; then
  echo "larch: cannot save the boot counter: booting the fallback this time"
  setenv larch_boot fallback_unsaved
fi

# 5. Boot.
if test "${larch_boot}" = fallback; then
  setenv larch_kernel ${kernel_image2}
  setenv larch_ramdisk ${ramdisk_image2}
  setenv bootargs "${bootargs2} larch.loader-fallback=${larch_default}"
elif test "${larch_boot}" = fallback_unsaved; then
  setenv larch_kernel ${kernel_image2}
  setenv larch_ramdisk ${ramdisk_image2}
  setenv bootargs "${bootargs2}"
else
  setenv larch_kernel ${kernel_image}
  setenv larch_ramdisk ${ramdisk_image}
fi
load ${devtype} ${devnum}:${larch_part} ${kernel_addr_r} ${larch_kernel}
if test -n "${larch_ramdisk}"; then
  load ${devtype} ${devnum}:${larch_part} ${ramdisk_addr_r} ${larch_ramdisk}
  booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${larch_fdt}
else
  booti ${kernel_addr_r} - ${larch_fdt}
fi
echo "larch: booti failed"
