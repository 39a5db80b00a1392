// File: initramfs/main.cc
//
// larch-prepare-root [--switch|--no-switch] [--cmdline FILE]
//                    [--log=auto|stderr|kmsg] [--keyring DIR] [SYSROOT] [-- INIT-ARGS...]
//
// Run by the initramfs once the physical root is mounted at SYSROOT
// (default /sysroot): chooses the deployment (initramfs/choose.h), records
// the boot try durably (initramfs/state_file.h), checks a verified /usr when
// the initramfs carries a keyring (initramfs/verify_usr.h: a deployment that
// fails is not bootable, so the choice falls back), and mounts the deployment
// as SYSROOT (initramfs/mounts.h). Called from a script, it stops there and
// the initramfs's own switch_root takes over; as PID 1 (or --switch) it
// switches root itself and execs init (initramfs/switch_root.h).
// docs/boot.md describes the whole boot flow.
//
// Exit status: 0 ready (script mode), 1 nothing bootable or the switch
// failed, 2 usage. As PID 1 a failure drops to /bin/sh of the initramfs
// (larch.shell=0: exits, so the kernel panics and, with panic=N, reboots).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>

#include "initramfs/boot_keyring.h"
#include "initramfs/boot_partition.h"
#include "initramfs/bootable.h"
#include "initramfs/choose.h"
#include "initramfs/cmdline.h"
#include "initramfs/log.h"
#include "initramfs/mounts.h"
#include "initramfs/state_file.h"
#include "initramfs/switch_root.h"
#include "initramfs/verify_usr.h"
#include "initramfs/writable.h"

namespace larch::initramfs {
namespace {

constexpr char kUsage[] =
    "usage: larch-prepare-root [--switch|--no-switch] [--cmdline FILE] [--log=auto|stderr|kmsg]\n"
    "                          [--keyring DIR] [SYSROOT] [-- INIT-ARGS...]\n"
    "Mounts the deployment to boot (larch= on the kernel command line, boot-state, boot counting)\n"
    "as SYSROOT (default /sysroot, where the physical root is mounted). Switches root into it when\n"
    "run as PID 1 or with --switch; otherwise returns for the initramfs's own switch_root.\n"
    "With Ed25519 keys (*.pub) in the keyring directory (default /etc/larch/boot-keys), only a\n"
    "deployment whose commit one of them signed, with every /usr file sealed with fs-verity as\n"
    "its signed verity list says, is bootable.\n";

struct Options {
  std::string sysroot = "/sysroot";
  std::string cmdline_file = "/proc/cmdline";
  std::string keyring = kDefaultBootKeyDir;
  bool do_switch = getpid() == 1;
  std::vector<std::string> init_args;
};

int64_t NowMs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  bool sysroot_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.init_args.emplace_back(argv[i]);
    } else if (a == "--switch" || a == "--no-switch") {
      o.do_switch = a == "--switch";
    } else if (a == "--cmdline" && i + 1 < argc) {
      o.cmdline_file = argv[++i];
    } else if (a == "--keyring" && i + 1 < argc) {
      o.keyring = argv[++i];
    } else if (a == "--log=stderr" || a == "--log=kmsg" || a == "--log=auto") {
      SetLogTarget(a == "--log=stderr" ? LogTarget::kStderr : a == "--log=kmsg" ? LogTarget::kKmsg : LogTarget::kAuto);
    } else if (a == "--help" || a == "-h") {
      (void)!write(1, kUsage, sizeof kUsage - 1);
      std::exit(0);
    } else if (!a.empty() && a[0] != '-' && !sysroot_set) {
      o.sysroot = a;
      sysroot_set = true;
    } else {
      return false;
    }
  }
  while (o.sysroot.size() > 1 && o.sysroot.back() == '/') o.sysroot.pop_back();
  return true;
}

