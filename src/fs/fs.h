// File: src/fs/fs.h
//
// Fs: every filesystem call Larch makes goes through this interface, in the
// manner of LevelDB's Env. Production code uses PosixFs (posix_fs.h); tests
// wrap it (FsWrapper, fs_wrapper.h) in FaultFs (tests/support/fault_fs.h) to
// fail or "crash" at the Nth mutating call and to drop data that was never
// synced, so crash safety is tested, not hoped for.
//
// All paths are relative to a directory descriptor (the *at() family). Names
// passed as `name` are single components: no '/', not "." or "..", never
// empty. Nothing here follows a symlink in the final component; OpenDirPath
// walks multi-component paths one component at a time with O_NOFOLLOW, so a
// symlink planted inside a tree being built can never redirect a write.
//
// REQUIRES: descriptors passed in stay open for the duration of the call.
#pragma once

#include <dirent.h>  // DT_* values of DirEntry::type
#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/base/unique_fd.h"
#include "src/base/xattr.h"

namespace larch::fs {

// src/base/xattr.h's, under the name the filesystem calls use.
using Xattr = larch::Xattr;
using Xattrs = larch::Xattrs;

struct DirEntry {
  std::string name;
  unsigned char type;  // DT_REG, DT_DIR, DT_LNK, ... (DT_UNKNOWN possible)
  ino_t ino;
};

// The root digest fs-verity reports for a sealed file (SHA-256).
using VerityDigest = std::array<uint8_t, 32>;

enum class RenameMode {
  kReplace,    // rename(2): atomically replaces an existing target
  kNoReplace,  // RENAME_NOREPLACE: fails with AlreadyExists if target exists
  kExchange,   // RENAME_EXCHANGE: atomically swaps two existing names
};

// AT_FDCWD may be passed as a dirfd where a call accepts a dirfd.
class Fs {
 public:
  virtual ~Fs() = default;

  // --- Opening ---
  // Opens a directory below `dirfd`. `path` may have several components
  // ("a/b/c") or be absolute when dirfd is AT_FDCWD; every component is
  // opened with O_NOFOLLOW, so a symlink anywhere on the path is an error
  // (kInvalidArgument naming the component), never followed.
  virtual Result<UniqueFd> OpenDirPath(int dirfd, const std::string& path) = 0;
  // Opens an existing regular file for reading (O_NOFOLLOW).
  virtual Result<UniqueFd> OpenRead(int dirfd, const std::string& name) = 0;
  // Creates a new file exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, write-only).
  virtual Result<UniqueFd> CreateExclusive(int dirfd, const std::string& name,
                                           mode_t mode) = 0;
  // Opens an existing file for writing without truncating it (O_WRONLY).
  virtual Result<UniqueFd> OpenWrite(int dirfd, const std::string& name) = 0;

  // --- Data ---
  // Writes all of `data` at the current offset (loops on short writes).
  virtual Status Write(int fd, ByteSpan data) = 0;
  // Reads up to buf.size() bytes; 0 means end of file.
  virtual Result<size_t> Read(int fd, MutableByteSpan buf) = 0;
  // pread(2): up to buf.size() bytes at `offset`, the file position left
  // alone (a patch reads its base at the places its runs name).
  virtual Result<size_t> ReadAt(int fd, MutableByteSpan buf, uint64_t offset) = 0;
  virtual Status Truncate(int fd, off_t size) = 0;

  // --- Durability ---
  // fsync(2) of a file or directory descriptor.
  virtual Status Fsync(int fd) = 0;
  // syncfs(2): everything on the filesystem holding `fd`.
  virtual Status SyncFs(int fd) = 0;

  // --- Namespace ---
  virtual Status Rename(int olddirfd, const std::string& oldname, int newdirfd,
                        const std::string& newname, RenameMode mode) = 0;
  // linkat(2) without AT_SYMLINK_FOLLOW: links the symlink itself if
  // oldname is one.
  virtual Status Link(int olddirfd, const std::string& oldname, int newdirfd,
                      const std::string& newname) = 0;
  virtual Status Symlink(const std::string& target, int dirfd,
                         const std::string& name) = 0;
  virtual Status Mkdir(int dirfd, const std::string& name, mode_t mode) = 0;
  virtual Status Unlink(int dirfd, const std::string& name) = 0;
  virtual Status Rmdir(int dirfd, const std::string& name) = 0;

  // --- Metadata ---
  // lstat semantics. An empty name stats dirfd itself.
  virtual Result<struct stat> Stat(int dirfd, const std::string& name) = 0;
  virtual Result<struct stat> FStat(int fd) = 0;
  // Entries of a directory, without "." and "..", in no particular order.
  virtual Result<std::vector<DirEntry>> ReadDir(int dirfd) = 0;
  virtual Result<std::string> ReadLink(int dirfd, const std::string& name) = 0;
  virtual Status FChmod(int fd, mode_t mode) = 0;
  // lchown semantics: works on symlinks without following them.
  virtual Status Chown(int dirfd, const std::string& name, uid_t uid,
                       gid_t gid) = 0;
  // Extended attributes of a name, without following a symlink; sorted.
  // An empty name means the directory dirfd itself (as in Stat).
  virtual Result<Xattrs> GetXattrs(int dirfd, const std::string& name) = 0;
  virtual Status SetXattr(int dirfd, const std::string& name,
                          const Xattr& xattr) = 0;
  // Free bytes for an unprivileged writer on the filesystem holding fd.
  virtual Result<uint64_t> FreeSpace(int fd) = 0;

  // --- fs-verity (docs/verity.md) ---
  // Seals the regular file open read-only at `fd` (no writer may have it
  // open): SHA-256, 4096-byte blocks, no salt, the parameters of
  // crypto::ComputeFsVerityDigest. From then on the kernel checks every
  // page read from it against its Merkle tree, and no one can write it.
  // kUnsupported when the kernel or the filesystem cannot seal (ENOTTY,
  // EOPNOTSUPP: no CONFIG_FS_VERITY, or ext4 without the verity feature);
  // a file sealed already is Ok.
  virtual Status EnableVerity(int fd) = 0;
  // The digest the kernel reports for the file at `fd`, in constant time;
  // nullopt when the file is not sealed or the filesystem cannot seal.
  virtual Result<std::optional<VerityDigest>> MeasureVerity(int fd) = 0;
};

// The process-wide PosixFs. Never null.
Fs* DefaultFs();

}  // namespace larch::fs
