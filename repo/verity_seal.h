// File: repo/verity_seal.h
//
// Sealing a bare store's file objects with fs-verity, and checking an object
// before a deployment hard-links it (docs/verity.md). A sealed file is
// read-only by the kernel's rule, every page read from it is checked against
// its Merkle tree, and the kernel reports the tree's root digest in constant
// time: so a seal whose digest is the one the signed commit's verity list
// gives proves the content without reading it.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "repo/store.h"
#include "src/crypto/fsverity_digest.h"

namespace larch::repo {

// A commit's digests by file object id (what VerityList holds, for lookups
// while many commits' lists are merged).
using VerityDigests = std::map<ObjectId, crypto::FsVerityDigest>;
void AddVerityDigests(const VerityList& list, VerityDigests& into);

// Seals the regular file dirfd/name (`what` names it in messages) unless it
// is sealed already, then compares the digest the kernel reports with
// `expected` (when given). Symlinks are left alone: fs-verity seals regular
// files only. kUnsupported when the kernel or filesystem cannot seal;
// kCorruption, naming the file and both digests, on a mismatch.
Status SealFile(fs::Fs& fs, int dirfd, const std::string& name, const crypto::FsVerityDigest* expected,
                const std::string& what);

// Says whether a file object may be used (hard-linked into a deployment):
//   sealed, with `expected`  its seal's digest must equal it: O(1)
//   unsealed                 sealed now when the store's verity mode allows
//                            and the filesystem can, and checked as above;
//                            else re-hashed against its id
// A sealed object without `expected` (a commit without a verity list) is
// re-hashed too: a seal says the content is intact, not which content it is.
// With `skip_linked`, an unsealed object something outside the store links
// already (st_nlink > 1: a deployment, a boot file) is not re-hashed: the
// damage, if any, is in that deployment already, and linking the same
// inode once more changes no file (fsck finds it; admin fsck --repair
// relinks every deployment). `filesystem_seals`, when given, is shared by
// the checks of one run: set false at the first "cannot seal", after which
// no object is measured or sealed. kCorruption names the object;
// kUnsupported when the mode is `required` and the object cannot be sealed.
Status CheckFileObject(const Store& store, const ObjectId& id, const crypto::FsVerityDigest* expected,
                       bool skip_linked = false, std::atomic<bool>* filesystem_seals = nullptr);

// CheckFileObject on every file object the commit's tree names, each once,
// on `threads` threads (0: every core): what `admin deploy` runs before it
// hard-links them. The first problem names the object and a path of it.
Status CheckCommitFiles(const Store& store, const ObjectId& commit, unsigned threads = 0, bool skip_linked = false);

// The digests of the commit's verity list; empty when it has none.
Result<VerityDigests> CommitVerityDigests(const Store& store, const ObjectId& commit);

// Whether the store's filesystem can seal files: tries on a scratch file in
// its tmp/ (removed again). For `larch admin init-fs` and status reports.
Result<bool> StoreCanSeal(const Store& store);

// The seal of a bare store's regular file object: its digest; nullopt when
// it is not sealed, is a symlink, or the store is an archive store.
Result<std::optional<fs::VerityDigest>> MeasureFileObject(const Store& store, const ObjectId& id);

// kCorruption: `what` is sealed with `sealed`, the signed list gives `expected`.
Status SealMismatch(const std::string& what, const fs::VerityDigest& sealed, const crypto::FsVerityDigest& expected);

std::string HexDigest(const crypto::FsVerityDigest& digest);

}  // namespace larch::repo
