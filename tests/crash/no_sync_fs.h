// File: tests/crash/no_sync_fs.h
//
// The real filesystem without real fsync/syncfs, for crash sweeps. FaultFs
// models durability from the calls it sees, not from the disk, so a sweep
// loses nothing by not waiting for a shared disk at every one of its
// thousands of fsyncs (minutes saved per sweep).
#pragma once

#include <string>
#include <vector>

#include "src/fs/fs.h"

namespace larch::crash {

class NoSyncFs : public fs::Fs {
 public:
  explicit NoSyncFs(fs::Fs* base) : b_(base) {}
  Result<UniqueFd> OpenDirPath(int d, const std::string& p) override { return b_->OpenDirPath(d, p); }
  Result<UniqueFd> OpenRead(int d, const std::string& n) override { return b_->OpenRead(d, n); }
  Result<UniqueFd> CreateExclusive(int d, const std::string& n, mode_t m) override { return b_->CreateExclusive(d, n, m); }
  Result<UniqueFd> OpenWrite(int d, const std::string& n) override { return b_->OpenWrite(d, n); }
  Status Write(int fd, ByteSpan data) override { return b_->Write(fd, data); }
  Result<size_t> Read(int fd, MutableByteSpan buf) override { return b_->Read(fd, buf); }
  Result<size_t> ReadAt(int fd, MutableByteSpan buf, uint64_t off) override { return b_->ReadAt(fd, buf, off); }
  Status Truncate(int fd, off_t size) override { return b_->Truncate(fd, size); }
  Status Fsync(int) override { return Status::Ok(); }
  Status SyncFs(int) override { return Status::Ok(); }
  Status Rename(int od, const std::string& on, int nd, const std::string& nn, fs::RenameMode m) override {
    return b_->Rename(od, on, nd, nn, m);
  }
  Status Link(int od, const std::string& on, int nd, const std::string& nn) override { return b_->Link(od, on, nd, nn); }
  Status Symlink(const std::string& t, int d, const std::string& n) override { return b_->Symlink(t, d, n); }
  Status Mkdir(int d, const std::string& n, mode_t m) override { return b_->Mkdir(d, n, m); }
  Status Unlink(int d, const std::string& n) override { return b_->Unlink(d, n); }
  Status Rmdir(int d, const std::string& n) override { return b_->Rmdir(d, n); }
  Result<struct stat> Stat(int d, const std::string& n) override { return b_->Stat(d, n); }
  Result<struct stat> FStat(int fd) override { return b_->FStat(fd); }
  Result<std::vector<fs::DirEntry>> ReadDir(int d) override { return b_->ReadDir(d); }
  Result<std::string> ReadLink(int d, const std::string& n) override { return b_->ReadLink(d, n); }
  Status FChmod(int fd, mode_t m) override { return b_->FChmod(fd, m); }
  Status Chown(int d, const std::string& n, uid_t u, gid_t g) override { return b_->Chown(d, n, u, g); }
  Result<fs::Xattrs> GetXattrs(int d, const std::string& n) override { return b_->GetXattrs(d, n); }
  Status SetXattr(int d, const std::string& n, const fs::Xattr& x) override { return b_->SetXattr(d, n, x); }
  Result<uint64_t> FreeSpace(int fd) override { return b_->FreeSpace(fd); }

 private:
  fs::Fs* b_;
};

// The one NoSyncFs over the real filesystem.
inline fs::Fs& Unsynced() {
  static NoSyncFs fs(fs::DefaultFs());
  return fs;
}

}  // namespace larch::crash
