// File: initramfs/verify_usr.h
//
// The boot-time check of a verified /usr (docs/verity.md): before the helper
// boots a deployment, the commit it was made from must carry a valid
// signature by a key of the initramfs's keyring, and every regular file of
// its /usr must be sealed with fs-verity with exactly the digest the
// commit's verity list (named by the signed commit) gives. The kernel
// reports a seal's digest in constant time (FS_IOC_MEASURE_VERITY), so the
// check hashes only the commit's metadata objects, never file content; from
// then on the kernel checks every page read against the sealed tree.
//
// What it reads: <sysroot>/ostree/repo/objects (the commit, its commitmeta,
// its verity list and the dirtrees below usr/, each checked against its id
// with SHA-256 and decoded by the one decoder of its format) and the
// deployment's usr/ (a directory walk: a file added, removed, replaced by
// another sealed file, or unsealed is found). usr/etc, where deploy moved
// the commit's /etc, is checked against the commit's etc/. Symlinks are checked to be
// symlinks (their targets are not sealed; they are not in the list).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "initramfs/boot_keyring.h"
#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

struct UsrCheckStats {
  uint64_t files = 0;     // sealed files measured
  uint64_t symlinks = 0;
  uint64_t dirs = 0;
  int64_t walk_ms = 0;     // signature, metadata objects, directory walk
  int64_t measure_ms = 0;  // opening and measuring the files
};

// Empty when the deployment's /usr is what a key of `keys` signed; else why
// not, naming the file or object ("usr/bin/ls: not sealed with fs-verity").
std::string VerifyDeploymentUsr(int sysroot, const boot::DeploymentId& id, const std::vector<BootKey>& keys,
                                UsrCheckStats* stats);

}  // namespace larch::initramfs
