#include "src/fs/atomic.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "src/base/hex.h"

namespace larch::fs {
namespace {

// fsync of the directory that holds the entry we just created or renamed:
// without it the new name may vanish after a crash even though the file's
// data was synced (the data lives in the inode, the name in the directory).
Status SyncDir(Fs& fs, int dirfd) {
  if (dirfd != AT_FDCWD) return fs.Fsync(dirfd);
  LARCH_ASSIGN_OR_RETURN(UniqueFd cwd, fs.OpenDirPath(AT_FDCWD, "."));
  return fs.Fsync(cwd.get());
}

Status CheckComponent(const std::string& name, const char* call) {
  if (IsValidComponent(name)) return Status::Ok();
  return Status::InvalidArgument(std::string(call) + ": invalid name '" + name + "'");
}

// Create, write and fsync the temp file; the caller renames it into place.
Status WriteTemp(Fs& fs, int dirfd, const std::string& tmp, ByteSpan data, mode_t mode) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(dirfd, tmp, mode));
  LARCH_RETURN_IF_ERROR(fs.Write(fd.get(), data));
  // The umask may have narrowed the mode; callers ask for an exact one.
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.FStat(fd.get()));
  if ((st.st_mode & 07777) != (mode & 07777)) LARCH_RETURN_IF_ERROR(fs.FChmod(fd.get(), mode));
  // Data must be durable *before* the rename publishes it, or a crash could
  // leave the name pointing at an empty or partial file.
  return fs.Fsync(fd.get());
}

// Publishes dirfd/tmp as dirfd/name; removes tmp if the rename fails.
Status Publish(Fs& fs, int dirfd, const std::string& tmp, const std::string& name) {
  Status s = fs.Rename(dirfd, tmp, dirfd, name, RenameMode::kReplace);
  if (!s.ok()) {
    (void)fs.Unlink(dirfd, tmp);  // best effort; the rename error is the news
    return s;
  }
  return SyncDir(fs, dirfd);
}

// Temp names do not grow with the target's name (a 255-byte name must still
// be writable) and start with '.', so listings of refs or objects, which
// never accept such names, skip leftovers of a crash.
std::string AtomicTempName() { return TempName(".larch-tmp-"); }

}  // namespace

Status WriteFileAtomic(Fs& fs, int dirfd, const std::string& name, ByteSpan data,
                       mode_t mode) {
  LARCH_RETURN_IF_ERROR(CheckComponent(name, "write file atomically"));
  std::string tmp = AtomicTempName();
  Status s = WriteTemp(fs, dirfd, tmp, data, mode);
  if (!s.ok()) {
    // AlreadyExists means a 64-bit random name collided: not ours to remove.
    if (!s.IsAlreadyExists()) (void)fs.Unlink(dirfd, tmp);
    return s.WithContext("writing '" + name + "'");
  }
  return Publish(fs, dirfd, tmp, name).WithContext("writing '" + name + "'");
}

Status SymlinkAtomic(Fs& fs, int dirfd, const std::string& target, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckComponent(name, "symlink atomically"));
  std::string tmp = AtomicTempName();
  LARCH_RETURN_IF_ERROR(fs.Symlink(target, dirfd, tmp).WithContext("symlinking '" + name + "'"));
  return Publish(fs, dirfd, tmp, name).WithContext("symlinking '" + name + "'");
}

Result<Bytes> ReadFileFully(Fs& fs, int dirfd, const std::string& name, size_t max_size) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(dirfd, name));
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.FStat(fd.get()));
  auto too_large = [&] {
    return Status::InvalidArgument("reading '" + name + "': larger than " +
                                   std::to_string(max_size) + " bytes");
  };
  if (static_cast<uint64_t>(st.st_size) > max_size) return too_large();
  Bytes out;
  out.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[64 * 1024];
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd.get(), MutableByteSpan(buf, sizeof(buf))));
    if (n == 0) break;
    // The file may grow while we read; the limit holds for what we return.
    if (out.size() + n > max_size) return too_large();
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

Status EnsureDir(Fs& fs, int dirfd, const std::string& name, mode_t mode) {
  Status s = fs.Mkdir(dirfd, name, mode);
  if (s.ok() || !s.IsAlreadyExists()) return s;
  // lstat: a symlink to a directory is not a directory here.
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dirfd, name));
  if (S_ISDIR(st.st_mode)) return Status::Ok();
  return Status::AlreadyExists("ensure directory '" + name + "': exists and is not a directory");
}

Status RemoveTree(Fs& fs, int dirfd, const std::string& name) {
  Result<struct stat> st = fs.Stat(dirfd, name);
  if (!st.ok()) return st.status().IsNotFound() ? Status::Ok() : st.status();
  if (!S_ISDIR(st->st_mode)) {
    // Symlinks land here too: the link is removed, its target never touched.
    Status s = fs.Unlink(dirfd, name);
    return s.IsNotFound() ? Status::Ok() : s;
  }
  // OpenDirPath uses O_NOFOLLOW: if `name` was swapped for a symlink since
  // the Stat, this fails instead of descending into the link's target.
  LARCH_ASSIGN_OR_RETURN(UniqueFd sub, fs.OpenDirPath(dirfd, name));
  LARCH_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs.ReadDir(sub.get()));
  for (const DirEntry& e : entries) {
    if (e.type != DT_DIR && e.type != DT_UNKNOWN) {
      Status s = fs.Unlink(sub.get(), e.name);
      if (!s.ok() && !s.IsNotFound()) return s;
      continue;
    }
    LARCH_RETURN_IF_ERROR(RemoveTree(fs, sub.get(), e.name));
  }
  Status s = fs.Rmdir(dirfd, name);
  return s.IsNotFound() ? Status::Ok() : s;
}

std::string TempName(const std::string& prefix) {
  uint8_t rnd[8];
  ssize_t got = ::getrandom(rnd, sizeof(rnd), GRND_NONBLOCK);
  if (got != static_cast<ssize_t>(sizeof(rnd))) {
    // No entropy yet (early boot): uniqueness, not secrecy, is what we need.
    static std::atomic<uint64_t> counter{0};
    uint64_t v = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
                 static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                 (counter.fetch_add(1) << 48);
    std::memcpy(rnd, &v, sizeof(rnd));
  }
  return prefix + HexEncode(ByteSpan(rnd, sizeof(rnd)));
}

bool IsValidComponent(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace larch::fs

namespace larch::fs {

Result<ParentAndName> OpenParentOf(Fs& fs, const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : trimmed.substr(0, slash);
  ParentAndName out;
  out.name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (!IsValidComponent(out.name))
    return Status::InvalidArgument("path " + path + " has no valid final name");
  char resolved[PATH_MAX];
  if (::realpath(parent.c_str(), resolved) == nullptr)
    return Status::FromErrno(errno, "parent directory of " + path);
  LARCH_ASSIGN_OR_RETURN(out.parent, fs.OpenDirPath(AT_FDCWD, resolved));
  return out;
}

}  // namespace larch::fs
