// File: repo/pull/download_cache.cc
//
// Writes here use open(2)/ftruncate(2) directly rather than fs::Fs: the
// Fs interface has no append mode, and nothing in this directory is trusted
// or needs crash-ordering (every byte is re-verified by hash when used).
#include "repo/pull/download_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/fs/atomic.h"

namespace larch::pull {

namespace {
constexpr char kDownloads[] = "downloads";
}  // namespace

Result<std::unique_ptr<DownloadCache>> DownloadCache::Open(const repo::Store& store, const std::string& remote) {
  fs::Fs& fs = store.fs();
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, store.tmp_fd(), kDownloads, 0700));
  LARCH_ASSIGN_OR_RETURN(UniqueFd downloads, fs.OpenDirPath(store.tmp_fd(), kDownloads));
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, downloads.get(), remote, 0700));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(downloads.get(), remote));
  // Two pulls appending to the same .part files would interleave bytes; the
  // lock lasts as long as the descriptor (the process, if it is killed).
  if (::flock(dir.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Status::IoError("another pull from remote " + remote + " is running");
    return Status::FromErrno(errno, "locking the download cache of remote " + remote);
  }
  return std::unique_ptr<DownloadCache>(new DownloadCache(store, remote, std::move(dir)));
}

std::string DownloadCache::NameFor(const std::string& remote_path) {
  std::string name = remote_path;
  for (char& c : name) c = c == '/' ? '_' : c;
  return name;
}

bool DownloadCache::IsComplete(const std::string& name) const {
  struct stat st;
  return ::fstatat(dir_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

Result<UniqueFd> DownloadCache::OpenPartial(const std::string& name, uint64_t* size) const {
  const std::string part = name + ".part";
  UniqueFd fd(::openat(dir_.get(), part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::FromErrno(errno, "download cache " + part);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "download cache " + part);
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

Status DownloadCache::Truncate(int fd) const {
  if (::ftruncate(fd, 0) != 0) return Status::FromErrno(errno, "download cache: truncate");
  return Status::Ok();
}

Status DownloadCache::Complete(const std::string& name, int fd) const {
  // Durable before it is called complete: after a power cut a complete
  // file is whole (a partial one may lose its tail and simply resumes).
  if (::fsync(fd) != 0) return Status::FromErrno(errno, "download cache: fsync " + name);
  const std::string part = name + ".part";
  if (::renameat(dir_.get(), part.c_str(), dir_.get(), name.c_str()) != 0) {
    return Status::FromErrno(errno, "download cache: rename " + part);
  }
  return Status::Ok();
}

Result<Bytes> DownloadCache::Read(const std::string& name, uint64_t max_size) const {
  return fs::ReadFileFully(store_.fs(), dir_.get(), name, max_size);
}

Result<UniqueFd> DownloadCache::OpenComplete(const std::string& name) const {
  return store_.fs().OpenRead(dir_.get(), name);
}

void DownloadCache::Discard(const std::string& name) const {
  ::unlinkat(dir_.get(), name.c_str(), 0);
  ::unlinkat(dir_.get(), (name + ".part").c_str(), 0);
}

Status DownloadCache::Clear() {
  dir_.Reset();
  LARCH_ASSIGN_OR_RETURN(UniqueFd downloads, store_.fs().OpenDirPath(store_.tmp_fd(), kDownloads));
  return fs::RemoveTree(store_.fs(), downloads.get(), remote_);
}

uint64_t DownloadCache::BytesHeld() const {
  uint64_t total = 0;
  int fd = ::dup(dir_.get());
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (d == nullptr) return 0;
  ::rewinddir(d);
  while (struct dirent* e = ::readdir(d)) {
    struct stat st;
    if (::fstatat(dir_.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  ::closedir(d);
  return total;
}

}  // namespace larch::pull
