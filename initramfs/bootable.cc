// File: initramfs/bootable.cc
#include "initramfs/bootable.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "initramfs/log.h"
#include "initramfs/resolve.h"

namespace larch::initramfs {

namespace {

std::string Relative(const boot::DeploymentId& id) { return boot::DeploymentPath(id).substr(1); }

// Names in a directory opened with O_DIRECTORY (the fd is consumed).
std::vector<std::string> List(UniqueFd dir) {
  std::vector<std::string> names;
  DIR* d = fdopendir(dir.get());
  if (d == nullptr) return names;
  (void)dir.Release();
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

}  // namespace

std::string CheckBootable(int sysroot, const boot::DeploymentId& id, const std::vector<std::string>& inits,
                          std::string* init) {
  Opened root = OpenNoSymlinks(sysroot, Relative(id), O_RDONLY | O_DIRECTORY);
  if (!root.fd.valid()) {
    if (root.error == ENOENT) return "it does not exist";
    if (root.error == ELOOP) return "a symlink is on its path (it must be a real directory under /ostree/deploy)";
    return ErrnoText(root.error);
  }
  Opened usr = OpenNoSymlinks(root.fd.get(), "usr", O_PATH | O_DIRECTORY);
  if (!usr.fd.valid()) return "it has no /usr directory";
  for (const std::string& candidate : inits) {
    Opened f = OpenInRoot(root.fd.get(), candidate, O_PATH);
    struct stat st;
    if (f.fd.valid() && fstat(f.fd.get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) {
      *init = candidate;
      return "";
    }
  }
  std::string names;
  for (const std::string& candidate : inits) names += (names.empty() ? "" : ", ") + candidate;
  return "no init program in it (" + names + ")";
}

std::vector<boot::DeploymentId> FindDeployments(int sysroot) {
  std::vector<std::pair<struct timespec, boot::DeploymentId>> found;
  Opened top = OpenNoSymlinks(sysroot, "ostree/deploy", O_RDONLY | O_DIRECTORY);
  if (!top.fd.valid()) return {};
  int top_fd = top.fd.get();
  for (const std::string& os : List(UniqueFd(dup(top_fd)))) {
    if (!boot::IsValidOsName(os)) continue;
    Opened dir = OpenNoSymlinks(top_fd, os + "/deploy", O_RDONLY | O_DIRECTORY);
    if (!dir.fd.valid()) continue;
    int dir_fd = dir.fd.get();
    for (const std::string& name : List(UniqueFd(dup(dir_fd)))) {
      std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(os, name);
      struct stat st;
      if (!id || fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
      found.emplace_back(st.st_mtim, *id);
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    if (a.first.tv_sec != b.first.tv_sec) return a.first.tv_sec > b.first.tv_sec;
    if (a.first.tv_nsec != b.first.tv_nsec) return a.first.tv_nsec > b.first.tv_nsec;
    return boot::DeploymentPath(a.second) < boot::DeploymentPath(b.second);
  });
  std::vector<boot::DeploymentId> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace larch::initramfs
