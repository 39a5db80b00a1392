// File: tools/larch/cmd_hawkbit.cc
// `larch hawkbit`: the device as a hawkBit DDI client (deploy/hawkbit/,
// docs/hawkbit.md): one poll with --once, else a loop at the server's
// polling interval with back-off while the server cannot be reached, as
// larch-hawkbit.service runs it.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "deploy/hawkbit/ddi_client.h"
#include "tools/larch/admin_cli.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

struct HawkbitArgs {
  AdminArgs admin;
  std::string config = hawkbit::kDefaultConfigPath;
  std::string download_dir;
  bool once = false;
  uint64_t polls = 0;  // 0: forever
};

void HawkbitSay(const std::string& line) {
  std::printf("hawkbit: %s\n", line.c_str());
  std::fflush(stdout);
}

Status RunHawkbit(const HawkbitArgs& a) {
  LARCH_ASSIGN_OR_RETURN(hawkbit::DdiConfig config, hawkbit::LoadDdiConfig(a.config));
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  uint32_t failures = 0;
  const uint64_t polls = a.once ? 1 : a.polls;
  for (uint64_t n = 1;; ++n) {
    // The running deployment is looked up each time: it does not change
    // while this runs, but a test or a chroot may point elsewhere.
    LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
    // The token file is read at each poll: a rotated token takes effect.
    LARCH_ASSIGN_OR_RETURN(auto http, hawkbit::DdiHttp::Create(config));
    hawkbit::DdiClient client(*sysroot, config, std::move(http), {booted, a.download_dir, HawkbitSay});
    Result<hawkbit::PollOutcome> r = client.PollOnce();
    uint32_t delay = 0;
    if (r.ok()) {
      failures = 0;
      if (r->rebooting) {
        if (r->upgrade) LARCH_RETURN_IF_ERROR(deploy::PreRebootHooks(*sysroot, *r->upgrade));
        HawkbitSay("rebooting: " + deploy::RebootCommand());
        return deploy::Reboot();
      }
      delay = r->poll_seconds;
    } else {
      ++failures;
      if (polls != 0 && n >= polls) return r.status();
      delay = hawkbit::RetryDelay(config, failures);
      std::fprintf(stderr, "larch hawkbit: %s (retrying in %u s)\n", r.status().message().c_str(), delay);
    }
    if (polls != 0 && n >= polls) return Status::Ok();
    ::sleep(delay);
  }
}

}  // namespace

Command RegisterHawkbit(CLI::App& parent, const GlobalOptions&) {
  auto a = std::make_shared<HawkbitArgs>();
  CLI::App* app = parent.add_subcommand(
      "hawkbit", "Take updates from an Eclipse hawkBit server (DDI): poll, install, report (docs/hawkbit.md)");
  AddAdminOptions(app, a->admin);
  app->add_option("-c,--config", a->config, "Client configuration (default /etc/larch/hawkbit.conf)")
      ->transform(AsAbsolutePath());
  app->add_flag("--once", a->once, "Poll once and exit (non-zero when the server could not be polled)");
  AddCountOption(app, "--polls", a->polls, kMaxCount, "Stop after N polls (default: run until stopped)");
  app->add_option("--download-dir", a->download_dir, "Where artifacts are downloaded (default SYSROOT/ostree/hawkbit)")
      ->transform(AsAbsolutePath());
  return {app, [a]() -> Status { return RunHawkbit(*a); }};
}

}  // namespace larch::cli
