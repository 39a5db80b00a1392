// FaultFs: fault injection and a power-loss model (see fault_fs.h).
//
// How the model is kept. Two kinds of non-durable state are tracked, both
// keyed by absolute path (resolved from descriptors via /proc/self/fd):
//
//  * Data: for each regular file written or truncated since its last Fsync,
//    its size at that sync. Power loss truncates it back to that size.
//
//  * Names: an undo log of namespace changes (create, mkdir, link, symlink,
//    rename, exchange) whose directory has not been fsynced since. Power loss
//    undoes them newest first, so every entry meets the tree as it was right
//    after that change: a created name is removed (with everything below it),
//    a rename is moved back to its source name (the source entry's removal
//    was just as undurable) and the file it replaced is recreated from an
//    in-memory copy, an exchange is swapped back.
//
// Paths in the log follow later renames of the directories they live in, so
// that fsyncing a directory under its new name makes the right entries
// durable. An entry's own name is never rewritten by a later rename of that
// name: the later rename's undo moves it back first.
#include "tests/support/fault_fs.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "src/fs/atomic.h"

namespace larch::fs {
namespace fault_fs_internal {

// What a replacing rename overwrote, kept so power loss can put it back.
struct Stash {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  struct timespec mtime {};
  Bytes data;          // regular file contents
  std::string target;  // symlink target
  Xattrs xattrs;
};

// One namespace change that is not durable yet.
struct Undo {
  enum class Kind { kCreate, kRename, kExchange };
  Kind kind;
  std::string path;  // name created / rename target / exchange's new name
  std::string from;  // rename source / exchange's old name
  std::optional<Stash> stash;  // what a replacing rename overwrote
};

// Everything FaultFs::State holds; a separate type so that the helpers
// below can take it without naming FaultFs's private State.
struct Model {
  mutable std::mutex mu;
  uint64_t mutations = 0;
  uint64_t crash_at = 0;  // 0: disarmed
  uint64_t fail_at = 0;   // 0: disarmed
  int fail_err = 0;
  bool crashed = false;
  std::map<std::string, off_t> synced_size;  // files with unsynced data
  std::vector<Undo> log;                     // oldest first
  // Writes that directly follow a write to the same fd (DistinctCrashPoints).
  std::vector<uint64_t> continued_writes;    // ascending
  int last_write_fd = -1;
  uint64_t last_write_mutation = 0;
};

}  // namespace fault_fs_internal

using fault_fs_internal::Model;
using fault_fs_internal::Stash;
using fault_fs_internal::Undo;

struct FaultFs::State : Model {};

namespace {

std::string Parent(const std::string& path) {
  size_t pos = path.rfind('/');
  if (pos == std::string::npos) return ".";
  return pos == 0 ? "/" : path.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  size_t pos = path.rfind('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// True when `path` lies strictly below directory `dir`.
bool IsBelow(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path[dir.size()] == '/' || dir == "/");
}

// Moves `path` from below `from` to below `to`; true if it did.
bool RebaseBelow(std::string& path, const std::string& from, const std::string& to) {
  if (!IsBelow(path, from)) return false;
  path = to + path.substr(from.size());
  return true;
}

// After an exchange of a and b, what was below one is below the other.
void SwapBelow(std::string& path, const std::string& a, const std::string& b) {
  if (!RebaseBelow(path, a, b)) RebaseBelow(path, b, a);
}

// The absolute path of an open descriptor (the current working directory
// for AT_FDCWD). An unlinked file reads "... (deleted)", which matches no
// tracked path, so it is simply not tracked.
Result<std::string> FdPath(int fd) {
  char buf[PATH_MAX + 1];
  if (fd == AT_FDCWD) {
    if (::getcwd(buf, sizeof(buf)) == nullptr) return Status::FromErrno(errno, "FaultFs: getcwd");
    return std::string(buf);
  }
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return Status::FromErrno(errno, "FaultFs: readlink " + link);
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::string> PathAt(int dirfd, const std::string& name) {
  LARCH_ASSIGN_OR_RETURN(std::string dir, FdPath(dirfd));
  return Join(dir, name);
}

Status PowerLost(std::string_view call) {
  return Status::FromErrno(EIO, "FaultFs: " + std::string(call) + " after simulated power loss");
}

// Copies what dirfd/name is now (nullopt if absent or a special file).
Result<std::optional<Stash>> CaptureStash(Fs& base, int dirfd, const std::string& name) {
  Result<struct stat> st = base.Stat(dirfd, name);
  if (!st.ok()) {
    if (st.status().IsNotFound()) return std::optional<Stash>();
    return st.status();
  }
  Stash s;
  s.mode = st->st_mode;
  s.uid = st->st_uid;
  s.gid = st->st_gid;
  s.mtime = st->st_mtim;
  if (S_ISREG(s.mode)) {
    LARCH_ASSIGN_OR_RETURN(s.data, ReadFileFully(base, dirfd, name, SIZE_MAX));
  } else if (S_ISLNK(s.mode)) {
    LARCH_ASSIGN_OR_RETURN(s.target, base.ReadLink(dirfd, name));
  } else if (!S_ISDIR(s.mode)) {
    return std::optional<Stash>();  // fifos and devices are never restored
  }
  LARCH_ASSIGN_OR_RETURN(s.xattrs, base.GetXattrs(dirfd, name));
  return std::optional<Stash>(std::move(s));
}

// Owner, mode, xattrs and mtime of a recreated node. chown clears set-id
// bits and security.capability, so it goes first and the xattrs last.
Status RestoreMeta(Fs& base, int dirfd, const std::string& name, int fd, const Stash& s) {
  LARCH_ASSIGN_OR_RETURN(struct stat st, base.Stat(dirfd, name));
  if (st.st_uid != s.uid || st.st_gid != s.gid) {
    LARCH_RETURN_IF_ERROR(base.Chown(dirfd, name, s.uid, s.gid));
  }
  if (fd >= 0) LARCH_RETURN_IF_ERROR(base.FChmod(fd, s.mode & 07777));
  for (const Xattr& x : s.xattrs) LARCH_RETURN_IF_ERROR(base.SetXattr(dirfd, name, x));
  struct timespec times[2] = {s.mtime, s.mtime};
  if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::FromErrno(errno, "FaultFs: restoring times of '" + name + "'");
  }
  return Status::Ok();
}

Status RestoreStash(Fs& base, int dirfd, const std::string& name, const Stash& s) {
  UniqueFd fd;
  if (S_ISREG(s.mode)) {
    LARCH_ASSIGN_OR_RETURN(fd, base.CreateExclusive(dirfd, name, 0600));
    LARCH_RETURN_IF_ERROR(base.Write(fd.get(), s.data));
  } else if (S_ISDIR(s.mode)) {
    LARCH_RETURN_IF_ERROR(base.Mkdir(dirfd, name, 0700));
    LARCH_ASSIGN_OR_RETURN(fd, base.OpenDirPath(dirfd, name));
  } else if (S_ISLNK(s.mode)) {
    LARCH_RETURN_IF_ERROR(base.Symlink(s.target, dirfd, name));
  } else {
    return Status::Ok();
  }
  return RestoreMeta(base, dirfd, name, fd.get(), s);
}

// The parent directory of `path`, or an invalid fd if it no longer exists
// (then there is nothing left to undo below it).
Result<UniqueFd> OpenParent(Fs& base, const std::string& path) {
  Result<UniqueFd> dir = base.OpenDirPath(AT_FDCWD, Parent(path));
  if (!dir.ok() && dir.status().IsNotFound()) return UniqueFd();
  return dir;
}

Result<bool> Exists(Fs& base, int dirfd, const std::string& name) {
  Result<struct stat> st = base.Stat(dirfd, name);
  if (st.ok()) return true;
  if (st.status().IsNotFound()) return false;
  return st.status();
}

// Cuts a file back to the size it had at its last sync.
Status DropUnsyncedData(Fs& base, const std::string& path, off_t synced) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(base, path));
  if (!dir.valid()) return Status::Ok();
  Result<UniqueFd> fd = base.OpenWrite(dir.get(), BaseName(path));
  if (!fd.ok()) {
    // Gone, or replaced by a non-file: the data went with the name.
    StatusCode c = fd.status().code();
    return c == StatusCode::kNotFound || c == StatusCode::kInvalidArgument ? Status::Ok()
                                                                           : fd.status();
  }
  LARCH_ASSIGN_OR_RETURN(struct stat st, base.FStat(fd->get()));
  if (st.st_size <= synced) return Status::Ok();
  return base.Truncate(fd->get(), synced);
}

Status UndoCreate(Fs& base, const Undo& u) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(base, u.path));
  if (!dir.valid()) return Status::Ok();
  return RemoveTree(base, dir.get(), BaseName(u.path));
}

