// File: initramfs/cmdline.cc
#include "initramfs/cmdline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "initramfs/log.h"

namespace larch::initramfs {

std::optional<std::string> ReadCmdline(const std::string& path, std::string* error) {
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

std::optional<std::string> CmdlineValue(std::string_view cmdline, std::string_view key) {
  std::optional<std::string> last;
  size_t i = 0;
  while (i < cmdline.size()) {
    size_t start = cmdline.find_first_not_of(" \t\n", i);
    if (start == std::string_view::npos) break;
    size_t end = cmdline.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = cmdline.size();
    std::string_view word = cmdline.substr(start, end - start);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=')
      last = std::string(word.substr(key.size() + 1));
    i = end;
  }
  return last;
}

CmdlineOptions ParseCmdlineOptions(std::string_view cmdline) {
  CmdlineOptions o;
  o.init = CmdlineValue(cmdline, "init");
  if (o.init && o.init->empty()) o.init.reset();
  std::optional<std::string> shell = CmdlineValue(cmdline, "larch.shell");
  o.shell = !shell || (*shell != "0" && *shell != "no");
  o.boot = CmdlineValue(cmdline, "larch.boot");
  if (o.boot && o.boot->empty()) o.boot.reset();
  return o;
}

}  // namespace larch::initramfs
