// File: initramfs/log.cc
#include "initramfs/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace larch::initramfs {

namespace {

LogTarget g_target = LogTarget::kAuto;
int64_t g_log_ns = 0;

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool StderrIsConsole() {
  struct stat st;
  return fstat(2, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 1);
}

bool ToKmsg(int level, const std::string& line) {
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  // One write per record: /dev/kmsg takes each write as one message.
  bool ok = WriteAll(fd, "<" + std::to_string(level) + ">" + line);
  close(fd);
  return ok;
}

void Emit(int level, const std::string& line) {
  bool kmsg = g_target != LogTarget::kStderr && ToKmsg(level, line);
  if (g_target == LogTarget::kKmsg && kmsg) return;
  if (kmsg && StderrIsConsole()) return;
  WriteAll(2, line);
}

void Log(int level, const std::string& message) {
  int64_t start = NowNs();
  Emit(level, "larch-prepare-root: " + message + "\n");
  g_log_ns += NowNs() - start;
}

}  // namespace

void SetLogTarget(LogTarget target) { g_target = target; }

void Info(const std::string& message) { Log(5, message); }
void Problem(const std::string& message) { Log(3, message); }

int64_t LogMillis() { return g_log_ns / 1000000; }

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace larch::initramfs
