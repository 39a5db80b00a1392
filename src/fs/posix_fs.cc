#include "src/fs/posix_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fsverity.h>
#include <stdio.h>  // renameat2
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "src/fs/atomic.h"

namespace larch::fs {
namespace {

// Names must be single components: a '/' or ".." smuggled into a name would
// escape the directory the caller meant, which is exactly what the *at()
// discipline exists to prevent.
Status CheckName(const std::string& name, std::string_view call) {
  if (IsValidComponent(name)) return Status::Ok();
  return Status::InvalidArgument(std::string(call) + ": invalid name component '" +
                                 name + "'");
}

Status Errno(std::string_view call, const std::string& name) {
  int err = errno;
  std::string context(call);
  if (!name.empty()) context += " '" + name + "'";
  return Status::FromErrno(err, context);
}

// Opens with O_NONBLOCK so that a FIFO planted under a regular file's name
// cannot hang us, then insists on a regular file and clears O_NONBLOCK.
Result<UniqueFd> OpenRegular(int dirfd, const std::string& name, int flags,
                             std::string_view call) {
  LARCH_RETURN_IF_ERROR(CheckName(name, call));
  UniqueFd fd(::openat(dirfd, name.c_str(),
                       flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Errno(call, name);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno("fstat", name);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(std::string(call) + " '" + name +
                                   "': not a regular file");
  }
  int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) {
    return Errno("fcntl(F_SETFL)", name);
  }
  return fd;
}

// The path under which l*xattr() reach dirfd/name without following a
// symlink in `name`: /proc/self/fd/N resolves to the directory itself and
// the l* calls leave the final component alone.
// An empty name means the directory dirfd itself: "<dir>/." is resolved
// through the directory, so the l* calls act on the directory.
std::string XattrPath(int dirfd, const std::string& name) {
  const std::string& leaf = name.empty() ? std::string(".") : name;
  if (dirfd == AT_FDCWD) return leaf;
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + leaf;
}

// listxattr(2) output: NUL-separated names. Retries while the list grows
// between the size query and the read (ERANGE).
Result<std::vector<std::string>> ListXattrNames(const std::string& path,
                                                const std::string& name) {
  for (;;) {
    ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
    if (size < 0 && errno == ENOTSUP) return std::vector<std::string>{};
    if (size < 0) return Errno("llistxattr", name);
    std::string buf(static_cast<size_t>(size), '\0');
    ssize_t got = size == 0 ? 0 : ::llistxattr(path.c_str(), buf.data(), buf.size());
    if (got < 0 && errno == ERANGE) continue;
    if (got < 0) return Errno("llistxattr", name);
    std::vector<std::string> names;
    std::string_view rest(buf.data(), static_cast<size_t>(got));
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      if (end == std::string_view::npos) end = rest.size();
      if (end > 0) names.emplace_back(rest.substr(0, end));
      rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    return names;
  }
}

// One attribute's value. An attribute removed between list and get fails
// with ENODATA, which the caller skips.
Result<Bytes> GetXattrValue(const std::string& path, const std::string& attr,
                            const std::string& name) {
  for (;;) {
    ssize_t size = ::lgetxattr(path.c_str(), attr.c_str(), nullptr, 0);
    if (size < 0) return Errno("lgetxattr " + attr, name);
    Bytes value(static_cast<size_t>(size));
    ssize_t got = size == 0 ? 0 : ::lgetxattr(path.c_str(), attr.c_str(), value.data(), value.size());
    if (got < 0 && errno == ERANGE) continue;
    if (got < 0) return Errno("lgetxattr " + attr, name);
    value.resize(static_cast<size_t>(got));
    return value;
  }
}

Status OpenComponentError(int dirfd, const std::string& comp, const std::string& path) {
  int err = errno;
  // O_NOFOLLOW reports a symlink as ELOOP (or ENOTDIR with O_DIRECTORY);
  // both mean "not a real directory", which is the caller's input problem.
  if (err == ELOOP || err == ENOTDIR) {
    struct stat st;
    bool is_link = ::fstatat(dirfd, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISLNK(st.st_mode);
    return Status::InvalidArgument("open directory path '" + path + "': component '" +
                                   comp + (is_link ? "' is a symlink" : "' is not a directory"));
  }
  return Status::FromErrno(err, "open directory '" + comp + "' in path '" + path + "'");
}

}  // namespace

Result<UniqueFd> PosixFs::OpenDirPath(int dirfd, const std::string& path) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd cur;
  if (!path.empty() && path[0] == '/') {
    if (dirfd != AT_FDCWD) {
      return Status::InvalidArgument("absolute path '" + path + "' needs AT_FDCWD");
    }
    cur.Reset(::open("/", kFlags));
    if (!cur.valid()) return Errno("open", "/");
  } else {
    // A fresh descriptor for the start so the caller's dirfd is never ours.
    cur.Reset(::openat(dirfd, ".", kFlags));
    if (!cur.valid()) return Errno("open directory", ".");
  }
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string comp = path.substr(pos, end - pos);
    pos = end + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      return Status::InvalidArgument("open directory path '" + path + "': '..' refused");
    }
    UniqueFd next(::openat(cur.get(), comp.c_str(), kFlags));
    if (!next.valid()) return OpenComponentError(cur.get(), comp, path);
    cur = std::move(next);
  }
  return cur;
}

