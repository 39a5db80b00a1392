// File: initramfs/resolve.h
//
// Opening paths inside the physical root (or inside a deployment) without
// ever leaving it. The helper runs before anything else and trusts no path
// it reads: `larch=` and the boot-state name deployments, and symlinks on
// disk (ostree/boot -> ../boot/loader -> loader.N, /sbin -> usr/sbin) are
// resolved by hand, one component at a time, relative to a directory fd.
// Written with openat/readlinkat rather than openat2(RESOLVE_IN_ROOT) so it
// also works on kernels older than 5.6, common on embedded boards.
#pragma once

#include <string_view>

#include "src/base/unique_fd.h"

namespace larch::initramfs {

struct Opened {
  UniqueFd fd;
  int error = 0;  // errno when !fd.valid()
};

// `path` below `root` as if `root` were "/": symlinks are followed, but an
// absolute target starts again at `root` and ".." never climbs above it
// (at most 40 symlinks, else ELOOP). The last component is opened with
// `flags` (O_NOFOLLOW is added: a final symlink is resolved here too).
Opened OpenInRoot(int root, std::string_view path, int flags);

// `path` below `dir` where no component may be a symlink or "..": a
// deployment's own path must be exactly what it says (ELOOP otherwise).
Opened OpenNoSymlinks(int dir, std::string_view path, int flags);

}  // namespace larch::initramfs