// Moves u.path back to u.from if that name is free; true if it did.
Result<bool> MoveBack(Fs& base, const Undo& u, int to_dir) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd from_dir, OpenParent(base, u.from));
  if (!from_dir.valid()) return false;
  LARCH_ASSIGN_OR_RETURN(bool from_taken, Exists(base, from_dir.get(), BaseName(u.from)));
  if (from_taken) return false;
  LARCH_RETURN_IF_ERROR(base.Rename(to_dir, BaseName(u.path), from_dir.get(),
                                    BaseName(u.from), RenameMode::kNoReplace));
  return true;
}

// Undoes log[k], a rename; rewrites older entries if the name moved back.
Status UndoRename(Fs& base, std::vector<Undo>& log, size_t k) {
  const Undo& u = log[k];
  const std::string name = BaseName(u.path);
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(base, u.path));
  if (!dir.valid()) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(bool present, Exists(base, dir.get(), name));
  if (present) {
    LARCH_ASSIGN_OR_RETURN(bool moved, MoveBack(base, u, dir.get()));
    if (moved) {
      for (size_t i = 0; i < k; ++i) {
        RebaseBelow(log[i].path, u.path, u.from);
        RebaseBelow(log[i].from, u.path, u.from);
      }
    } else {
      LARCH_RETURN_IF_ERROR(RemoveTree(base, dir.get(), name));
    }
  }
  if (!u.stash.has_value()) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(bool taken, Exists(base, dir.get(), name));
  return taken ? Status::Ok() : RestoreStash(base, dir.get(), name, *u.stash);
}

