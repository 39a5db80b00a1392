// File: deploy/child_process.cc
//
// The program is fork+exec'ed into its own process group with a pipe for
// its output; we poll that pipe and the program's exit, so a chatty program
// never blocks on a full pipe and a stuck one is stopped at its time limit.
// The program is detected as exited without being reaped (waitid WNOWAIT):
// while the zombie exists its pid, and so its group id, cannot be given to
// another process, and the group kill that ends every run hits only what
// the program left behind.
#include "deploy/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "src/base/result.h"
#include "src/base/unique_fd.h"

extern char** environ;

namespace larch::deploy {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After SIGTERM at the time limit, how long the group has before SIGKILL.
constexpr milliseconds kKillGrace{2000};
// After the program exits, what it left running may still write to the
// pipe: read until the pipe closes or has been quiet this long...
constexpr milliseconds kQuietAfterExit{100};
// ...but no longer than this in all, or a chatty leftover would keep us.
constexpr milliseconds kMaxDrainAfterExit{1000};
// How often the program is checked for exit while its pipe is silent.
// Polling keeps us away from SIGCHLD handlers, which belong to the program
// that links us, not to a library; a 10 ms wake-up costs nothing.
constexpr milliseconds kTick{10};
constexpr std::string_view kTruncated = "\n[... truncated]";

// ---- Starting ----

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// Waits for `pid` and returns its exit code.
int Reap(pid_t pid) {
  int wait_status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &wait_status, 0);
  } while (r < 0 && errno == EINTR);
  // Reaped behind our back (the program ignores SIGCHLD): the status is
  // lost, and a hook whose success we cannot see must not pass.
  if (r != pid) return 255;
  return ExitCode(wait_status);
}

// Moves `fd` above 0..2, so the child's dup2 onto stdin/stdout/stderr never
// overwrites another descriptor it still needs (possible when this program
// runs with a standard descriptor closed).
Status LiftAboveStdio(UniqueFd& fd) {
  if (fd.get() > 2) return Status::Ok();
  UniqueFd lifted(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
  if (!lifted.valid()) return Status::FromErrno(errno, "fcntl");
  fd = std::move(lifted);
  return Status::Ok();
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  LARCH_RETURN_IF_ERROR(LiftAboveStdio(p.read));
  LARCH_RETURN_IF_ERROR(LiftAboveStdio(p.write));
  return p;
}

// Everything the child uses, built before fork: in a program that may have
// other threads, the child may make only async-signal-safe calls until exec
// (no allocation: another thread may have held the heap's lock).
struct ExecPlan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  int max_fd = 0;  // for closing descriptors when close_range is missing
  int stdin_fd = -1;
  int output_fd = -1;
  int error_fd = -1;  // gets errno when exec fails; close-on-exec
};

// Closes every descriptor above 2 except `keep`: the program gets no file or
// socket of ours, whether or not whoever opened it asked for O_CLOEXEC.
void CloseOtherFds(int keep, int max_fd) {
#ifdef SYS_close_range
  if ((keep == 3 || ::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep - 1), 0U) == 0) &&
      ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, 0U) == 0) {
    return;
  }
#endif
  for (int fd = 3; fd < max_fd; ++fd) {
    if (fd != keep) ::close(fd);
  }
}

// A program starts with default signal handling whatever ours is: ignored
// signals and the blocked mask would survive exec (a program run under
// one that ignores SIGPIPE would not die when its reader goes away).
void ResetSignals() {
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL, STOP
}

[[noreturn]] void ReportAndExit(int error_fd) {
  const int err = errno;
  const ssize_t n = ::write(error_fd, &err, sizeof err);
  (void)n;  // nothing left to tell if even this fails
  ::_exit(127);
}

// In the child: only async-signal-safe calls.
[[noreturn]] void ExecChild(const ExecPlan& plan) {
  ::setpgid(0, 0);
  ResetSignals();
  if (::dup2(plan.stdin_fd, 0) < 0 || ::dup2(plan.output_fd, 1) < 0 ||
      ::dup2(plan.output_fd, 2) < 0 || ::chdir("/") != 0) {
    ReportAndExit(plan.error_fd);
  }
  CloseOtherFds(plan.error_fd, plan.max_fd);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  ReportAndExit(plan.error_fd);
}

int MaxFd() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20));
}

struct Child {
  pid_t pid = -1;
  UniqueFd output;  // non-blocking read end of the hook's stdout and stderr
};

// Starts argv[0] (absolute: the child changes to "/" before exec). An error
// says why it could not be started.
Result<Child> Start(std::vector<std::string> argv, std::vector<std::string> env) {
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) return Status::FromErrno(errno, "opening /dev/null");
  LARCH_RETURN_IF_ERROR(LiftAboveStdio(devnull));
  LARCH_ASSIGN_OR_RETURN(Pipe output, MakePipe());
  LARCH_ASSIGN_OR_RETURN(Pipe exec_error, MakePipe());
  // Only our end: the program's end stays blocking, as a program expects.
  if (::fcntl(output.read.get(), F_SETFL, O_NONBLOCK) != 0) return Status::FromErrno(errno, "fcntl");

  ExecPlan plan;
  for (std::string& arg : argv) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& var : env) plan.envp.push_back(var.data());
  plan.envp.push_back(nullptr);
  plan.max_fd = MaxFd();
  plan.stdin_fd = devnull.get();
  plan.output_fd = output.write.get();
  plan.error_fd = exec_error.write.get();

  const pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) ExecChild(plan);
  // As the child does: whichever runs first, the group exists before we
  // might signal it. EACCES once the child has exec'd is fine.
  ::setpgid(pid, pid);
  output.write.Reset();
  exec_error.write.Reset();

  // End of file: exec succeeded and closed the child's end.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    Reap(pid);
    return Status::FromErrno(child_errno, "cannot execute " + argv[0]);
  }
  return Child{pid, std::move(output.read)};
}


