// File: deploy/uboot_env.h
//
// The Linux side of U-Boot's own boot counter (docs/boot.md, "U-Boot").
// initramfs/uboot/boot.cmd counts the boots of the default deployment in
// two variables it keeps in a CRC-protected environment blob:
//
//   larch_for    the default being counted (<commit>.<serial>)
//   larch_left   boots it has left, in hex as U-Boot's setexpr writes it
//
// uEnv.txt (bls_entry.h) tells the script the default's name
// (larch_default) and how many boots a new default gets (larch_tries);
// when larch_for names another deployment, counting starts afresh. When
// larch_left is 0 the script boots the fallback with
// larch.loader-fallback=<name> on the command line, and the helper records
// why (initramfs/choose.h). `larch admin boot-ok` on the default resets
// the counter through libubootenv's fw_setenv, so a good deployment is
// never given up by U-Boot because of boots it already survived.
#pragma once

#include <cstdint>
#include <string>

#include "src/base/result.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

inline constexpr char kUbootCounterFor[] = "larch_for";
inline constexpr char kUbootCounterLeft[] = "larch_left";

// The boots U-Boot gives a default: one more than the helper's boot-tries.
// A default whose kernel and initramfs come up is judged by the helper,
// which records why it gave up; U-Boot decides only for one that never gets
// that far (a kernel that panics), at the boot after the helper would have.
uint32_t UbootTries(uint32_t helper_tries);

// `n` as setexpr writes it: lower-case hex without a prefix ("a" for 10).
std::string UbootHex(uint32_t n);

// The fw_setenv script (name=value lines; libubootenv ignores "name value")
// that starts the count for `id` afresh with `tries` boots.
std::string UbootResetScript(const boot::DeploymentId& id, uint32_t tries);

// Resets the counter: `fw_setenv [-c env_config] -s <script>`, fw_setenv
// found in $PATH (libubootenv-tool). kIOError with fw_setenv's output when
// it cannot be run or fails. `env_config` "" means fw_setenv's default
// (/etc/fw_env.config).
Status ResetUbootCounter(const boot::DeploymentId& id, uint32_t tries, const std::string& env_config);

}  // namespace larch::deploy