Status UndoExchange(Fs& base, std::vector<Undo>& log, size_t k) {
  const Undo& u = log[k];
  LARCH_ASSIGN_OR_RETURN(UniqueFd a_dir, OpenParent(base, u.from));
  LARCH_ASSIGN_OR_RETURN(UniqueFd b_dir, OpenParent(base, u.path));
  if (!a_dir.valid() || !b_dir.valid()) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(bool a, Exists(base, a_dir.get(), BaseName(u.from)));
  LARCH_ASSIGN_OR_RETURN(bool b, Exists(base, b_dir.get(), BaseName(u.path)));
  if (!a || !b) return Status::Ok();
  LARCH_RETURN_IF_ERROR(base.Rename(a_dir.get(), BaseName(u.from), b_dir.get(),
                                    BaseName(u.path), RenameMode::kExchange));
  for (size_t i = 0; i < k; ++i) {
    SwapBelow(log[i].path, u.from, u.path);
    SwapBelow(log[i].from, u.from, u.path);
  }
  return Status::Ok();
}

Status UndoOne(Fs& base, std::vector<Undo>& log, size_t k) {
  switch (log[k].kind) {
    case Undo::Kind::kCreate: return UndoCreate(base, log[k]);
    case Undo::Kind::kRename: return UndoRename(base, log, k);
    case Undo::Kind::kExchange: return UndoExchange(base, log, k);
  }
  return Status::Ok();
}

// --- Tracking, called with Model::mu held ---

