// File: deploy/deployment_build.cc
#include "deploy/deployment_build.h"

#include <unistd.h>

#include "repo/checkout.h"
#include "repo/refs.h"
#include "repo/verity_seal.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

constexpr char kStagePrefix[] = ".stage-";

class Builder {
 public:
  Builder(const Sysroot& sysroot, const BuildRequest& request, int deploy_fd)
      : sysroot_(sysroot), fs_(sysroot.fs()), req_(request), deploy_fd_(deploy_fd),
        name_(boot::DeploymentName(request.id)), stage_(kStagePrefix + name_) {}

  Result<EtcMergeResult> Run();
  void Undo();

 private:
  Status Checkout();
  Result<EtcMergeResult> PrepareEtc(int stage_fd);
  Result<EtcMergeResult> MergeFrom(int usr_fd, int stage_fd, bool has_defaults);
  Status Publish();

  const Sysroot& sysroot_;
  fs::Fs& fs_;
  const BuildRequest& req_;
  int deploy_fd_;
  std::string name_, stage_;
  bool wrote_ref_ = false, wrote_origin_ = false, made_boot_files_ = false, published_ = false;
};

Status Builder::Checkout() {
  repo::CheckoutOptions options;
  options.mode = repo::CheckoutMode::kHardlink;
  options.preserve_owner = ::geteuid() == 0;
  options.sync = false;  // Publish() syncs once for everything
  options.progress = req_.progress;
  std::string target = sysroot_.path() + "/ostree/deploy/" + req_.id.os + "/deploy/" + stage_;
  // Every object is checked before it is linked: a hard link shares the
  // inode, so a damaged object would be in this deployment and in every
  // other that links it. Sealed objects cost a constant-time measure
  // against the signed list; unsealed ones no deployment links yet are
  // re-hashed (repo/verity_seal.h): re-hashing the ones a deployment
  // already shares would double the deploy's time and change no file.
  LARCH_RETURN_IF_ERROR(repo::CheckCommitFiles(sysroot_.store(), req_.source->id, 0, /*skip_linked=*/true)
                            .WithContext("refusing to deploy " + req_.source->id.Hex()));
  return repo::CheckoutCommit(sysroot_.store(), req_.source->id, target, options).status();
}

Result<EtcMergeResult> Builder::MergeFrom(int usr_fd, int stage_fd, bool has_defaults) {
  EtcSide fresh{has_defaults ? usr_fd : -1, "etc"};
  if (!req_.merge_from) return MergeEtc(fs_, EtcSide{}, EtcSide{}, fresh, stage_fd, "etc");
  LARCH_ASSIGN_OR_RETURN(UniqueFd old_root, fs_.OpenDirPath(deploy_fd_, boot::DeploymentName(*req_.merge_from)));
  LARCH_ASSIGN_OR_RETURN(UniqueFd old_usr, fs_.OpenDirPath(old_root.get(), "usr"));
  return MergeEtc(fs_, EtcSide{old_usr.get(), "etc"}, EtcSide{old_root.get(), "etc"}, fresh, stage_fd, "etc");
}

Result<EtcMergeResult> Builder::PrepareEtc(int stage_fd) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd usr, fs_.OpenDirPath(stage_fd, "usr"));
  bool has_usr_etc = fs_.Stat(usr.get(), "etc").ok();
  bool has_etc = fs_.Stat(stage_fd, "etc").ok();
  if (has_usr_etc && has_etc)
    return Status::Unsupported("commit " + req_.id.commit + " has both /etc and /usr/etc; it must have one");
  // The defaults live in usr/etc, read-only like the rest of /usr.
  if (has_etc) LARCH_RETURN_IF_ERROR(fs_.Rename(stage_fd, "etc", usr.get(), "etc", fs::RenameMode::kNoReplace));
  return MergeFrom(usr.get(), stage_fd, has_etc || has_usr_etc);
}

Status Builder::Publish() {
  // The tree, its origin and its boot files are durable before its name
  // appears; the name is durable before any boot configuration names it.
  LARCH_RETURN_IF_ERROR(sysroot_.SyncAll());
  LARCH_RETURN_IF_ERROR(fs_.Rename(deploy_fd_, stage_, deploy_fd_, name_, fs::RenameMode::kNoReplace));
  published_ = true;
  return fs_.Fsync(deploy_fd_);
}

Result<EtcMergeResult> Builder::Run() {
  LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs_, deploy_fd_, stage_));  // left by a crash
  wrote_ref_ = true;  // before: a write that fails after its rename still leaves the ref
  LARCH_RETURN_IF_ERROR(repo::WriteRef(sysroot_.store(), DeploymentRefName(req_.id), req_.source->id));
  LARCH_RETURN_IF_ERROR(Checkout());
  LARCH_ASSIGN_OR_RETURN(UniqueFd stage, fs_.OpenDirPath(deploy_fd_, stage_));
  LARCH_ASSIGN_OR_RETURN(EtcMergeResult etc, PrepareEtc(stage.get()));
  wrote_origin_ = true;  // likewise
  LARCH_RETURN_IF_ERROR(WriteOrigin(fs_, deploy_fd_, name_, req_.source->origin));
  LARCH_ASSIGN_OR_RETURN(made_boot_files_, InstallBootFiles(sysroot_, req_.id.os, *req_.kernel, stage.get()));
  LARCH_RETURN_IF_ERROR(Publish());
  return etc;
}

// Best effort: a failure here leaves garbage that cleanup removes, never a
// name the boot configuration uses.
void Builder::Undo() {
  (void)fs::RemoveTree(fs_, deploy_fd_, published_ ? name_ : stage_);
  if (wrote_origin_) (void)fs_.Unlink(deploy_fd_, name_ + kOriginSuffix);
  if (made_boot_files_) {
    Result<UniqueFd> larch = fs_.OpenDirPath(sysroot_.boot_fd(), kBootFilesDir);
    if (larch.ok()) (void)fs::RemoveTree(fs_, larch->get(), req_.kernel->BootDirName(req_.id.os));
  }
  if (wrote_ref_) (void)repo::DeleteRef(sysroot_.store(), DeploymentRefName(req_.id));
}

}  // namespace

std::string DeploymentRefName(const boot::DeploymentId& id) {
  return "deploy/" + id.os + "/" + boot::DeploymentName(id);
}

Result<EtcMergeResult> BuildDeployment(const Sysroot& sysroot, const BuildRequest& request) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, sysroot.OpenDeployDir(request.id.os));
  Builder b(sysroot, request, deploy.get());
  Result<EtcMergeResult> r = b.Run();
  if (!r.ok()) b.Undo();
  return r;
}

}  // namespace larch::deploy
