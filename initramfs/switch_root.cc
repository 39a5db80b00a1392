// File: initramfs/switch_root.cc
#include "initramfs/switch_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "initramfs/cmdline.h"
#include "src/base/unique_fd.h"
#include "initramfs/log.h"

namespace larch::initramfs {

namespace {

void MoveApiFilesystems(const std::string& new_root) {
  for (const char* dir : {"/dev", "/proc", "/sys", "/run"}) {
    struct stat old_st, new_st;
    std::string target = new_root + dir;
    if (stat(dir, &old_st) != 0) continue;
    if (lstat(target.c_str(), &new_st) == 0 && S_ISDIR(new_st.st_mode) &&
        mount(dir, target.c_str(), nullptr, MS_MOVE, nullptr) == 0)
      continue;
    umount2(dir, MNT_DETACH);  // not mounted, or nowhere to go
  }
}

// True when "/" is the kernel's initramfs (never a real disk): a ramfs or
// tmpfs that /proc/self/mountinfo calls "rootfs", and we are PID 1.
bool RootIsInitramfs() {
  struct statfs fs;
  if (getpid() != 1 || statfs("/", &fs) != 0 ||
      (fs.f_type != static_cast<decltype(fs.f_type)>(RAMFS_MAGIC) &&
       fs.f_type != static_cast<decltype(fs.f_type)>(TMPFS_MAGIC)))
    return false;
  std::string error;
  std::optional<std::string> info = ReadProcFile("/proc/self/mountinfo", &error);
  if (!info) return false;
  bool is_rootfs = false;
  size_t pos = 0;
  while (pos < info->size()) {
    size_t end = info->find('\n', pos);
    if (end == std::string::npos) end = info->size();
    std::string_view line(info->data() + pos, end - pos);
    pos = end + 1;
    // "<id> <parent> <maj:min> <root> <mount point> <options> ... - <fstype> ..."
    size_t f = 0;
    std::string_view fields[5];
    for (int i = 0; i < 5 && f <= line.size(); ++i) {
      size_t sp = line.find(' ', f);
      if (sp == std::string_view::npos) sp = line.size();
      fields[i] = line.substr(f, sp - f);
      f = sp + 1;
    }
    size_t dash = line.find(" - ");
    if (fields[4] != "/" || dash == std::string_view::npos) continue;
    std::string_view fstype = line.substr(dash + 3, line.find(' ', dash + 3) - (dash + 3));
    is_rootfs = fstype == "rootfs";  // the last "/" entry is the one in force
  }
  return is_rootfs;
}

// Deletes everything below `dir` that is on device `dev`.
void DeleteTree(int dir, dev_t dev) {
  DIR* d = fdopendir(dir);
  if (d == nullptr) {
    close(dir);
    return;
  }
  while (struct dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != dev) continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) DeleteTree(sub, dev);
    }
    unlinkat(dirfd(d), e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
  }
  closedir(d);
}

}  // namespace

std::string SwitchRoot(const std::string& new_root, const std::string& init, const std::vector<std::string>& args) {
  struct stat new_st;
  if (stat(new_root.c_str(), &new_st) != 0) return new_root + ": " + ErrnoText(errno);
  bool free_initramfs = RootIsInitramfs();
  MoveApiFilesystems(new_root);
  if (chdir(new_root.c_str()) != 0) return "chdir " + new_root + ": " + ErrnoText(errno);
  if (free_initramfs) {
    int old_root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (old_root >= 0 && fstat(old_root, &st) == 0 && st.st_dev != new_st.st_dev) DeleteTree(old_root, st.st_dev);
    else if (old_root >= 0) close(old_root);
  }
  if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return "moving " + new_root + " onto /: " + ErrnoText(errno);
  if (chroot(".") != 0) return "chroot: " + ErrnoText(errno);
  if (chdir("/") != 0) return "chdir /: " + ErrnoText(errno);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(init.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(init.c_str(), argv.data());
  return "exec " + init + ": " + ErrnoText(errno);
}

}  // namespace larch::initramfs
