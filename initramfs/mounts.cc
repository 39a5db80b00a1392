// File: initramfs/mounts.cc
#include "initramfs/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "initramfs/choose.h"
#include "initramfs/log.h"
#include "initramfs/resolve.h"

namespace larch::initramfs {

namespace {

std::string Failed(const std::string& what, int err) { return what + ": " + ErrnoText(err); }

// A real directory at `path` to mount on: created when missing (0755); a
// symlink or anything else is refused (a mount would follow it).
std::string MountPointDir(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "";
    return path + " is not a directory (a symlink?): cannot mount on it";
  }
  if (errno != ENOENT) return Failed(path, errno);
  if (mkdir(path.c_str(), 0755) != 0) return Failed("creating " + path, errno);
  Info("created the mount point " + path);
  return "";
}

// Steps done so far, undone in reverse on failure.
class Undo {
 public:
  explicit Undo(std::string root, std::string aside) : root_(std::move(root)), aside_(std::move(aside)) {}
  ~Undo() {
    if (done_) return;
    if (moved_to_sysroot_ && mount((root_ + "/sysroot").c_str(), aside_.c_str(), nullptr, MS_MOVE, nullptr) != 0)
      Problem(Failed("undo: moving the physical root back from " + root_ + "/sysroot", errno));
    if (bound_ && umount2(root_.c_str(), MNT_DETACH) != 0) Problem(Failed("undo: unmounting " + root_, errno));
    if (moved_aside_ && mount(aside_.c_str(), root_.c_str(), nullptr, MS_MOVE, nullptr) != 0)
      Problem(Failed("undo: moving the physical root back to " + root_, errno));
    if (made_aside_) rmdir(aside_.c_str());
  }
  void Commit() { done_ = true; }

  bool made_aside_ = false, moved_aside_ = false, bound_ = false, moved_to_sysroot_ = false;

 private:
  std::string root_, aside_;
  bool done_ = false;
};

}  // namespace

std::string MakeMountPoints(int sysroot, const boot::DeploymentId& id,
                            const std::function<std::string()>& make_writable) {
  Opened root = OpenNoSymlinks(sysroot, boot::DeploymentPath(id).substr(1), O_RDONLY | O_DIRECTORY);
  if (!root.fd.valid()) return ErrnoText(root.error);
  for (const char* dir : {"var", "sysroot"}) {
    struct stat st;
    if (fstatat(root.fd.get(), dir, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) continue;
    if (std::string e = make_writable(); !e.empty()) return e;
    if (mkdirat(root.fd.get(), dir, 0755) != 0) return std::string("creating /") + dir + ": " + ErrnoText(errno);
    Info(std::string("created the mount point /") + dir + " in " + ShortName(id));
  }
  return "";
}

std::string EnsureMountPoint(const std::string& path) {
  struct stat self, parent;
  if (stat(path.c_str(), &self) != 0) return Failed(path, errno);
  if (stat((path + "/..").c_str(), &parent) != 0) return Failed(path + "/..", errno);
  // A different device, or the same inode as "..": a mount point (or "/").
  if (self.st_dev != parent.st_dev || self.st_ino == parent.st_ino) return "";
  // Same device: it may still be a bind mount; moving it tells. Binding it
  // on itself is harmless either way.
  if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Failed("bind-mounting " + path + " on itself", errno);
  return "";
}

std::string MountDeployment(const std::string& root, const boot::DeploymentId& id) {
  const std::string aside = root + ".larch-tmp";
  Undo undo(root, aside);
  if (mkdir(aside.c_str(), 0700) != 0) {
    if (errno != EEXIST) return Failed("creating " + aside, errno);
  } else {
    undo.made_aside_ = true;
  }
  if (mount(root.c_str(), aside.c_str(), nullptr, MS_MOVE, nullptr) != 0)
    return Failed("moving the physical root " + root + " to " + aside, errno);
  undo.moved_aside_ = true;

  const std::string deployment = aside + boot::DeploymentPath(id);
  if (mount(deployment.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Failed("bind-mounting " + deployment + " on " + root, errno);
  undo.bound_ = true;

  const std::string usr = root + "/usr";
  if (mount(usr.c_str(), usr.c_str(), nullptr, MS_BIND, nullptr) != 0) return Failed("bind-mounting " + usr, errno);
  if (mount(nullptr, usr.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    return Failed("making " + usr + " read-only", errno);

  const std::string var = aside + "/ostree/deploy/" + id.os + "/var";
  struct stat st;
  if (lstat(var.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return "the OS's shared /ostree/deploy/" + id.os + "/var is missing or not a directory (larch admin os-init makes it)";
  if (std::string e = MountPointDir(root + "/var"); !e.empty()) return e;
  if (mount(var.c_str(), (root + "/var").c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Failed("bind-mounting " + var + " on " + root + "/var", errno);

  if (std::string e = MountPointDir(root + "/sysroot"); !e.empty()) return e;
  if (mount(aside.c_str(), (root + "/sysroot").c_str(), nullptr, MS_MOVE, nullptr) != 0)
    return Failed("moving the physical root to " + root + "/sysroot", errno);
  undo.moved_to_sysroot_ = true;
  if (undo.made_aside_) rmdir(aside.c_str());
  undo.Commit();
  return "";
}

}  // namespace larch::initramfs