Result<UniqueFd> PosixFs::OpenRead(int dirfd, const std::string& name) {
  return OpenRegular(dirfd, name, O_RDONLY, "open for reading");
}

Result<UniqueFd> PosixFs::CreateExclusive(int dirfd, const std::string& name, mode_t mode) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "create"));
  UniqueFd fd(::openat(dirfd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return Errno("create", name);
  return fd;
}

Result<UniqueFd> PosixFs::OpenWrite(int dirfd, const std::string& name) {
  return OpenRegular(dirfd, name, O_WRONLY, "open for writing");
}

Status PosixFs::Write(int fd, ByteSpan data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", "");
    if (n == 0) return Status::IoError("write: no progress", EIO);
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<size_t> PosixFs::Read(int fd, MutableByteSpan buf) {
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read", "");
    return static_cast<size_t>(n);
  }
}

Result<size_t> PosixFs::ReadAt(int fd, MutableByteSpan buf, uint64_t offset) {
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("pread", "");
    return static_cast<size_t>(n);
  }
}

Status PosixFs::Truncate(int fd, off_t size) {
  if (::ftruncate(fd, size) != 0) return Errno("ftruncate", "");
  return Status::Ok();
}

Status PosixFs::Fsync(int fd) {
  // An fsync error means written data may be gone; the caller must treat the
  // whole sequence as failed (no retry can make the lost pages durable).
  if (::fsync(fd) != 0) return Errno("fsync", "");
  return Status::Ok();
}

Status PosixFs::SyncFs(int fd) {
  if (::syncfs(fd) != 0) return Errno("syncfs", "");
  return Status::Ok();
}

Status PosixFs::Rename(int olddirfd, const std::string& oldname, int newdirfd,
                       const std::string& newname, RenameMode mode) {
  LARCH_RETURN_IF_ERROR(CheckName(oldname, "rename"));
  LARCH_RETURN_IF_ERROR(CheckName(newname, "rename"));
  int rc = 0;
  switch (mode) {
    case RenameMode::kReplace:
      rc = ::renameat(olddirfd, oldname.c_str(), newdirfd, newname.c_str());
      break;
    case RenameMode::kNoReplace:
      rc = ::renameat2(olddirfd, oldname.c_str(), newdirfd, newname.c_str(), RENAME_NOREPLACE);
      break;
    case RenameMode::kExchange:
      rc = ::renameat2(olddirfd, oldname.c_str(), newdirfd, newname.c_str(), RENAME_EXCHANGE);
      break;
  }
  if (rc != 0) return Errno("rename", oldname + "' to '" + newname);
  return Status::Ok();
}

Status PosixFs::Link(int olddirfd, const std::string& oldname, int newdirfd,
                     const std::string& newname) {
  LARCH_RETURN_IF_ERROR(CheckName(oldname, "link"));
  LARCH_RETURN_IF_ERROR(CheckName(newname, "link"));
  // No AT_SYMLINK_FOLLOW: a symlink is linked as itself.
  if (::linkat(olddirfd, oldname.c_str(), newdirfd, newname.c_str(), 0) != 0) {
    return Errno("link", oldname + "' to '" + newname);
  }
  return Status::Ok();
}

Status PosixFs::Symlink(const std::string& target, int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "symlink"));
  if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0) return Errno("symlink", name);
  return Status::Ok();
}

Status PosixFs::Mkdir(int dirfd, const std::string& name, mode_t mode) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "mkdir"));
  if (::mkdirat(dirfd, name.c_str(), mode) != 0) return Errno("mkdir", name);
  return Status::Ok();
}

Status PosixFs::Unlink(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "unlink"));
  if (::unlinkat(dirfd, name.c_str(), 0) != 0) return Errno("unlink", name);
  return Status::Ok();
}

Status PosixFs::Rmdir(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "rmdir"));
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) return Errno("rmdir", name);
  return Status::Ok();
}

Result<struct stat> PosixFs::Stat(int dirfd, const std::string& name) {
  struct stat st;
  if (name.empty()) {
    // The directory itself (AT_EMPTY_PATH also covers AT_FDCWD).
    if (::fstatat(dirfd, "", &st, AT_EMPTY_PATH) != 0) return Errno("stat", ".");
    return st;
  }
  LARCH_RETURN_IF_ERROR(CheckName(name, "stat"));
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Errno("stat", name);
  return st;
}

Result<struct stat> PosixFs::FStat(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("fstat", "");
  return st;
}

