// File: deploy/booted.cc
#include "deploy/booted.h"

#include <cstdlib>

#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

Result<std::string> ReadCmdline(fs::Fs& fs, const std::string& file) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, file));
  LARCH_ASSIGN_OR_RETURN(Bytes text, fs::ReadFileFully(fs, where.parent.get(), where.name, 64 << 10));
  return std::string(AsStringView(text));
}

}  // namespace

Result<std::optional<boot::DeploymentId>> ReadBootedDeployment(fs::Fs& fs, const std::string& cmdline_file) {
  std::string text;
  const char* env = std::getenv(kCmdlineEnv);
  if (!cmdline_file.empty()) {
    LARCH_ASSIGN_OR_RETURN(text, ReadCmdline(fs, cmdline_file).WithContext("kernel command line"));
  } else if (env != nullptr) {
    text = env;
  } else {
    LARCH_ASSIGN_OR_RETURN(text, ReadCmdline(fs, "/proc/cmdline").WithContext("kernel command line"));
  }
  boot::Decoded<boot::DeploymentId> d = boot::DeploymentFromCmdline(text);
  if (!d.error.empty()) return Status::InvalidArgument("kernel command line: " + d.error);
  return d.value;
}

}  // namespace larch::deploy
