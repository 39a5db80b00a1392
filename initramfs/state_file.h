// File: initramfs/state_file.h
//
// Reading and durably rewriting the boot-state file
// (<sysroot>/ostree/boot/boot-state, where ostree/boot -> ../boot/loader ->
// loader.N: docs/deploy.md, "Boot-state"). The encoding is
// src/bootstate/boot_state.h's, compiled into the helper as it is.
//
// A rewrite is: write "boot-state.tmp", fsync it, rename it over
// "boot-state", fsync the directory. Power lost at any point leaves the
// old file or the new one under the name (a torn temporary file is never
// renamed), so the next boot reads one of two valid states. Each step goes
// through WriteSteps so a test can stop the sequence at any step.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "src/base/unique_fd.h"
#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

inline constexpr char kBootStateDir[] = "ostree/boot";
inline constexpr const char* kBootStateName = boot::kBootStateFile;
inline const std::string kBootStateTemp = std::string(boot::kBootStateFile) + ".tmp";

struct LoadedState {
  UniqueFd dir;                                // the directory holding it (to write back)
  std::optional<boot::BootState> state;  // nullopt: see error
  std::string error;                     // "missing: ...", or the decoder's complaint
};

// Reads the boot-state below `sysroot` (symlinks confined to it).
LoadedState LoadBootState(int sysroot);

// The system calls of one rewrite, in order; each returns 0 or an errno.
// The default implementation calls the kernel.
class WriteSteps {
 public:
  virtual ~WriteSteps() = default;
  virtual int OpenTemp(int dir, UniqueFd* out);
  virtual int Write(int fd, const char* data, size_t size);
  virtual int Sync(int fd);
  virtual int Rename(int dir);
  virtual int SyncDir(int dir);
};

// Replaces the boot-state in `dir` with `state`; "" or what failed.
std::string WriteBootState(int dir, const boot::BootState& state, WriteSteps& steps);

}  // namespace larch::initramfs
