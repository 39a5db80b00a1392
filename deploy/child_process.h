// File: deploy/child_process.h
//
// Running another program and waiting for it, safely: its own process
// group, stdin /dev/null, cwd "/", none of our descriptors, default signal
// handling, stdout and stderr captured into one bounded buffer, a time
// limit (SIGTERM, then SIGKILL), and whatever it leaves running in its
// group killed when it exits. Install hooks (install_hooks.h) and the boot
// loader's tools (uboot_env.h) run through this. Plain POSIX, not fs::Fs:
// nothing here is a durability sequence for FaultFs to crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace larch::deploy {

// A program keeps at most this much of its output; the rest is read and
// dropped, so a chatty one neither blocks on a full pipe nor fills our memory.
inline constexpr size_t kMaxProgramOutput = 16 * 1024;

struct ProgramRun {
  int exit_code = 0;  // exit status; 128+N when killed by signal N; 127: could not be started
  bool timed_out = false;
  // stdout and stderr interleaved, at most kMaxProgramOutput bytes, then
  // "\n[... truncated]" when there was more; when it could not be started: why.
  std::string output;
  uint64_t millis = 0;  // how long it ran
  bool ok() const { return exit_code == 0 && !timed_out; }
};

// This process's environment, "NAME=value" each (a base for a child's).
std::vector<std::string> CurrentEnvironment();

// The first executable `name` in $PATH (or, when $PATH is unset or empty,
// /usr/sbin:/usr/bin:/sbin:/bin), as an absolute path; "" when there is none.
std::string FindProgram(const std::string& name);

// Runs argv[0] (an absolute path) with `argv` and exactly the environment
// `env` ("NAME=value" each), for at most `timeout_seconds`; when the limit
// passes, its process group gets SIGTERM, and SIGKILL 2 s later.
ProgramRun RunProgram(std::vector<std::string> argv, std::vector<std::string> env, uint32_t timeout_seconds);

}  // namespace larch::deploy
