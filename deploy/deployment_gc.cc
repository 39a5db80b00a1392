// File: deploy/deployment_gc.cc
#include "deploy/deployment_gc.h"

#include <algorithm>
#include <set>

#include "deploy/boot_files.h"
#include "deploy/deployment_build.h"
#include "deploy/origin.h"
#include "repo/refs.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

constexpr char kDeletePrefix[] = ".delete-";

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Collector {
 public:
  Collector(const Sysroot& sysroot, const std::vector<boot::DeploymentId>& kept,
            const std::optional<boot::DeploymentId>& booted)
      : sysroot_(sysroot), fs_(sysroot.fs()) {
    for (const boot::DeploymentId& d : kept) keep_.insert(boot::DeploymentPath(d));
    if (booted) keep_.insert(boot::DeploymentPath(*booted));
  }

  Status Os(const std::string& os);
  Status BootFiles(const std::vector<boot::DeploymentId>& kept);
  GcResult& result() { return result_; }

 private:
  bool Kept(const boot::DeploymentId& id) const { return keep_.contains(boot::DeploymentPath(id)); }
  Status RemoveDeployment(int deploy_fd, const boot::DeploymentId& id);
  Status Entry(int deploy_fd, const std::string& os, const fs::DirEntry& e);
  Status Refs(const std::string& os);

  const Sysroot& sysroot_;
  fs::Fs& fs_;
  std::set<std::string> keep_;
  GcResult result_;
};

Status Collector::RemoveDeployment(int deploy_fd, const boot::DeploymentId& id) {
  std::string doomed = kDeletePrefix + boot::DeploymentName(id);
  LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs_, deploy_fd, doomed));
  LARCH_RETURN_IF_ERROR(fs_.Rename(deploy_fd, boot::DeploymentName(id), deploy_fd, doomed, fs::RenameMode::kNoReplace));
  // The name is gone for good before the tree starts to disappear.
  LARCH_RETURN_IF_ERROR(fs_.Fsync(deploy_fd));
  result_.removed.push_back(id);
  return fs::RemoveTree(fs_, deploy_fd, doomed);
}

Status Collector::Entry(int deploy_fd, const std::string& os, const fs::DirEntry& e) {
  if (StartsWith(e.name, ".")) return fs::RemoveTree(fs_, deploy_fd, e.name);  // interrupted runs
  std::string base = EndsWith(e.name, kOriginSuffix) ? e.name.substr(0, e.name.size() - 7) : e.name;
  std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(os, base);
  if (!id || Kept(*id)) return Status::Ok();  // not ours, or in use
  if (base != e.name) return fs_.Unlink(deploy_fd, e.name);
  return RemoveDeployment(deploy_fd, *id);
}

Status Collector::Refs(const std::string& os) {
  LARCH_ASSIGN_OR_RETURN(auto refs, repo::ListRefs(sysroot_.store()));
  std::string prefix = "deploy/" + os + "/";
  for (const auto& [name, commit] : refs) {
    if (!StartsWith(name, prefix)) continue;
    std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(os, name.substr(prefix.size()));
    if (id && Kept(*id)) continue;
    LARCH_RETURN_IF_ERROR(repo::DeleteRef(sysroot_.store(), name));
  }
  return Status::Ok();
}

Status Collector::Os(const std::string& os) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, sysroot_.OpenDeployDir(os));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs_.ReadDir(deploy.get()));
  // Directories before origins: an origin outlives its tree, never the reverse.
  std::stable_partition(entries.begin(), entries.end(),
                        [](const fs::DirEntry& e) { return !EndsWith(e.name, kOriginSuffix); });
  for (const fs::DirEntry& e : entries) LARCH_RETURN_IF_ERROR(Entry(deploy.get(), os, e));
  return Refs(os);
}

Status Collector::BootFiles(const std::vector<boot::DeploymentId>& kept) {
  std::set<std::string> used;
  for (const boot::DeploymentId& d : kept) {
    LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ObjectId::FromHex(d.commit));
    LARCH_ASSIGN_OR_RETURN(repo::Commit commit, sysroot_.store().ReadCommit(id));
    LARCH_ASSIGN_OR_RETURN(KernelFiles k, FindKernel(sysroot_.store(), commit));
    used.insert(k.BootDirName(d.os));
  }
  Result<UniqueFd> larch = fs_.OpenDirPath(sysroot_.boot_fd(), kBootFilesDir);
  if (!larch.ok()) return larch.status().IsNotFound() ? Status::Ok() : larch.status();
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs_.ReadDir(larch->get()));
  for (const fs::DirEntry& e : entries) {
    if (used.contains(e.name)) continue;
    LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs_, larch->get(), e.name));
    ++result_.boot_dirs_removed;
  }
  return Status::Ok();
}

}  // namespace

Result<GcResult> RemoveUnreferenced(const Sysroot& sysroot, const std::vector<boot::DeploymentId>& kept,
                                    const std::optional<boot::DeploymentId>& booted) {
  Collector c(sysroot, kept, booted);
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> oses, sysroot.ListOses());
  for (const std::string& os : oses) LARCH_RETURN_IF_ERROR(c.Os(os));
  std::vector<boot::DeploymentId> boots = kept;
  if (booted) boots.push_back(*booted);
  LARCH_RETURN_IF_ERROR(c.BootFiles(boots));
  return std::move(c.result());
}

}  // namespace larch::deploy
