// File: initramfs/state_file.cc
#include "initramfs/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "initramfs/log.h"
#include "initramfs/resolve.h"

namespace larch::initramfs {

namespace {

// The file's bytes, at most one byte past the format's limit (so an
// oversized file is reported as such by the decoder).
int ReadSmallFile(int fd, std::string* out) {
  char buf[1024];
  while (out->size() <= boot::kMaxBootStateSize) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

LoadedState LoadBootState(int sysroot) {
  LoadedState loaded;
  Opened dir = OpenInRoot(sysroot, kBootStateDir, O_RDONLY | O_DIRECTORY);
  if (!dir.fd.valid()) {
    loaded.error = std::string("missing: /") + kBootStateDir + ": " + ErrnoText(dir.error);
    return loaded;
  }
  loaded.dir = std::move(dir.fd);
  UniqueFd file(openat(loaded.dir.get(), kBootStateName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  std::string where = std::string("/") + kBootStateDir + "/" + kBootStateName;
  if (!file.valid()) {
    loaded.error = "missing: " + where + ": " + ErrnoText(errno);
    return loaded;
  }
  std::string text;
  if (int err = ReadSmallFile(file.get(), &text); err != 0) {
    loaded.error = where + ": " + ErrnoText(err);
    return loaded;
  }
  boot::Decoded<boot::BootState> d = boot::DecodeBootState(text);
  if (d.value) loaded.state = std::move(d.value);
  else loaded.error = where + " is corrupt: " + d.error;
  return loaded;
}

int WriteSteps::OpenTemp(int dir, UniqueFd* out) {
  *out = UniqueFd(openat(dir, kBootStateTemp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  return out->valid() ? 0 : errno;
}

int WriteSteps::Write(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int WriteSteps::Sync(int fd) { return fsync(fd) == 0 ? 0 : errno; }

int WriteSteps::Rename(int dir) { return renameat(dir, kBootStateTemp.c_str(), dir, kBootStateName) == 0 ? 0 : errno; }

int WriteSteps::SyncDir(int dir) { return fsync(dir) == 0 ? 0 : errno; }

std::string WriteBootState(int dir, const boot::BootState& state, WriteSteps& steps) {
  std::string invalid = boot::BootStateError(state);
  if (!invalid.empty()) return "refusing to write an invalid boot-state: " + invalid;
  std::string text = boot::EncodeBootState(state);
  UniqueFd tmp;
  if (int err = steps.OpenTemp(dir, &tmp); err != 0) return std::string("creating ") + kBootStateTemp + ": " + ErrnoText(err);
  if (int err = steps.Write(tmp.get(), text.data(), text.size()); err != 0)
    return std::string("writing ") + kBootStateTemp + ": " + ErrnoText(err);
  if (int err = steps.Sync(tmp.get()); err != 0) return std::string("fsync of ") + kBootStateTemp + ": " + ErrnoText(err);
  tmp.Reset();
  if (int err = steps.Rename(dir); err != 0) return std::string("renaming ") + kBootStateTemp + ": " + ErrnoText(err);
  if (int err = steps.SyncDir(dir); err != 0) return std::string("fsync of the boot-state directory: ") + ErrnoText(err);
  return "";
}

}  // namespace larch::initramfs
