// File: tests/support/fault_fs.h
//
// FaultFs: an FsWrapper that injects faults into the calls it forwards,
// after LevelDB's FaultInjectionTestEnv. Test support, not product code:
// crash-sweep and unit tests link it (larch_test_support):
//
//   FaultFs ffs(DefaultFs());
//   ffs.CrashAtMutation(i);          // the i-th mutating call "loses power"
//   Status s = DoCommit(ffs, ...);   // fails somewhere
//   ffs.SimulatePowerLoss();         // drop what was never made durable
//   // reopen with DefaultFs(), fsck, check refs...
//
// Every call fails once the power is out; other than that, reads are
// forwarded as they are, and a call added to Fs later is forwarded by
// FsWrapper without injection until FaultFs overrides it.
//
// Mutating calls are those that change the filesystem: CreateExclusive,
// OpenWrite, Write, Truncate, Fsync, SyncFs, Rename, Link, Symlink, Mkdir,
// Unlink, Rmdir, FChmod, Chown, SetXattr. They are counted from 1.
//
// Power-loss model (conservative, ext4-like without auto_da_alloc):
//  - File data written since the file's last Fsync (or a SyncFs) is lost: the
//    file is truncated back to its size at that point (0 for a new file).
//  - A directory entry created (create, mkdir, link, symlink, rename target)
//    since its directory's last Fsync (or a SyncFs) is lost: the entry is
//    removed, and a rename that replaced an existing file is rolled back to
//    the old file. A rolled-back rename moves the entry back to its source
//    name when that name is free (rename is atomic on a journaling fs: the
//    source's removal was no more durable than the target's creation).
//    Only the target directory's Fsync makes a rename durable.
//  - Unlinks not yet made durable are *not* resurrected (a lost unlink only
//    ever leaves garbage that cleanup must tolerate; we test the harder case).
//  - Not modelled: overwrites inside already-synced bytes, and metadata
//    (FChmod, Chown, SetXattr), which are kept as they are.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "src/fs/fs_wrapper.h"

namespace larch::fs {

class FaultFs : public FsWrapper {
 public:
  explicit FaultFs(Fs* base);
  ~FaultFs() override;

  // The n-th mutating call (1-based) and every call after it fail with EIO,
  // as if power was lost at that instant. 0 disarms. If n is already
  // behind mutation_count(), the next mutating call crashes.
  void CrashAtMutation(uint64_t n);
  // Only the n-th mutating call fails with `err` (EIO, ENOSPC, ...).
  void FailMutation(uint64_t n, int err);
  // Mutating calls seen so far.
  uint64_t mutation_count() const;
  // The mutations (1-based, ascending) a crash sweep needs to crash at: all
  // of them except a Write that directly follows a Write to the same file
  // descriptor. Under the power-loss model above, crashing at such a write
  // leaves the same disk as crashing at the write before it (the file's
  // unsynced data is lost either way), so a sweep over these points covers
  // every state a sweep over 1..mutation_count() does, without the
  // thousands of equal states a streamed multi-MiB file makes.
  std::vector<uint64_t> DistinctCrashPoints() const;
  // What a crash sweep crashes at: DistinctCrashPoints(), or, when the
  // environment sets LARCH_CRASH_SAMPLE=N (N > 1), every N-th of them and
  // the last, spread over the whole run. tools/run-tests.sh sets it for the
  // sanitizer build only: the full sweeps run in the plain build, and under
  // ASan, which runs them several times slower, a sample still takes every
  // stage's error paths through the sanitizers within CI's hour.
  std::vector<uint64_t> CrashPointsToSweep() const;
  bool crashed() const;

  // Applies the power-loss model above to the real filesystem and forgets
  // all tracking state. Call after the code under test returned. Like a
  // reboot it also clears crashed(), the mutation count and any armed fault.
  Status SimulatePowerLoss();

  // Fs
  Result<UniqueFd> OpenDirPath(int dirfd, const std::string& path) override;
  Result<UniqueFd> OpenRead(int dirfd, const std::string& name) override;
  Result<UniqueFd> CreateExclusive(int dirfd, const std::string& name, mode_t mode) override;
  Result<UniqueFd> OpenWrite(int dirfd, const std::string& name) override;
  Status Write(int fd, ByteSpan data) override;
  Result<size_t> Read(int fd, MutableByteSpan buf) override;
  Result<size_t> ReadAt(int fd, MutableByteSpan buf, uint64_t offset) override;
  Status Truncate(int fd, off_t size) override;
  Status Fsync(int fd) override;
  Status SyncFs(int fd) override;
  Status Rename(int olddirfd, const std::string& oldname, int newdirfd,
                const std::string& newname, RenameMode mode) override;
  Status Link(int olddirfd, const std::string& oldname, int newdirfd,
              const std::string& newname) override;
  Status Symlink(const std::string& link_target, int dirfd, const std::string& name) override;
  Status Mkdir(int dirfd, const std::string& name, mode_t mode) override;
  Status Unlink(int dirfd, const std::string& name) override;
  Status Rmdir(int dirfd, const std::string& name) override;
  Result<struct stat> Stat(int dirfd, const std::string& name) override;
  Result<struct stat> FStat(int fd) override;
  Result<std::vector<DirEntry>> ReadDir(int dirfd) override;
  Result<std::string> ReadLink(int dirfd, const std::string& name) override;
  Status FChmod(int fd, mode_t mode) override;
  Status Chown(int dirfd, const std::string& name, uid_t uid, gid_t gid) override;
  Result<Xattrs> GetXattrs(int dirfd, const std::string& name) override;
  Status SetXattr(int dirfd, const std::string& name, const Xattr& xattr) override;
  Result<uint64_t> FreeSpace(int fd) override;
  Status EnableVerity(int fd) override;
  Result<std::optional<VerityDigest>> MeasureVerity(int fd) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace larch::fs
