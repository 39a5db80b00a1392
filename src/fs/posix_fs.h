// File: src/fs/posix_fs.h
//
// PosixFs: the production Fs, a thin layer over the Linux *at() system
// calls. Every errno becomes a Status through Status::FromErrno with the call
// and the name in the message; nothing here throws.
#pragma once

#include <string>
#include <vector>

#include "src/fs/fs.h"

namespace larch::fs {

class PosixFs : public Fs {
 public:
  PosixFs() = default;
  ~PosixFs() override = default;

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
  Status Symlink(const std::string& target, int dirfd, const std::string& name) override;
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
};

}  // namespace larch::fs
