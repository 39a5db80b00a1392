// File: initramfs/cmdline.cc
#include "initramfs/cmdline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "initramfs/log.h"
#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

std::optional<std::string> ReadProcFile(const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + ErrnoText(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  while (text.size() < (64u << 10)) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = path + ": " + ErrnoText(errno);
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

namespace {

std::optional<std::string> Argument(std::string_view cmdline, std::string_view key) {
  std::optional<std::string_view> v = boot::CmdlineArgument(cmdline, key);
  if (!v || v->empty()) return std::nullopt;
  return std::string(*v);
}

}  // namespace

CmdlineOptions ParseCmdlineOptions(std::string_view cmdline) {
  CmdlineOptions o;
  o.init = Argument(cmdline, "init");
  std::optional<std::string> shell = Argument(cmdline, "larch.shell");
  o.shell = !shell || (*shell != "0" && *shell != "no");
  o.boot = Argument(cmdline, "larch.boot");
  o.loader_fallback = Argument(cmdline, "larch.loader-fallback");
  return o;
}

}  // namespace larch::initramfs
