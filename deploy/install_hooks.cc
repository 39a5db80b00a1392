// File: deploy/install_hooks.cc
//
// Finding and running install hooks. Plain POSIX, not fs::Fs: the hooks
// directory is only read (nothing here is a durability sequence for FaultFs
// to crash), and a hook may be a symlink, which Fs never follows.
//
// Each hook is fork+exec'ed into its own process group with a pipe for its
// output; we poll that pipe and the hook's exit, so a chatty hook never
// blocks on a full pipe and a stuck one is stopped at its time limit. The
// hook is detected as exited without being reaped (waitid WNOWAIT): while the
// zombie exists its pid, and so its group id, cannot be given to another
// process, and the group kill that ends every run hits only what the hook
// left behind.
#include "deploy/install_hooks.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <utility>

#include "src/base/unique_fd.h"

extern char** environ;

namespace larch::deploy {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After SIGTERM at the time limit, how long the group has before SIGKILL.
constexpr milliseconds kKillGrace{2000};
// After the hook exits, what it left running may still write to the pipe:
// read until the pipe closes or has been quiet this long...
constexpr milliseconds kQuietAfterExit{100};
// ...but no longer than this in all, or a chatty leftover would keep us.
constexpr milliseconds kMaxDrainAfterExit{1000};
// How often a hook is checked for exit while its pipe is silent. Polling
// keeps us away from SIGCHLD handlers, which belong to the program, not to a
// library; hooks are few and a 10 ms wake-up costs nothing.
constexpr milliseconds kTick{10};
constexpr std::string_view kTruncated = "\n[... truncated]";
constexpr size_t kMaxDescribedOutput = 200;

// ---- Finding the hooks ----

bool IsHookName(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.back() != '~';
}

// Follows symlinks (a hook may link to a script shared by several stages);
// a dangling one is no hook.
bool IsHook(int dir_fd, const char* name) {
  if (!IsHookName(name)) return false;
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, 0) != 0 || !S_ISREG(st.st_mode)) return false;
  return ::faccessat(dir_fd, name, X_OK, AT_EACCESS) == 0;
}

struct CloseDir {
  void operator()(DIR* d) const { ::closedir(d); }
};

// The hooks in `dir` in bytewise name order (std::string compares as
// unsigned char); none when `dir` does not exist.
Result<std::vector<std::string>> ListHooks(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::vector<std::string>();
    return Status::FromErrno(errno, "opening " + dir);
  }
  DIR* raw = ::fdopendir(fd.get());
  if (raw == nullptr) return Status::FromErrno(errno, "reading " + dir);
  const int dir_fd = fd.Release();  // closedir closes it
  std::unique_ptr<DIR, CloseDir> d(raw);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d.get())) {
    if (IsHook(dir_fd, e->d_name)) names.emplace_back(e->d_name);
    errno = 0;  // IsHook's failed calls are not readdir's
  }
  if (errno != 0) return Status::FromErrno(errno, "reading " + dir);
  std::sort(names.begin(), names.end());
  return names;
}

// The caller's environment with ours added; a variable of ours already there
// is replaced, so a hook never sees a stale LARCH_TO_VERSION.
std::vector<std::string> HookEnvironment(HookStage stage, const HookContext& ctx) {
  const std::pair<std::string_view, std::string_view> ours[] = {
      {"LARCH_HOOK_STAGE", HookStageName(stage)}, {"LARCH_OS", ctx.os},
      {"LARCH_FROM_VERSION", ctx.from_version},   {"LARCH_TO_VERSION", ctx.to_version},
      {"LARCH_FROM_COMMIT", ctx.from_commit},     {"LARCH_TO_COMMIT", ctx.to_commit},
      {"LARCH_SYSROOT", ctx.sysroot},
  };
  auto is_ours = [&](std::string_view var) {
    return std::any_of(std::begin(ours), std::end(ours), [&](const auto& kv) {
      return var.size() > kv.first.size() && var.starts_with(kv.first) && var[kv.first.size()] == '=';
    });
  };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!is_ours(*e)) env.emplace_back(*e);
  }
  for (const auto& [name, value] : ours) env.push_back(std::string(name) + "=" + std::string(value));
  return env;
}

// ---- Starting one hook ----

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

// Closes every descriptor above 2 except `keep`: the hook gets no file or
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

// A hook starts with default signal handling whatever ours is: ignored
// signals and the blocked mask would survive exec (a hook run under a
// program that ignores SIGPIPE would not die when its reader goes away).
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