// Moves data-tracking keys at or below `from` to `to`.
template <typename Map>
void RebaseKeys(Map& map, const std::string& from, const std::string& to) {
  Map moved;
  for (auto it = map.begin(); it != map.end();) {
    std::string key = it->first;
    if (key == from || IsBelow(key, from)) {
      moved.emplace(to + key.substr(from.size()), it->second);
      it = map.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& kv : moved) map.insert_or_assign(kv.first, kv.second);
}

// The gate every mutating call passes first: counts it, then crashes or
// fails it if armed. A crashed FaultFs refuses everything.
Status BeginMutation(Model& s, std::string_view call) {
  if (s.crashed) return PowerLost(call);
  ++s.mutations;
  if (s.crash_at != 0 && s.mutations >= s.crash_at) {
    s.crashed = true;
    return PowerLost(call);
  }
  if (s.fail_at != 0 && s.mutations == s.fail_at) {
    return Status::FromErrno(s.fail_err, "FaultFs: injected failure of " + std::string(call));
  }
  return Status::Ok();
}

Status CheckAlive(Model& s, std::string_view call) {
  std::lock_guard<std::mutex> lock(s.mu);
  return s.crashed ? PowerLost(call) : Status::Ok();
}

// Records, before a write or truncate, the size the file had at its last
// sync (its current size, if it has no unsynced data yet).
Status NoteData(Model& s, Fs& base, int fd) {
  LARCH_ASSIGN_OR_RETURN(struct stat st, base.FStat(fd));
  if (!S_ISREG(st.st_mode) || st.st_nlink == 0) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(std::string path, FdPath(fd));
  s.synced_size.try_emplace(path, st.st_size);
  return Status::Ok();
}

void NoteCreate(Model& s, const std::string& path) {
  s.log.push_back(Undo{Undo::Kind::kCreate, path, "", std::nullopt});
}

void NoteRename(Model& s, const std::string& from, const std::string& to,
                std::optional<Stash> stash) {
  // The replaced file comes back with only what it had synced.
  auto replaced = s.synced_size.find(to);
  if (replaced != s.synced_size.end()) {
    if (stash.has_value() && stash->data.size() > static_cast<size_t>(replaced->second)) {
      stash->data.resize(static_cast<size_t>(replaced->second));
    }
    s.synced_size.erase(replaced);
  }
  for (Undo& u : s.log) {
    RebaseBelow(u.path, from, to);
    RebaseBelow(u.from, from, to);
  }
  RebaseKeys(s.synced_size, from, to);
  s.log.push_back(Undo{Undo::Kind::kRename, to, from, std::move(stash)});
}

void NoteExchange(Model& s, const std::string& a, const std::string& b) {
  for (Undo& u : s.log) {
    SwapBelow(u.path, a, b);
    SwapBelow(u.from, a, b);
  }
  std::map<std::string, off_t> swapped;
  for (auto& [path, size] : s.synced_size) {
    std::string p = path;
    if (p == a) p = b; else if (p == b) p = a; else SwapBelow(p, a, b);
    swapped.emplace(std::move(p), size);
  }
  s.synced_size = std::move(swapped);
  s.log.push_back(Undo{Undo::Kind::kExchange, b, a, std::nullopt});
}

// fsync(fd): a file's data, or a directory's entries, become durable.
void NoteFsync(Model& s, const std::string& path, bool is_dir) {
  if (!is_dir) {
    s.synced_size.erase(path);
    return;
  }
  std::erase_if(s.log, [&](const Undo& u) { return Parent(u.path) == path; });
}

}  // namespace

FaultFs::FaultFs(Fs* base) : FsWrapper(base), state_(std::make_unique<State>()) {}
FaultFs::~FaultFs() = default;

void FaultFs::CrashAtMutation(uint64_t n) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->crash_at = n;
}

void FaultFs::FailMutation(uint64_t n, int err) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_at = n;
  state_->fail_err = err;
}

uint64_t FaultFs::mutation_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->mutations;
}

std::vector<uint64_t> FaultFs::DistinctCrashPoints() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<uint64_t> points;
  auto skip = state_->continued_writes.begin();
  for (uint64_t i = 1; i <= state_->mutations; ++i) {
    if (skip != state_->continued_writes.end() && *skip == i) {
      ++skip;
      continue;
    }
    points.push_back(i);
  }
  return points;
}

std::vector<uint64_t> FaultFs::CrashPointsToSweep() const {
  std::vector<uint64_t> points = DistinctCrashPoints();
  const char* env = std::getenv("LARCH_CRASH_SAMPLE");
  const unsigned long every = env == nullptr ? 1 : std::strtoul(env, nullptr, 10);
  if (every <= 1 || points.empty()) return points;
  std::vector<uint64_t> sample;
  for (size_t i = 0; i < points.size(); i += every) sample.push_back(points[i]);
  if (sample.back() != points.back()) sample.push_back(points.back());
  return sample;
}

bool FaultFs::crashed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->crashed;
}