// ---- Watching ----

// The output kept (up to kMaxProgramOutput) and whether more was dropped.
class OutputBuffer {
 public:
  void Append(const char* data, size_t n) {
    const size_t keep = std::min(n, kMaxProgramOutput - text_.size());
    text_.append(data, keep);
    truncated_ = truncated_ || keep < n;
  }
  std::string Take() && {
    if (truncated_) text_ += kTruncated;
    return std::move(text_);
  }

 private:
  std::string text_;
  bool truncated_ = false;
};

struct Outcome {
  int exit_code = 0;
  bool timed_out = false;
  std::string output;
};

class Supervisor {
 public:
  Supervisor(const Child& child, uint32_t timeout_seconds)
      : pid_(child.pid), fd_(child.output.get()),
        deadline_(Clock::now() + std::chrono::seconds(timeout_seconds)) {}

  // Waits for the program, reading its output and enforcing the time limit;
  // then kills what it left in its group and reaps it.
  Outcome Run() {
    for (;;) {
      const Clock::time_point now = Clock::now();
      if (!exited_ && HasExited()) {
        exited_ = true;
        exited_at_ = last_output_ = now;
      }
      if (!exited_) {
        EnforceTimeLimit(now);
      } else if (DoneReading(now)) {
        break;
      }
      WaitForOutput(now);
    }
    ::kill(-pid_, SIGKILL);  // leftovers; ESRCH when there are none
    const int exit_code = Reap(pid_);
    return Outcome{exit_code, timed_out_, std::move(output_).Take()};
  }

 private:
  // Leaves the program unreaped (WNOWAIT), keeping its pid and group id ours.
  bool HasExited() const {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return errno != EINTR;  // ECHILD: reaped behind our back; Reap says so
    }
    return info.si_pid == pid_;
  }

  void EnforceTimeLimit(Clock::time_point now) {
    if (!timed_out_ && now >= deadline_) {
      ::kill(-pid_, SIGTERM);
      timed_out_ = true;
      kill_at_ = now + kKillGrace;
    } else if (timed_out_ && now >= kill_at_) {
      ::kill(-pid_, SIGKILL);
      kill_at_ = Clock::time_point::max();
    }
  }

  Clock::time_point DrainEnd() const {
    return std::min(last_output_ + kQuietAfterExit, exited_at_ + kMaxDrainAfterExit);
  }

  bool DoneReading(Clock::time_point now) const { return !pipe_open_ || now >= DrainEnd(); }

  // Sleeps until output arrives or the next check is due.
  void WaitForOutput(Clock::time_point now) {
    milliseconds wait = kTick;
    if (exited_) wait = std::max(milliseconds(0), std::chrono::ceil<milliseconds>(DrainEnd() - now));
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, pipe_open_ ? 1 : 0, static_cast<int>(wait.count())) > 0 && p.revents != 0) {
      ReadOutput();
    }
  }

  // Reads what the pipe holds, a bounded amount at a time so that a flood
  // cannot starve the checks above. Notes when the pipe closes.
  void ReadOutput() {
    char buf[8192];
    for (int i = 0; i < 16; ++i) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) {
        output_.Append(buf, static_cast<size_t>(n));
        last_output_ = Clock::now();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // 0: every writer closed its end; EAGAIN: empty for now.
      if (n == 0 || errno != EAGAIN) pipe_open_ = false;
      return;
    }
  }

  const pid_t pid_;
  const int fd_;
  const Clock::time_point deadline_;
  Clock::time_point kill_at_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool exited_ = false;
  Clock::time_point exited_at_;
  Clock::time_point last_output_;
  bool pipe_open_ = true;
  OutputBuffer output_;
};

}  // namespace

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr && *path != '\0' ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && dir[0] == '/') {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

ProgramRun RunProgram(std::vector<std::string> argv, std::vector<std::string> env, uint32_t timeout_seconds) {
  ProgramRun run;
  const Clock::time_point start = Clock::now();
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    run.exit_code = 127;
    run.output = "no absolute path to a program to run";
    return run;
  }
  Result<Child> child = Start(std::move(argv), std::move(env));
  if (child.ok()) {
    Outcome outcome = Supervisor(*child, timeout_seconds).Run();
    run.exit_code = outcome.exit_code;
    run.timed_out = outcome.timed_out;
    run.output = std::move(outcome.output);
  } else {
    run.exit_code = 127;  // as a shell reports a command it cannot run
    run.output = child.status().message();
  }
  run.millis = static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count());
  return run;
}

}  // namespace larch::deploy