Result<std::vector<DirEntry>> PosixFs::ReadDir(int dirfd) {
  // A new open file description: fdopendir on the caller's descriptor would
  // share (and move) its directory offset and take ownership of it.
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open directory for listing", ".");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    Status s = Errno("fdopendir", ".");
    ::close(fd);
    return s;
  }
  std::vector<DirEntry> entries;
  for (;;) {
    errno = 0;
    struct dirent* ent = ::readdir(dir);
    if (ent == nullptr) break;
    std::string_view n(ent->d_name);
    if (n == "." || n == "..") continue;
    entries.push_back(DirEntry{std::string(n), ent->d_type, ent->d_ino});
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return Status::FromErrno(err, "readdir");
  return entries;
}

Result<std::string> PosixFs::ReadLink(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "readlink"));
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return Errno("readlink", name);
    // A full buffer may mean truncation: grow and retry.
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

Status PosixFs::FChmod(int fd, mode_t mode) {
  if (::fchmod(fd, mode) != 0) return Errno("fchmod", "");
  return Status::Ok();
}

Status PosixFs::Chown(int dirfd, const std::string& name, uid_t uid, gid_t gid) {
  LARCH_RETURN_IF_ERROR(CheckName(name, "chown"));
  if (::fchownat(dirfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno("chown", name);
  }
  return Status::Ok();
}

Result<Xattrs> PosixFs::GetXattrs(int dirfd, const std::string& name) {
  if (!name.empty()) LARCH_RETURN_IF_ERROR(CheckName(name, "getxattrs"));
  std::string path = XattrPath(dirfd, name);
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListXattrNames(path, name));
  Xattrs out;
  out.reserve(names.size());
  for (std::string& attr : names) {
    Result<Bytes> value = GetXattrValue(path, attr, name);
    if (!value.ok() && value.status().sys_errno() == ENODATA) continue;  // removed meanwhile
    if (!value.ok()) return value.status();
    out.push_back(Xattr{std::move(attr), std::move(value).value()});
  }
  std::sort(out.begin(), out.end(),
            [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}

Status PosixFs::SetXattr(int dirfd, const std::string& name, const Xattr& xattr) {
  if (!name.empty()) LARCH_RETURN_IF_ERROR(CheckName(name, "setxattr"));
  std::string path = XattrPath(dirfd, name);
  if (::lsetxattr(path.c_str(), xattr.name.c_str(), xattr.value.data(),
                  xattr.value.size(), 0) != 0) {
    return Errno("lsetxattr " + xattr.name, name);
  }
  return Status::Ok();
}

Result<uint64_t> PosixFs::FreeSpace(int fd) {
  struct statvfs sv;
  if (::fstatvfs(fd, &sv) != 0) return Errno("fstatvfs", "");
  // f_bavail, not f_bfree: blocks reserved for root are not ours to plan on.
  return static_cast<uint64_t>(sv.f_bavail) * static_cast<uint64_t>(sv.f_frsize);
}

namespace {

// What the kernel answers when it, or the filesystem, has no fs-verity:
// ENOTTY (no CONFIG_FS_VERITY, or a filesystem without the ioctl),
// EOPNOTSUPP (ext4 without the verity feature, tmpfs) or ENOSYS (an emulator
// that does not pass the ioctl on: qemu-user running arm64 tests).
bool NoVerity(int err) { return err == ENOTTY || err == EOPNOTSUPP || err == ENOSYS; }

}  // namespace

Status PosixFs::EnableVerity(int fd) {
  struct fsverity_enable_arg arg = {};
  arg.version = 1;
  arg.hash_algorithm = FS_VERITY_HASH_ALG_SHA256;
  arg.block_size = 4096;
  while (::ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) != 0) {
    if (errno == EINTR) continue;
    if (errno == EEXIST) return Status::Ok();  // sealed already
    if (NoVerity(errno)) return Status::Unsupported("this filesystem cannot seal files with fs-verity");
    return Errno("FS_IOC_ENABLE_VERITY", "");
  }
  return Status::Ok();
}

Result<std::optional<VerityDigest>> PosixFs::MeasureVerity(int fd) {
  // struct fsverity_digest ends in the digest's bytes (a flexible array).
  alignas(struct fsverity_digest) uint8_t buf[sizeof(struct fsverity_digest) + 64] = {};
  auto* arg = reinterpret_cast<struct fsverity_digest*>(buf);
  arg->digest_size = 64;
  if (::ioctl(fd, FS_IOC_MEASURE_VERITY, arg) != 0) {
    if (errno == ENODATA || NoVerity(errno)) return std::optional<VerityDigest>();
    return Errno("FS_IOC_MEASURE_VERITY", "");
  }
  if (arg->digest_algorithm != FS_VERITY_HASH_ALG_SHA256 || arg->digest_size != 32)
    return Status::Corruption("sealed with fs-verity hash algorithm " +
                              std::to_string(arg->digest_algorithm) + ", not SHA-256");
  VerityDigest out;
  std::copy_n(buf + sizeof(struct fsverity_digest), out.size(), out.begin());
  return std::optional<VerityDigest>(out);
}

Fs* DefaultFs() {
  // Leaked on purpose: usable from static destructors and other threads at exit.
  static Fs* const fs = new PosixFs();
  return fs;
}

}  // namespace larch::fs