Status FaultFs::SimulatePowerLoss() {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& s = *state_;
  Status first;
  auto keep = [&first](const Status& st) {
    if (first.ok() && !st.ok()) first = st.WithContext("FaultFs: simulating power loss");
  };
  // Data first, while the tracked paths still name the current tree.
  for (const auto& [path, size] : s.synced_size) keep(DropUnsyncedData(*target(), path, size));
  for (size_t k = s.log.size(); k-- > 0;) keep(UndoOne(*target(), s.log, k));
  // The machine "reboots": nothing is pending, nothing is armed.
  s.synced_size.clear();
  s.log.clear();
  s.mutations = 0;
  s.continued_writes.clear();
  s.last_write_fd = -1;
  s.last_write_mutation = 0;
  s.crash_at = 0;
  s.fail_at = 0;
  s.fail_err = 0;
  s.crashed = false;
  return first;
}

// --- Non-mutating calls: forwarded unless the power is out ---

Result<UniqueFd> FaultFs::OpenDirPath(int dirfd, const std::string& path) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "open directory"));
  return target()->OpenDirPath(dirfd, path);
}

Result<UniqueFd> FaultFs::OpenRead(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "open for reading"));
  return target()->OpenRead(dirfd, name);
}

Result<size_t> FaultFs::Read(int fd, MutableByteSpan buf) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "read"));
  return target()->Read(fd, buf);
}

Result<size_t> FaultFs::ReadAt(int fd, MutableByteSpan buf, uint64_t offset) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "read"));
  return target()->ReadAt(fd, buf, offset);
}

Result<struct stat> FaultFs::Stat(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "stat"));
  return target()->Stat(dirfd, name);
}

Result<struct stat> FaultFs::FStat(int fd) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "fstat"));
  return target()->FStat(fd);
}

Result<std::vector<DirEntry>> FaultFs::ReadDir(int dirfd) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "readdir"));
  return target()->ReadDir(dirfd);
}

Result<std::string> FaultFs::ReadLink(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "readlink"));
  return target()->ReadLink(dirfd, name);
}

Result<Xattrs> FaultFs::GetXattrs(int dirfd, const std::string& name) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "getxattrs"));
  return target()->GetXattrs(dirfd, name);
}

Result<std::optional<VerityDigest>> FaultFs::MeasureVerity(int fd) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "measure verity"));
  return target()->MeasureVerity(fd);
}

Result<uint64_t> FaultFs::FreeSpace(int fd) {
  LARCH_RETURN_IF_ERROR(CheckAlive(*state_, "free space"));
  return target()->FreeSpace(fd);
}

// --- Mutating calls: gated, forwarded and tracked under the one mutex, so
// the count, the injected fault and the model see one global order even
// when worker threads write concurrently. ---

Result<UniqueFd> FaultFs::CreateExclusive(int dirfd, const std::string& name, mode_t mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "create"));
  LARCH_ASSIGN_OR_RETURN(std::string path, PathAt(dirfd, name));
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, target()->CreateExclusive(dirfd, name, mode));
  NoteCreate(*state_, path);
  state_->synced_size.insert_or_assign(path, 0);  // nothing of it is durable
  return fd;
}

Result<UniqueFd> FaultFs::OpenWrite(int dirfd, const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "open for writing"));
  return target()->OpenWrite(dirfd, name);
}

Status FaultFs::Write(int fd, ByteSpan data) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "write"));
  if (state_->last_write_fd == fd && state_->last_write_mutation + 1 == state_->mutations) {
    state_->continued_writes.push_back(state_->mutations);
  }
  state_->last_write_fd = fd;
  state_->last_write_mutation = state_->mutations;
  LARCH_RETURN_IF_ERROR(NoteData(*state_, *target(), fd));
  return target()->Write(fd, data);
}

Status FaultFs::Truncate(int fd, off_t size) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "truncate"));
  LARCH_RETURN_IF_ERROR(NoteData(*state_, *target(), fd));
  return target()->Truncate(fd, size);
}

Status FaultFs::Fsync(int fd) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "fsync"));
  LARCH_ASSIGN_OR_RETURN(struct stat st, target()->FStat(fd));
  LARCH_ASSIGN_OR_RETURN(std::string path, FdPath(fd));
  LARCH_RETURN_IF_ERROR(target()->Fsync(fd));
  // Only a successful fsync makes anything durable.
  NoteFsync(*state_, path, S_ISDIR(st.st_mode));
  return Status::Ok();
}

