// File: deploy/deploy.cc
#include "deploy/deploy.h"

#include <algorithm>
#include <set>

#include "deploy/boot_config.h"
#include "deploy/boot_files.h"
#include "deploy/deploy_history.h"
#include "deploy/deploy_source.h"
#include "deploy/deployment_build.h"
#include "deploy/deployment_gc.h"
#include "deploy/deployment_info.h"
#include "deploy/deployment_list.h"
#include "deploy/free_space.h"

namespace larch::deploy {

namespace {

// The deployment whose /etc the new one inherits: the booted one when it
// runs this OS, else the OS's current default.
std::optional<boot::DeploymentId> MergeSource(const DeploymentList& list, const std::string& os,
                                              const std::optional<boot::DeploymentId>& booted) {
  if (booted && booted->os == os && std::find(list.begin(), list.end(), *booted) != list.end()) return booted;
  for (const boot::DeploymentId& d : list)
    if (d.os == os) return d;
  return std::nullopt;
}

std::string StripAffixes(std::string name) {
  for (std::string_view prefix : {".stage-", ".delete-"})
    if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  if (name.size() > 7 && name.compare(name.size() - 7, 7, kOriginSuffix) == 0) name.resize(name.size() - 7);
  return name;
}

// One above every serial of this commit in use, leftovers included, so a
// new deployment never takes the name of a half-removed one.
Result<uint32_t> NextSerial(const Sysroot& sysroot, const std::string& os, const std::string& commit) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, sysroot.OpenDeployDir(os));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, sysroot.fs().ReadDir(deploy.get()));
  uint32_t next = 0;
  for (const fs::DirEntry& e : entries) {
    std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(os, StripAffixes(e.name));
    if (id && id->commit == commit) next = std::max(next, id->serial + 1);
  }
  if (next > boot::kMaxSerial) return Status::Unsupported("commit " + commit + " has used every deployment serial");
  return next;
}

