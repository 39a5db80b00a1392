// File: deploy/status.cc
#include "deploy/status.h"

#include "deploy/boot_config.h"
#include "deploy/sysroot_config.h"
#include "deploy/deployment_list.h"

namespace larch::deploy {

Result<SysrootStatus> GatherStatus(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted) {
  SysrootStatus s;
  s.booted = booted;
  LARCH_ASSIGN_OR_RETURN(BootConfig config, ReadBootConfig(sysroot));
  s.boot = config.state;
  if (!config.state) return s;
  const DeploymentList& list = config.state->deployments;
  Roles roles = RolesOf(list, booted);
  s.booted_configured = roles.booted.has_value();
  for (size_t i = 0; i < list.size(); ++i) {
    DeploymentStatus& d = s.deployments.emplace_back();
    d.index = i;
    Result<DeploymentInfo> info = DescribeDeployment(sysroot, list[i]);
    if (info.ok()) {
      d.info = std::move(info).value();
    } else {
      d.info.id = list[i];
      d.error = info.status().message();
    }
    d.is_default = i == 0;
    d.booted = roles.booted == i;
    d.pending = roles.pending == i;
    d.rollback = roles.rollback == i;
  }
  LARCH_ASSIGN_OR_RETURN(SysrootConfig sysroot_config, sysroot.ReadConfig());
  if (sysroot_config.update_window) {
    s.update_window = sysroot_config.update_window;
    s.next_window = NextWindowStart(*s.update_window, UpdaterNow());
  }
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> oses, sysroot.ListOses());
  for (const std::string& os : oses) {
    LARCH_ASSIGN_OR_RETURN(std::optional<UpdateOffer> offer, GetUpdateOffer(state->database(), os));
    if (offer) s.offers.push_back(*offer);
  }
  return s;
}

}  // namespace larch::deploy
