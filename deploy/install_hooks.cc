// File: deploy/install_hooks.cc
//
// Finding and running install hooks. Plain POSIX, not fs::Fs: the hooks
// directory is only read (nothing here is a durability sequence for FaultFs
// to crash), and a hook may be a symlink, which Fs never follows. Each hook
// runs through RunProgram (child_process.h): its own process group, a
// captured output, a time limit.
#include "deploy/install_hooks.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <utility>

#include "deploy/child_process.h"
#include "src/base/unique_fd.h"

namespace larch::deploy {

namespace {

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
  std::vector<std::string> env = CurrentEnvironment();
  env.erase(std::remove_if(env.begin(), env.end(), is_ours), env.end());
  for (const auto& [name, value] : ours) env.push_back(std::string(name) + "=" + std::string(value));
  return env;
}


// ---- Running one hook ----

HookRun RunHook(const std::string& dir, const std::string& name, HookStage stage,
                const std::vector<std::string>& env, uint32_t timeout_seconds) {
  ProgramRun program = RunProgram({dir + "/" + name}, env, timeout_seconds);
  HookRun run;
  run.stage = HookStageName(stage);
  run.hook = name;
  run.timeout_seconds = timeout_seconds;
  run.exit_code = program.exit_code;
  run.timed_out = program.timed_out;
  run.output = std::move(program.output);
  run.millis = program.millis;
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
