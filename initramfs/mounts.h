// File: initramfs/mounts.h
//
// Turning the mount point of the physical root into the deployment's root,
// the way the initramfs expects to find it before its switch_root:
//
//   1. the physical root moves aside, to <root>.larch-tmp (MS_MOVE);
//   2. the deployment directory is bind-mounted on <root> (a mount point
//      of its own, as switch_root needs);
//   3. <root>/usr: bind-mounted on itself, then remounted read-only;
//   4. <root>/var: a bind of the OS's shared ostree/deploy/<os>/var;
//   5. <root>/sysroot: the physical root moves there (MS_MOVE), so the
//      booted system sees the store and the boot configuration;
//   /etc is the deployment's own writable copy and needs no mount.
//
// Any failure undoes what was done: the physical root is back at <root>
// and another deployment can be tried. The caller makes "/" private first
// (MS_MOVE refuses mounts under a shared parent).
#pragma once

#include <functional>
#include <string>

#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

// "" on success, else what failed (with everything undone).
std::string MountDeployment(const std::string& root, const boot::DeploymentId& id);

// Creates the deployment's mount points for /var and /sysroot when its
// commit lacks them (a plain root filesystem has no /sysroot), calling
// `make_writable` first. "" or why not.
std::string MakeMountPoints(int sysroot, const boot::DeploymentId& id,
                            const std::function<std::string()>& make_writable);

// Makes `path` a mount point (a bind of itself) unless it already is one.
std::string EnsureMountPoint(const std::string& path);

}  // namespace larch::initramfs
