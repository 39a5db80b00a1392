// File: deploy/uboot_env.cc
#include "deploy/uboot_env.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "deploy/child_process.h"
#include "src/base/bytes.h"
#include "src/base/unique_fd.h"
#include "src/fs/fs.h"

namespace larch::deploy {

namespace {

// fw_setenv writes one small environment: seconds on NOR flash at worst.
constexpr uint32_t kFwSetenvTimeoutSeconds = 60;

// A private file with `text` for fw_setenv -s; removed by the caller.
Result<std::string> WriteScript(const std::string& text) {
  std::error_code ec;
  std::string path = (std::filesystem::temp_directory_path(ec) / "larch-fw-setenv.XXXXXX").string();
  if (ec) path = "/tmp/larch-fw-setenv.XXXXXX";
  std::vector<char> name(path.begin(), path.end());
  name.push_back('\0');
  UniqueFd fd(::mkstemp(name.data()));
  if (!fd.valid()) return Status::FromErrno(errno, "creating a temporary file for fw_setenv");
  path = name.data();
  Status written = fs::DefaultFs()->Write(fd.get(), AsBytes(text));
  if (!written.ok()) {
    ::unlink(path.c_str());
    return written.WithContext("writing " + path);
  }
  return path;
}

}  // namespace

uint32_t UbootTries(uint32_t helper_tries) { return helper_tries + 1; }

std::string UbootHex(uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", n);
  return buf;
}

std::string UbootResetScript(const boot::DeploymentId& id, uint32_t tries) {
  return std::string(kUbootCounterFor) + "=" + boot::DeploymentName(id) + "\n" + kUbootCounterLeft + "=" +
         UbootHex(tries) + "\n";
}

Status ResetUbootCounter(const boot::DeploymentId& id, uint32_t tries, const std::string& env_config) {
  const std::string fw_setenv = FindProgram("fw_setenv");
  if (fw_setenv.empty())
    return Status::NotFound("resetting U-Boot's boot counter: no fw_setenv in $PATH (install libubootenv-tool)");
  LARCH_ASSIGN_OR_RETURN(std::string script, WriteScript(UbootResetScript(id, tries)));
  std::vector<std::string> argv = {fw_setenv};
  if (!env_config.empty()) argv.insert(argv.end(), {"-c", env_config});
  argv.insert(argv.end(), {"-s", script});
  ProgramRun run = RunProgram(argv, CurrentEnvironment(), kFwSetenvTimeoutSeconds);
  ::unlink(script.c_str());
  if (run.ok()) return Status::Ok();
  std::string output = run.output;
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  std::string what = run.timed_out ? "did not finish within " + std::to_string(kFwSetenvTimeoutSeconds) + " s"
                                   : "exited " + std::to_string(run.exit_code);
  return Status::IoError("resetting U-Boot's boot counter: " + fw_setenv + " " + what +
                         (output.empty() ? "" : ": " + output) +
                         (env_config.empty() ? " (configuration /etc/fw_env.config)" : " (configuration " + env_config + ")"));
}

}  // namespace larch::deploy
