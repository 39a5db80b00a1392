// File: initramfs/log.h
//
// Console messages of larch-prepare-root. Each line is prefixed
// "larch-prepare-root: " and goes to the kernel log (/dev/kmsg, so it is
// on the console and later in the journal) and to stderr, except that
// stderr is skipped when it is the console itself and the kernel log took
// the line (one copy on the screen, not two). Problems are logged at
// kernel level 3 (shown even with `quiet`), the rest at level 5.
#pragma once

#include <cstdint>
#include <string>

namespace larch::initramfs {

enum class LogTarget { kAuto, kStderr, kKmsg };
void SetLogTarget(LogTarget target);

void Info(const std::string& message);
void Problem(const std::string& message);

// Milliseconds spent writing messages so far: on a serial console each line
// costs milliseconds, which the run-time report shows apart.
int64_t LogMillis();

// strerror(err) as a std::string.
std::string ErrnoText(int err);

}  // namespace larch::initramfs
