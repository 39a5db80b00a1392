// File: src/fs/fs_wrapper.h
//
// FsWrapper: an Fs that forwards every call to another Fs, after LevelDB's
// EnvWrapper. A filesystem that changes a few calls (a test's fault
// injection, a sweep's fsync that does not wait for the disk) derives from
// it and overrides those only; a method added to Fs needs one forwarding
// line here, not one in every such filesystem.
#pragma once

#include <string>
#include <vector>

#include "src/fs/fs.h"

namespace larch::fs {

class FsWrapper : public Fs {
 public:
  // REQUIRES: `target` outlives this wrapper.
  explicit FsWrapper(Fs* target) : target_(target) {}
  Fs* target() const { return target_; }

  Result<UniqueFd> OpenDirPath(int d, const std::string& p) override { return target_->OpenDirPath(d, p); }
  Result<UniqueFd> OpenRead(int d, const std::string& n) override { return target_->OpenRead(d, n); }
  Result<UniqueFd> CreateExclusive(int d, const std::string& n, mode_t m) override {
    return target_->CreateExclusive(d, n, m);
  }
  Result<UniqueFd> OpenWrite(int d, const std::string& n) override { return target_->OpenWrite(d, n); }
  Status Write(int fd, ByteSpan data) override { return target_->Write(fd, data); }
  Result<size_t> Read(int fd, MutableByteSpan buf) override { return target_->Read(fd, buf); }
  Result<size_t> ReadAt(int fd, MutableByteSpan buf, uint64_t off) override { return target_->ReadAt(fd, buf, off); }
  Status Truncate(int fd, off_t size) override { return target_->Truncate(fd, size); }
  Status Fsync(int fd) override { return target_->Fsync(fd); }
  Status SyncFs(int fd) override { return target_->SyncFs(fd); }
  Status Rename(int od, const std::string& on, int nd, const std::string& nn, RenameMode m) override {
    return target_->Rename(od, on, nd, nn, m);
  }
  Status Link(int od, const std::string& on, int nd, const std::string& nn) override {
    return target_->Link(od, on, nd, nn);
  }
  Status Symlink(const std::string& t, int d, const std::string& n) override { return target_->Symlink(t, d, n); }
  Status Mkdir(int d, const std::string& n, mode_t m) override { return target_->Mkdir(d, n, m); }
  Status Unlink(int d, const std::string& n) override { return target_->Unlink(d, n); }
  Status Rmdir(int d, const std::string& n) override { return target_->Rmdir(d, n); }
  Result<struct stat> Stat(int d, const std::string& n) override { return target_->Stat(d, n); }
  Result<struct stat> FStat(int fd) override { return target_->FStat(fd); }
  Result<std::vector<DirEntry>> ReadDir(int d) override { return target_->ReadDir(d); }
  Result<std::string> ReadLink(int d, const std::string& n) override { return target_->ReadLink(d, n); }
  Status FChmod(int fd, mode_t m) override { return target_->FChmod(fd, m); }
  Status Chown(int d, const std::string& n, uid_t u, gid_t g) override { return target_->Chown(d, n, u, g); }
  Result<Xattrs> GetXattrs(int d, const std::string& n) override { return target_->GetXattrs(d, n); }
  Status SetXattr(int d, const std::string& n, const Xattr& x) override { return target_->SetXattr(d, n, x); }
  Result<uint64_t> FreeSpace(int fd) override { return target_->FreeSpace(fd); }
  Status EnableVerity(int fd) override { return target_->EnableVerity(fd); }
  Result<std::optional<VerityDigest>> MeasureVerity(int fd) override { return target_->MeasureVerity(fd); }

 private:
  Fs* target_;
};

}  // namespace larch::fs