Result<std::set<std::string>> PinnedPaths(const Sysroot& sysroot, const DeploymentList& list) {
  std::set<std::string> pinned;
  for (const boot::DeploymentId& d : list) {
    LARCH_ASSIGN_OR_RETURN(DeploymentInfo info, DescribeDeployment(sysroot, d));
    if (info.origin.pinned) pinned.insert(boot::DeploymentPath(d));
  }
  return pinned;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

class Deployer {
 public:
  Deployer(const Sysroot& sysroot, const DeployOptions& options) : sysroot_(sysroot), options_(options) {}
  Result<DeployResult> Run();

 private:
  Status Prepare();
  Status Check();
  Status Build();
  Status Switch();
  // Records a refused or failed attempt, and passes the error on.
  Status Failed(const Status& s);

  const Sysroot& sysroot_;
  const DeployOptions& options_;
  std::string os_;
  BootConfig current_;
  SysrootConfig config_;
  DeploymentList list_;
  std::unique_ptr<trust::TrustState> state_;
  DeploySource source_;
  KernelFiles kernel_;
  DeployResult result_;
};

Status Deployer::Prepare() {
  LARCH_ASSIGN_OR_RETURN(os_, ChooseOs(sysroot_, options_.os));
  LARCH_ASSIGN_OR_RETURN(current_, ReadBootConfig(sysroot_));
  LARCH_ASSIGN_OR_RETURN(config_, sysroot_.ReadConfig());
  if (current_.state) list_ = current_.state->deployments;
  result_.merged_from = MergeSource(list_, os_, options_.booted);
  std::optional<Origin> inherited;
  if (result_.merged_from) {
    LARCH_ASSIGN_OR_RETURN(DeploymentInfo from, DescribeDeployment(sysroot_, *result_.merged_from));
    inherited = from.origin;
  }
  LARCH_ASSIGN_OR_RETURN(source_, ResolveDeploySource(sysroot_, options_.revision, inherited));
  LARCH_ASSIGN_OR_RETURN(state_, sysroot_.OpenState());
  return Status::Ok();
}

Status Deployer::Check() {
  LARCH_RETURN_IF_ERROR(VerifyDeploySource(sysroot_, *state_, source_, options_.allow_downgrade));
  LARCH_ASSIGN_OR_RETURN(kernel_, FindKernel(sysroot_.store(), source_.commit));
  LARCH_ASSIGN_OR_RETURN(uint64_t tree_bytes, EstimateDeploymentBytes(sysroot_.store(), source_.commit));
  LARCH_ASSIGN_OR_RETURN(uint64_t boot_bytes, BootFilesCost(sysroot_, os_, kernel_));
  return CheckFreeSpace(sysroot_, config_, tree_bytes + boot_bytes);
}

Status Deployer::Build() {
  LARCH_ASSIGN_OR_RETURN(uint32_t serial, NextSerial(sysroot_, os_, source_.id.Hex()));
  result_.deployment = boot::DeploymentId{os_, source_.id.Hex(), serial};
  BuildRequest request{result_.deployment, &source_, &kernel_, result_.merged_from, options_.progress};
  LARCH_ASSIGN_OR_RETURN(EtcMergeResult etc, BuildDeployment(sysroot_, request));
  result_.etc_conflicts = std::move(etc.conflicts);
  return Status::Ok();
}

Status Deployer::Switch() {
  LARCH_ASSIGN_OR_RETURN(std::set<std::string> pinned, PinnedPaths(sysroot_, list_));
  DeploymentList next = ListAfterDeploy(list_, result_.deployment, options_.booted, pinned);
  if (next.size() > boot::kMaxDeployments)
    return Status::Unsupported("too many pinned deployments (at most 16 in all); unpin some first");
  boot::BootState state = StateForList(current_.state, next, options_.tries.value_or(config_.boot_tries));
  Status s = SwapBootConfig(sysroot_, current_, state);
  if (!s.ok()) {
    // Not in force: the new deployment is garbage now; take it away again.
    (void)RemoveUnreferenced(sysroot_, list_, options_.booted);
    return s;
  }
  for (const boot::DeploymentId& d : list_)
    if (std::find(next.begin(), next.end(), d) == next.end()) result_.removed.push_back(d);
  list_ = std::move(next);
  return Status::Ok();
}

Status Deployer::Failed(const Status& s) {
  if (!state_) return s;
  DeployEvent e = MakeEvent(sysroot_, options_.action, list_.empty() ? std::nullopt : std::optional(list_[0]), std::nullopt);
  e.os = os_;
  e.to_version = source_.version;
  e.origin = source_.origin.Refspec();
  e.outcome = s.code() == StatusCode::kVerifyFailed ? "refused" : "failed";
  e.detail = "commit " + source_.id.Hex() + ": " + s.message();
  (void)RecordDeployEvent(state_->database(), e);
  return s;
}

Result<DeployResult> Deployer::Run() {
  LARCH_RETURN_IF_ERROR(Prepare());
  DeploymentList before = list_;
  Status s = Check();
  if (s.ok()) s = Build();
  if (s.ok()) s = Switch();
  if (!s.ok()) return Failed(s);
  result_.version = source_.version;
  result_.origin = source_.origin;
  // Already out of the configuration: a failure here only delays cleanup.
  Status gc = RemoveUnreferenced(sysroot_, list_, options_.booted).status();
  DeployEvent e = MakeEvent(sysroot_, options_.action, before.empty() ? std::nullopt : std::optional(before[0]),
                            result_.deployment);
  e.origin = source_.origin.Refspec();
  if (!result_.etc_conflicts.empty()) e.detail = "/etc conflicts (new defaults saved as *.larch-new): " + Joined(result_.etc_conflicts);
  if (!gc.ok()) {
    result_.cleanup_error = gc.message();
    e.detail += (e.detail.empty() ? "" : "; ") + std::string("cleanup failed: ") + gc.message();
  }
  LARCH_RETURN_IF_ERROR(RecordDeployEvent(state_->database(), e).WithContext("deployed, but recording the history failed"));
  return result_;
}

}  // namespace

Result<std::string> ChooseOs(const Sysroot& sysroot, const std::string& os) {
  if (!os.empty()) {
    LARCH_RETURN_IF_ERROR(sysroot.OpenDeployDir(os).status());
    return os;
  }
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> oses, sysroot.ListOses());
  if (oses.empty()) return Status::NotFound("no OS in " + sysroot.path() + " yet (see larch admin os-init)");
  if (oses.size() > 1) return Status::InvalidArgument(sysroot.path() + " has several OSes; choose one with --os");
  return oses[0];
}

Result<DeployResult> Deploy(const Sysroot& sysroot, const DeployOptions& options) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  Deployer d(sysroot, options);
  return d.Run();
}

}  // namespace larch::deploy
