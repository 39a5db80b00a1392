// File: initramfs/resolve.cc
#include "initramfs/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <deque>
#include <string>
#include <vector>

namespace larch::initramfs {

namespace {

constexpr int kMaxSymlinks = 40;

// Appends the components of `path` (empty ones and "." dropped) in front of
// `rest`, keeping their order.
void PushFront(std::deque<std::string>& rest, std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(i, slash - i);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    i = slash + 1;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) rest.push_front(*it);
}

Opened Fail(int error) {
  Opened o;
  o.error = error;
  return o;
}

Opened Reopen(int dir, int flags) {
  Opened o;
  o.fd = UniqueFd(openat(dir, ".", flags | O_CLOEXEC));
  if (!o.fd.valid()) o.error = errno;
  return o;
}

}  // namespace

Opened OpenInRoot(int root, std::string_view path, int flags) {
  std::deque<std::string> rest;
  PushFront(rest, path);
  std::vector<UniqueFd> stack;  // directories walked through; empty means `root`
  auto cur = [&] { return stack.empty() ? root : stack.back().get(); };
  int links = 0;
  while (!rest.empty()) {
    std::string name = std::move(rest.front());
    rest.pop_front();
    if (name == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    struct stat st;
    if (fstatat(cur(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Fail(errno);
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return Fail(ELOOP);
      char target[4096];
      ssize_t n = readlinkat(cur(), name.c_str(), target, sizeof target);
      if (n < 0) return Fail(errno);
      if (n == static_cast<ssize_t>(sizeof target)) return Fail(ENAMETOOLONG);
      std::string_view t(target, static_cast<size_t>(n));
      if (!t.empty() && t[0] == '/') stack.clear();
      PushFront(rest, t);
      continue;
    }
    if (rest.empty()) {
      Opened o;
      o.fd = UniqueFd(openat(cur(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
      if (!o.fd.valid()) o.error = errno;
      return o;
    }
    UniqueFd next(openat(cur(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return Fail(errno);
    stack.push_back(std::move(next));
  }
  return Reopen(cur(), flags);  // the path named `root` itself (or a dir)
}

Opened OpenNoSymlinks(int dir, std::string_view path, int flags) {
  std::deque<std::string> parts;
  PushFront(parts, path);
  if (parts.empty()) return Reopen(dir, flags);
  UniqueFd cur;
  while (!parts.empty()) {
    std::string name = std::move(parts.front());
    parts.pop_front();
    if (name == "..") return Fail(ELOOP);
    int at = cur.valid() ? cur.get() : dir;
    struct stat st;
    if (fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Fail(errno);
    if (S_ISLNK(st.st_mode)) return Fail(ELOOP);
    int f = parts.empty() ? flags : O_PATH | O_DIRECTORY;
    UniqueFd next(openat(at, name.c_str(), f | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return Fail(errno);
    cur = std::move(next);
  }
  Opened o;
  o.fd = std::move(cur);
  return o;
}

}  // namespace larch::initramfs