Status FaultFs::SyncFs(int fd) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "syncfs"));
  LARCH_RETURN_IF_ERROR(target()->SyncFs(fd));
  // Tests keep their trees on one filesystem, so syncfs covers all of it.
  state_->synced_size.clear();
  state_->log.clear();
  return Status::Ok();
}

Status FaultFs::Rename(int olddirfd, const std::string& oldname, int newdirfd,
                       const std::string& newname, RenameMode mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "rename"));
  LARCH_ASSIGN_OR_RETURN(std::string from, PathAt(olddirfd, oldname));
  LARCH_ASSIGN_OR_RETURN(std::string to, PathAt(newdirfd, newname));
  std::optional<Stash> stash;
  if (mode == RenameMode::kReplace) {
    // rename(2) between two links of one inode does nothing: nothing to undo.
    Result<struct stat> a = target()->Stat(olddirfd, oldname);
    Result<struct stat> b = target()->Stat(newdirfd, newname);
    if (a.ok() && b.ok() && a->st_dev == b->st_dev && a->st_ino == b->st_ino) {
      return target()->Rename(olddirfd, oldname, newdirfd, newname, mode);
    }
    if (a.ok()) {
      LARCH_ASSIGN_OR_RETURN(stash, CaptureStash(*target(), newdirfd, newname));
    }
  }
  LARCH_RETURN_IF_ERROR(target()->Rename(olddirfd, oldname, newdirfd, newname, mode));
  if (mode == RenameMode::kExchange) {
    NoteExchange(*state_, from, to);
  } else {
    NoteRename(*state_, from, to, std::move(stash));
  }
  return Status::Ok();
}

Status FaultFs::Link(int olddirfd, const std::string& oldname, int newdirfd,
                     const std::string& newname) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "link"));
  LARCH_ASSIGN_OR_RETURN(std::string path, PathAt(newdirfd, newname));
  LARCH_RETURN_IF_ERROR(target()->Link(olddirfd, oldname, newdirfd, newname));
  NoteCreate(*state_, path);
  return Status::Ok();
}

Status FaultFs::Symlink(const std::string& link_target, int dirfd, const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "symlink"));
  LARCH_ASSIGN_OR_RETURN(std::string path, PathAt(dirfd, name));
  LARCH_RETURN_IF_ERROR(target()->Symlink(link_target, dirfd, name));
  NoteCreate(*state_, path);
  return Status::Ok();
}

Status FaultFs::Mkdir(int dirfd, const std::string& name, mode_t mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "mkdir"));
  LARCH_ASSIGN_OR_RETURN(std::string path, PathAt(dirfd, name));
  LARCH_RETURN_IF_ERROR(target()->Mkdir(dirfd, name, mode));
  NoteCreate(*state_, path);
  return Status::Ok();
}

Status FaultFs::Unlink(int dirfd, const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "unlink"));
  LARCH_ASSIGN_OR_RETURN(std::string path, PathAt(dirfd, name));
  LARCH_RETURN_IF_ERROR(target()->Unlink(dirfd, name));
  // Unlinks are never resurrected, so the name's data no longer matters.
  state_->synced_size.erase(path);
  return Status::Ok();
}

Status FaultFs::Rmdir(int dirfd, const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "rmdir"));
  return target()->Rmdir(dirfd, name);
}

// The kernel seals a file atomically (the Merkle tree is written, then the
// flag set in one journalled step): a crash leaves it sealed or not.
Status FaultFs::EnableVerity(int fd) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "enable verity"));
  return target()->EnableVerity(fd);
}

Status FaultFs::FChmod(int fd, mode_t mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "fchmod"));
  return target()->FChmod(fd, mode);
}

Status FaultFs::Chown(int dirfd, const std::string& name, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "chown"));
  return target()->Chown(dirfd, name, uid, gid);
}

Status FaultFs::SetXattr(int dirfd, const std::string& name, const Xattr& xattr) {
  std::lock_guard<std::mutex> lock(state_->mu);
  LARCH_RETURN_IF_ERROR(BeginMutation(*state_, "setxattr"));
  return target()->SetXattr(dirfd, name, xattr);
}

}  // namespace larch::fs