// As PID 1 nothing may be mounted yet: /proc for the command line, /dev
// for /dev/kmsg and the console.
void MountBasics() {
  if (access("/proc/self", F_OK) != 0) {
    mkdir("/proc", 0755);
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
  if (access("/dev/kmsg", F_OK) != 0) {
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  }
}

void Print(const std::vector<std::string>& notes, size_t from = 0) {
  for (size_t i = from; i < notes.size(); ++i) Info(notes[i]);
}

std::string WriteState(Writable& writable, int dir, const boot::BootState& state) {
  if (std::string e = writable.Need(); !e.empty()) return e;
  WriteSteps steps;
  return WriteBootState(dir, state, steps);
}

// Verified boot: on when the keyring directory holds any *.pub. Each
// deployment is checked once, however often the choice asks.
struct VerifiedBoot {
  bool on = false;
  std::vector<BootKey> keys;
  std::map<std::string, std::string> verdicts;

  std::string Check(int sysroot, const boot::DeploymentId& id) {
    if (!on) return "";
    const std::string path = boot::DeploymentPath(id);
    auto it = verdicts.find(path);
    if (it != verdicts.end()) return it->second;
    int64_t start = NowMs(CLOCK_MONOTONIC);
    UsrCheckStats stats;
    std::string why = VerifyDeploymentUsr(sysroot, id, keys, &stats);
    int64_t ms = NowMs(CLOCK_MONOTONIC) - start;
    if (why.empty()) {
      Info("verified " + path + "/usr: " + std::to_string(stats.files) + " sealed files, " +
           std::to_string(stats.symlinks) + " symlinks, " + std::to_string(stats.dirs) + " directories in " +
           std::to_string(ms) + " ms (walk " + std::to_string(stats.walk_ms) + " ms, measure " +
           std::to_string(stats.measure_ms) + " ms)");
    } else {
      why = "verified /usr: " + why;
      Problem(path + ": " + why);
    }
    return verdicts[path] = why;
  }
};

VerifiedBoot LoadVerifiedBoot(const std::string& dir) {
  VerifiedBoot v;
  std::string error = LoadBootKeyring(dir, &v.keys, &v.on);
  if (!error.empty()) Problem("boot keyring: " + error);
  if (v.on) Info("verified boot: " + std::to_string(v.keys.size()) + " key(s) in " + dir);
  return v;
}

int Unbootable(const Options& o, const CmdlineOptions& cmd, const std::string& why) {
  Problem("nothing to boot: " + why);
  if (!o.do_switch) return 1;
  if (cmd.shell && access("/bin/sh", X_OK) == 0) {
    Problem("dropping to the initramfs shell (larch.shell=0 reboots instead); exit it to panic and reboot");
    execl("/bin/sh", "sh", static_cast<char*>(nullptr));
  }
  Problem("giving up: init exits, the kernel panics (and reboots with panic=N)");
  return 1;
}

int Run(int argc, char** argv) {
  int64_t start = NowMs(CLOCK_MONOTONIC);
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    (void)!write(2, kUsage, sizeof kUsage - 1);
    return 2;
  }
  if (getpid() == 1) MountBasics();
  std::string error;
  std::optional<std::string> cmdline = ReadProcFile(o.cmdline_file, &error);
  if (!cmdline) Problem("cannot read the kernel command line: " + error);
  CmdlineOptions cmd = ParseCmdlineOptions(cmdline.value_or(""));

  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    Problem("making / a private mount: " + ErrnoText(errno));
  if (std::string e = EnsureMountPoint(o.sysroot); !e.empty()) return Unbootable(o, cmd, e);
  UniqueFd sysroot(open(o.sysroot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!sysroot.valid()) return Unbootable(o, cmd, "the physical root " + o.sysroot + ": " + ErrnoText(errno));

  if (cmd.boot) {
    if (std::string e = MountBootPartition(o.sysroot, *cmd.boot, 10000); !e.empty())
      Problem("the boot partition: " + e + "; the boot-state on it cannot be read");
  }
  LoadedState loaded = LoadBootState(sysroot.get());
  ChooseInput in;
  in.cmdline = boot::DeploymentFromCmdline(cmdline.value_or(""));
  in.state = loaded.state;
  in.state_error = loaded.error;
  in.loader_fallback = cmd.loader_fallback.value_or("");
  in.on_disk = FindDeployments(sysroot.get());
  const std::vector<std::string> inits = cmd.init ? std::vector<std::string>{*cmd.init} : kDefaultInits;
  VerifiedBoot verified = LoadVerifiedBoot(o.keyring);
  std::map<std::string, std::string> init_of;
  // With verified boot, the choice is the first candidate whose /usr
  // verifies; the candidates after it (alternatives, used only if mounting
  // the choice fails) are verified when they are needed, not up front: a
  // cold check costs a read per file.
  std::optional<std::string> first_verified;
  BootableFn bootable = [&](const boot::DeploymentId& id) {
    std::string init;
    const std::string path = boot::DeploymentPath(id);
    std::string why = CheckBootable(sysroot.get(), id, inits, &init);
    init_of[path] = init;
    if (!why.empty() || (first_verified && *first_verified != path)) return why;
    why = verified.Check(sysroot.get(), id);
    if (why.empty() && verified.on) first_verified = path;
    return why;
  };
  Choice choice = Choose(in, bootable);
  Print(choice.notes);
  int64_t chosen = NowMs(CLOCK_MONOTONIC);
  Writable writable(o.sysroot);
  if (choice.write) {
    if (std::string e = WriteState(writable, loaded.dir.get(), *choice.write); !e.empty()) {
      Problem("cannot write the boot-state: " + e);
      in.state_writable = false;
      choice = Choose(in, bootable);
      Print(choice.notes);
    } else {
      const boot::BootState& w = *choice.write;
      Info("boot-state written: status=" + std::string(boot::BootStatusName(w.status)) +
           " tries-left=" + std::to_string(w.tries_left) + (w.reason.empty() ? "" : " reason=" + w.reason));
    }
  }
  if (!choice.boot) return Unbootable(o, cmd, "no bootable deployment under " + o.sysroot + "/ostree/deploy");
  int64_t written = NowMs(CLOCK_MONOTONIC);

  std::vector<boot::DeploymentId> order = {*choice.boot};
  order.insert(order.end(), choice.alternatives.begin(), choice.alternatives.end());
  for (const boot::DeploymentId& id : order) {
    std::string path = boot::DeploymentPath(id);
    std::string e = verified.Check(sysroot.get(), id);  // done already for the choice
    if (!e.empty()) {
      Problem("not booting " + path + ": " + e);
      continue;
    }
    e = MakeMountPoints(sysroot.get(), id, [&] { return writable.Need(); });
    if (e.empty()) e = MountDeployment(o.sysroot, id);
    if (!e.empty()) {
      Problem("mounting " + path + " failed: " + e);
      continue;
    }
    writable.Restore(o.sysroot + "/sysroot");
    const std::string& init = init_of[path];
    Info("booting " + path + " (init " + init + ")");
    int64_t end = NowMs(CLOCK_MONOTONIC);
    Info("done in " + std::to_string(end - start) + " ms (choice " + std::to_string(chosen - start) +
         " ms, boot-state write " + std::to_string(written - chosen) + " ms, mounts " + std::to_string(end - written) +
         " ms; " + std::to_string(LogMillis()) + " ms of it printing messages; " +
         std::to_string(NowMs(CLOCK_BOOTTIME)) + " ms after boot)");
    if (!o.do_switch) return 0;
    return Unbootable(o, cmd, "switching root: " + SwitchRoot(o.sysroot, init, o.init_args));
  }
  writable.Restore(o.sysroot);
  return Unbootable(o, cmd, "no deployment could be mounted");
}

}  // namespace
}  // namespace larch::initramfs

// libsodium calls this on API misuse (never, with the fixed sizes used
// here). Defined here so the static link does not pull in libsodium's
// core.o, whose sodium_init() drags every primitive's implementation
// choice (Argon2, ChaCha20, Salsa20, BLAKE2b, ...) into the helper: over
// 100 KB the 1 MiB budget cannot spare.
extern "C" [[noreturn]] void sodium_misuse(void) { std::abort(); }

// libstdc++'s default terminate handler demangles the exception's type name
// for its message: 40 KB of demangler for a message nobody reads on a
// console that is about to go. Uncaught exceptions (bad_alloc) just abort.
namespace __gnu_cxx {
void __verbose_terminate_handler() { std::abort(); }
}  // namespace __gnu_cxx

int main(int argc, char** argv) { return larch::initramfs::Run(argc, argv); }
