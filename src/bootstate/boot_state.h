// File: src/bootstate/boot_state.h
//
// The boot-state file and the `larch=` kernel argument: the one format
// shared by `larch admin` (deploy/) and the boot-time helper (initramfs/),
// kept here, in a folder of its own below both, so neither owns it.
// This header and boot_state.cc use only the C++ standard library and libc
// (no Status, no larch libraries, no exceptions thrown, no iostreams) so the
// initramfs helper compiles the very same source: one decoder, not two that
// drift apart. Format, byte by byte: docs/deploy.md, "Boot-state".
//
//   larch-boot-state 1
//   default=/ostree/deploy/debian/deploy/<64 hex>.0
//   fallback=/ostree/deploy/debian/deploy/<64 hex>.0     (may be empty)
//   tries-left=3
//   status=pending                                       (pending|good|fell-back)
//   reason=                                              (non-empty iff fell-back)
//   kept=/ostree/deploy/...                              (0..14 lines)
//
// A deployment is named by its path inside the sysroot, exactly as the
// kernel argument `larch=` names it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace larch::boot {

// The file's name in a loader directory (boot/loader.N/; the helper reads it
// through ostree/boot -> ../boot/loader).
inline constexpr char kBootStateFile[] = "boot-state";
inline constexpr std::string_view kBootStateMagic = "larch-boot-state 1";
inline constexpr size_t kMaxBootStateSize = 4096;
inline constexpr size_t kMaxDeployments = 16;  // default + fallback + kept
inline constexpr uint32_t kMaxTries = 99;
inline constexpr size_t kMaxReason = 200;
inline constexpr size_t kMaxOsName = 64;
inline constexpr uint32_t kMaxSerial = 999999;

// One deployment: /ostree/deploy/<os>/deploy/<commit>.<serial>.
struct DeploymentId {
  std::string os;      // [A-Za-z0-9_][A-Za-z0-9._-]*, at most kMaxOsName bytes
  std::string commit;  // 64 lower-case hex digits
  uint32_t serial = 0;
  bool operator==(const DeploymentId&) const = default;
};

bool IsValidOsName(std::string_view os);
bool IsValidCommitHex(std::string_view hex);
// "<commit>.<serial>": the directory name under deploy/.
std::string DeploymentName(const DeploymentId& id);
// "/ostree/deploy/<os>/deploy/<commit>.<serial>".
std::string DeploymentPath(const DeploymentId& id);
// The strict inverse of DeploymentName / DeploymentPath (nullopt otherwise).
std::optional<DeploymentId> ParseDeploymentName(std::string_view os, std::string_view name);
std::optional<DeploymentId> ParseDeploymentPath(std::string_view path);

enum class BootStatus { kPending, kGood, kFellBack };
std::string_view BootStatusName(BootStatus status);

struct BootState {
  // In boot-menu order: [0] the default, [1] the fallback (if any), then the
  // other deployments kept. Never empty; no duplicates.
  std::vector<DeploymentId> deployments;
  uint32_t tries_left = 0;  // boots of the default left before falling back
  BootStatus status = BootStatus::kPending;
  std::string reason;  // why the last boot fell back; set iff kFellBack
  bool operator==(const BootState&) const = default;
};

// Empty when `state` obeys every rule the decoder checks, else why not.
std::string BootStateError(const BootState& state);
// The one encoding of a valid state (callers check BootStateError first).
std::string EncodeBootState(const BootState& state);

template <typename T>
struct Decoded {
  std::optional<T> value;
  std::string error;  // set iff !value: what is wrong, with the line number
};

// The one decoder: exact magic, every key in order, LF line ends, no
// spaces around '=', no trailing bytes, values checked as documented.
Decoded<BootState> DecodeBootState(std::string_view text);

// The value of the last `KEY=value` word of a kernel command line (words
// split on blanks, as in /proc/cmdline; no quoting), nullopt when there is
// none. Shared with the initramfs helper's own options (larch.boot=, init=).
std::optional<std::string_view> CmdlineArgument(std::string_view cmdline, std::string_view key);

// The deployment named by the last `larch=` argument of a kernel command
// line (as in /proc/cmdline). An absent argument is an empty value with an
// empty error; a malformed one is an error.
Decoded<DeploymentId> DeploymentFromCmdline(std::string_view cmdline);

}  // namespace larch::boot
