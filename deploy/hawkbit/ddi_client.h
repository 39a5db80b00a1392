// File: deploy/hawkbit/ddi_client.h
//
// The device side of hawkBit's DDI (docs/hawkbit.md): one poll of the
// controller resource, and what it asks for. hawkBit says *what* to install
// and hears how it went; it is never trusted for content: the release comes
// as a Larch bundle (artifact) or from the device's own remote (a pointer
// artifact naming remote, ref and commit), and goes through the same
// signature, compatible-id and version checks as `larch admin upgrade`.
//
// One poll:
//   1. settle actions waiting for a reboot: the first boot recorded after
//      the deploy (boot_outcomes) decides: good on the new deployment is
//      closed/success, a fallback is closed/failure with the reason;
//   2. GET the controller base (polling interval, links);
//   3. send closing feedback the server has not taken yet;
//   4. PUT configData when the server asks for the attributes;
//   5. cancelAction: cancel an action not yet deployed (closed/success),
//      reject one already deployed;
//   6. deploymentBase: download (resumable; size and SHA-256 from the
//      action), verify and fetch the release into the store, report
//      downloaded; deploy unless the update is skipped or the maintenance
//      window is closed; record the action, report, reboot.
// Every step's state is in the state database before its feedback is sent
// (action_state.h), so a crash or power cut at any point repeats at most a
// feedback message, never an install.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deploy/hawkbit/ddi_config.h"
#include "deploy/hawkbit/ddi_http.h"
#include "deploy/hawkbit/ddi_messages.h"
#include "deploy/sysroot.h"
#include "deploy/upgrade.h"
#include "src/bootstate/boot_state.h"

namespace larch::hawkbit {

struct ClientOptions {
  std::optional<boot::DeploymentId> booted;  // the running deployment
  std::string download_dir;                  // default <sysroot>/ostree/hawkbit
  // One line per thing the client did (the CLI prints them).
  std::function<void(const std::string&)> log;
};

struct PollOutcome {
  uint32_t poll_seconds = 0;  // the server's polling interval
  bool rebooting = false;     // a deploy asked for a reboot (config reboot=yes)
  // The upgrade that deployed, when one did (its pre-reboot hooks run
  // before the reboot: deploy::PreRebootHooks).
  std::optional<deploy::UpgradeResult> upgrade;
};

class DdiClient {
 public:
  DdiClient(const deploy::Sysroot& sysroot, DdiConfig config, std::unique_ptr<DdiHttp> http, ClientOptions options);
  ~DdiClient();

  // One poll (above). An error means the server could not be reached or
  // answered nonsense; what the device itself refused is reported to the
  // server as closed/failure and is not an error here.
  Result<PollOutcome> PollOnce();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The delay before poll number `failures` + 1 after that many failed polls
// in a row: retry-interval doubled per failure, at most retry-max.
uint32_t RetryDelay(const DdiConfig& config, uint32_t failures);

}  // namespace larch::hawkbit