// Starts the executable at `path` (absolute: the child changes to "/" before
// exec). An error says why it could not be started.
Result<Child> Start(std::string path, std::vector<std::string> env) {
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) return Status::FromErrno(errno, "opening /dev/null");
  LARCH_RETURN_IF_ERROR(LiftAboveStdio(devnull));
  LARCH_ASSIGN_OR_RETURN(Pipe output, MakePipe());
  LARCH_ASSIGN_OR_RETURN(Pipe exec_error, MakePipe());
  // Only our end: the hook's end stays blocking, as a program expects.
  if (::fcntl(output.read.get(), F_SETFL, O_NONBLOCK) != 0) return Status::FromErrno(errno, "fcntl");

  ExecPlan plan;
  plan.argv = {path.data(), nullptr};
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
    return Status::FromErrno(child_errno, "cannot execute " + path);
  }
  return Child{pid, std::move(output.read)};
}

// ---- Watching one hook ----

// The output kept (up to kMaxHookOutput) and whether more was dropped.
class OutputBuffer {
 public:
  void Append(const char* data, size_t n) {
    const size_t keep = std::min(n, kMaxHookOutput - text_.size());
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

  // Waits for the hook, reading its output and enforcing the time limit;
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
  // Leaves the hook unreaped (WNOWAIT), keeping its pid and group id ours.
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

HookRun RunHook(const std::string& dir, const std::string& name, HookStage stage,
                const std::vector<std::string>& env, uint32_t timeout_seconds) {
  HookRun run;
  run.stage = HookStageName(stage);
  run.hook = name;
  run.timeout_seconds = timeout_seconds;
  const Clock::time_point start = Clock::now();
  Result<Child> child = Start(dir + "/" + name, env);
  if (child.ok()) {
    Outcome outcome = Supervisor(*child, timeout_seconds).Run();
    run.exit_code = outcome.exit_code;
    run.timed_out = outcome.timed_out;
    run.output = std::move(outcome.output);
  } else {
    run.exit_code = 127;  // as a shell reports a command it cannot run
    run.output = child.status().message();
  }
  run.millis = static_cast<uint64_t>(
      std::chrono::duration_cast<milliseconds>(Clock::now() - start).count());
  return run;
}

// ---- Wording a failure ----

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\v\f";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// At most kMaxDescribedOutput bytes, cut at a UTF-8 character boundary, with
// control characters blanked: the line goes into logs and the history.
std::string Printable(std::string_view line) {
  size_t n = std::min(line.size(), kMaxDescribedOutput);
  while (n > 0 && n < line.size() && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
  std::string out(Trim(line.substr(0, n)));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// The first line of `output` that has text, trimmed.
std::string FirstLine(std::string_view output) {
  while (!output.empty()) {
    const size_t end = std::min(output.find('\n'), output.size());
    const std::string_view line = Trim(output.substr(0, end));
    if (!line.empty()) return Printable(line);
    output.remove_prefix(std::min(end + 1, output.size()));
  }
  return "";
}

}  // namespace

std::string_view HookStageName(HookStage stage) {
  switch (stage) {
    case HookStage::kCheck: return "check";
    case HookStage::kPreDeploy: return "pre-deploy";
    case HookStage::kPostDeploy: return "post-deploy";
    case HookStage::kPreReboot: return "pre-reboot";
    case HookStage::kBootOk: return "boot-ok";
    case HookStage::kFellBack: return "fell-back";
  }
  return "unknown";
}

Result<std::vector<HookRun>> RunHooks(const std::string& etc_dir, HookStage stage,
                                      const HookContext& ctx, const HookOptions& options) {
  if (etc_dir.empty()) return Status::InvalidArgument("install hooks: no etc directory");
  // Absolute, because the hook is exec'ed after the child changed to "/".
  std::error_code ec;
  const std::filesystem::path etc = std::filesystem::absolute(etc_dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "resolving " + etc_dir);
  const std::string dir = etc.string() + "/larch/hooks.d/" + std::string(HookStageName(stage));
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> hooks, ListHooks(dir));
  const std::vector<std::string> env = HookEnvironment(stage, ctx);
  std::vector<HookRun> runs;
  for (const std::string& name : hooks) {
    runs.push_back(RunHook(dir, name, stage, env, options.timeout_seconds));
    if (!runs.back().ok()) break;  // the caller decides what a failure means
  }
  return runs;
}

std::string DescribeHookFailure(const HookRun& run) {
  std::string text = "hook " + run.stage + "/" + run.hook;
  if (run.timed_out) {
    // 0: a run read back from a record that does not keep the limit.
    if (run.timeout_seconds == 0) return text + " did not finish in time (stopped)";
    return text + " did not finish within " + std::to_string(run.timeout_seconds) + " s (stopped)";
  }
  text += " exited " + std::to_string(run.exit_code);
  const std::string line = FirstLine(run.output);
  if (!line.empty()) text += ": " + line;
  return text;
}

}  // namespace larch::deploy
