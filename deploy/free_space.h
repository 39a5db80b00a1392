// File: deploy/free_space.h
//
// The min-free-space guard: a deploy that would leave less free space on
// the sysroot's filesystem than larch.conf's min-free-space is refused
// before it writes anything (kNoSpace, exit 6). The estimate is what a
// hard-link deployment costs: one block per directory, a copy of /etc, and
// the boot files when they are copied. A disk that fills up anyway
// (another writer, a bad estimate) fails the deploy at the write that hit
// ENOSPC, which removes what it had staged.
#pragma once

#include <cstdint>

#include "deploy/sysroot.h"
#include "repo/objects/commit.h"

namespace larch::deploy {

// Directory blocks and /etc bytes (etc/ or usr/etc/, each file rounded up
// to a 4 KiB block) of a deployment of `commit`.
Result<uint64_t> EstimateDeploymentBytes(const repo::Store& store, const repo::Commit& commit);

// kNoSpace naming the figures unless `needed` bytes still leave
// min-free-space free on the filesystem holding the deployments.
Status CheckFreeSpace(const Sysroot& sysroot, const SysrootConfig& config, uint64_t needed);

}  // namespace larch::deploy
