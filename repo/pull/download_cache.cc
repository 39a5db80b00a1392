// File: repo/pull/download_cache.cc
//
// Every filesystem call goes through the store's fs::Fs, so that the crash
// sweeps (tests/crash/pull_crash_test.cc) see them and a full disk reaches
// the caller as kNoSpace. Nothing here is trusted (every byte is
// re-verified by hash when used), but a complete download is durable
// before it is called complete, so that no verified download is fetched
// twice after a power cut.
#include "repo/pull/download_cache.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/fs/atomic.h"

namespace larch::pull {

namespace {

constexpr char kDownloads[] = "downloads";

// A directory made here is synced into its parent at once: a complete
// download in a directory that power loss takes away is lost as well.
Result<UniqueFd> OpenDurableDir(fs::Fs& fs, int parent, const std::string& name) {
  Status made = fs.Mkdir(parent, name, 0700);
  if (made.ok()) {
    LARCH_RETURN_IF_ERROR(fs.Fsync(parent));
  } else if (!made.IsAlreadyExists()) {
    return made;
  }
  return fs.OpenDirPath(parent, name);  // a symlink planted there is refused
}

}  // namespace

Result<std::unique_ptr<DownloadCache>> DownloadCache::Open(const repo::Store& store, const std::string& remote) {
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(UniqueFd downloads, OpenDurableDir(fs, store.tmp_fd(), kDownloads));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenDurableDir(fs, downloads.get(), remote));
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
  Result<struct stat> st = store_.fs().Stat(dir_.get(), name);
  return st.ok() && S_ISREG(st->st_mode);
}

Result<UniqueFd> DownloadCache::OpenPartial(const std::string& name, uint64_t* size) const {
  fs::Fs& fs = store_.fs();
  const std::string part = name + ".part";
  Result<UniqueFd> fd = fs.OpenWrite(dir_.get(), part);
  if (!fd.ok() && fd.status().IsNotFound()) fd = fs.CreateExclusive(dir_.get(), part, 0600);
  if (!fd.ok()) return fd.status().WithContext("download cache " + part);
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.FStat(fd->get()));
  // Appending: the file position is not filesystem state, so lseek needs no
  // Fs call (Fs has no append mode).
  if (::lseek(fd->get(), 0, SEEK_END) < 0) return Status::FromErrno(errno, "download cache " + part);
  *size = static_cast<uint64_t>(st.st_size);
  return std::move(*fd);
}

Status DownloadCache::Append(int fd, ByteSpan data) const {
  // The cause stays in the code: a full disk is kNoSpace (exit 6).
  return store_.fs().Write(fd, data).WithContext("writing the download cache of remote " + remote_);
}

Status DownloadCache::Truncate(int fd) const {
  LARCH_RETURN_IF_ERROR(store_.fs().Truncate(fd, 0));
  if (::lseek(fd, 0, SEEK_SET) < 0) return Status::FromErrno(errno, "download cache: truncate");
  return Status::Ok();
}

Status DownloadCache::Complete(const std::string& name, int fd) const {
  // Durable before it is called complete: after a power cut a complete
  // file is whole and still complete (a partial one may lose its tail and
  // simply resumes).
  fs::Fs& fs = store_.fs();
  LARCH_RETURN_IF_ERROR(fs.Fsync(fd));
  LARCH_RETURN_IF_ERROR(fs.Rename(dir_.get(), name + ".part", dir_.get(), name, fs::RenameMode::kReplace));
  return fs.Fsync(dir_.get());
}

Result<Bytes> DownloadCache::Read(const std::string& name, uint64_t max_size) const {
  return fs::ReadFileFully(store_.fs(), dir_.get(), name, max_size);
}

Result<UniqueFd> DownloadCache::OpenComplete(const std::string& name) const {
  return store_.fs().OpenRead(dir_.get(), name);
}

void DownloadCache::Discard(const std::string& name) const {
  // Best effort: a name that stays is re-verified, and refused, next time.
  (void)store_.fs().Unlink(dir_.get(), name);
  (void)store_.fs().Unlink(dir_.get(), name + ".part");
}

Status DownloadCache::Clear() {
  dir_.Reset();
  LARCH_ASSIGN_OR_RETURN(UniqueFd downloads, store_.fs().OpenDirPath(store_.tmp_fd(), kDownloads));
  return fs::RemoveTree(store_.fs(), downloads.get(), remote_);
}

uint64_t DownloadCache::BytesHeld() const {
  Result<std::vector<fs::DirEntry>> entries = store_.fs().ReadDir(dir_.get());
  if (!entries.ok()) return 0;
  uint64_t total = 0;
  for (const fs::DirEntry& e : *entries) {
    Result<struct stat> st = store_.fs().Stat(dir_.get(), e.name);
    if (st.ok() && S_ISREG(st->st_mode)) total += static_cast<uint64_t>(st->st_size);
  }
  return total;
}

}  // namespace larch::pull
