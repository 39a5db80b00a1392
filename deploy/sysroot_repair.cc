// File: deploy/sysroot_repair.cc
#include "deploy/sysroot_repair.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include "deploy/boot_config.h"
#include "deploy/origin.h"
#include "repo/reachability.h"
#include "repo/tree_lookup.h"
#include "repo/trust/remote_config.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

// Where a deployment's path of the commit's tree is: deploy moved /etc to
// usr/etc (deployment_build.cc); the rest is where the tree has it.
std::string DeploymentRelPath(const std::string& tree_path) {
  std::string rel = tree_path.substr(tree_path.find_first_not_of('/'));
  if (rel.rfind("etc/", 0) == 0) rel = "usr/" + rel;
  return rel;
}

struct Use {
  boot::DeploymentId deployment;
  std::string path;  // in the commit's tree, "/usr/bin/app"
};

class Repair {
 public:
  Repair(const Sysroot& sysroot, SysrootFsckResult& result) : sysroot_(sysroot), store_(sysroot.store()), r_(result) {}

  // Which deployments use each damaged file object, its size, and the
  // digests their commits' lists give.
  Status FindUses(const std::vector<boot::DeploymentId>& deployments, const std::set<repo::ObjectId>& damaged) {
    for (const boot::DeploymentId& d : deployments) {
      LARCH_ASSIGN_OR_RETURN(repo::ObjectId commit_id, repo::ObjectId::FromHex(d.commit));
      LARCH_ASSIGN_OR_RETURN(repo::Commit commit, store_.ReadCommit(commit_id));
      LARCH_ASSIGN_OR_RETURN(repo::VerityDigests digests, repo::CommitVerityDigests(store_, commit_id));
      digests_.merge(digests);
      LARCH_RETURN_IF_ERROR(repo::WalkCommitTree(store_, commit, [&](const repo::ObjectKey& key, const std::string& path) {
        if (key.type == repo::ObjectType::kFile && damaged.contains(key.id)) uses_[key.id].push_back({d, path});
        return true;
      }));
      for (auto& [id, uses] : uses_) {
        if (sizes_.contains(id)) continue;
        LARCH_ASSIGN_OR_RETURN(repo::TreeNode node, repo::LookupPath(store_, commit, uses.front().path));
        if (node.file) sizes_[id] = node.file->size;
      }
    }
    return Status::Ok();
  }

  // The inode each damaged object has now: the one to relink away from.
  Status RememberInodes() {
    fs::Fs& fs = store_.fs();
    for (const auto& [id, size] : sizes_) {
      LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(store_.ObjectDirFd(id), repo::Store::ObjectFileName({id, repo::ObjectType::kFile})));
      old_inodes_[id] = {st.st_dev, st.st_ino};
    }
    return Status::Ok();
  }

  Result<std::string> RemoteName(const std::vector<boot::DeploymentId>& deployments, const std::string& asked) {
    if (!asked.empty()) return asked;
    for (const boot::DeploymentId& d : deployments) {
      LARCH_ASSIGN_OR_RETURN(UniqueFd deploy_fd, sysroot_.OpenDeployDir(d.os));
      Result<Origin> origin = ReadOrigin(sysroot_.fs(), deploy_fd.get(), boot::DeploymentName(d));
      if (origin.ok() && origin->from_remote()) return origin->remote;
    }
    return Status::InvalidArgument("no deployment was pulled from a remote; name one with --remote");
  }

  // Every deployment path still linking a damaged inode gets the good one.
  Status Relink() {
    fs::Fs& fs = sysroot_.fs();
    for (const repo::ObjectId& id : r_.fetched.replaced) {
      const std::string object = repo::Store::ObjectFileName({id, repo::ObjectType::kFile});
      for (const Use& use : uses_[id]) {
        LARCH_ASSIGN_OR_RETURN(UniqueFd deploy_fd, sysroot_.OpenDeployDir(use.deployment.os));
        std::string rel = boot::DeploymentName(use.deployment) + "/" + DeploymentRelPath(use.path);
        size_t slash = rel.rfind('/');
        LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(deploy_fd.get(), rel.substr(0, slash)));
        const std::string name = rel.substr(slash + 1);
        Result<struct stat> st = fs.Stat(dir.get(), name);
        if (!st.ok() || std::pair{st->st_dev, st->st_ino} != old_inodes_[id]) continue;  // a copy, or not there
        const std::string tmp = fs::TempName("." + name + ".repair-");
        LARCH_RETURN_IF_ERROR(fs.Link(store_.ObjectDirFd(id), object, dir.get(), tmp));
        Status s = fs.Rename(dir.get(), tmp, dir.get(), name, fs::RenameMode::kReplace);
        if (!s.ok()) {
          (void)fs.Unlink(dir.get(), tmp);
          return s;
        }
        r_.relinked.push_back(boot::DeploymentPath(use.deployment) + use.path);
      }
    }
    return sysroot_.SyncAll();
  }

  const std::map<repo::ObjectId, uint64_t>& sizes() const { return sizes_; }
  const repo::VerityDigests& digests() const { return digests_; }

 private:
  const Sysroot& sysroot_;
  repo::Store& store_;
  SysrootFsckResult& r_;
  std::map<repo::ObjectId, std::vector<Use>> uses_;
  std::map<repo::ObjectId, uint64_t> sizes_;
  std::map<repo::ObjectId, std::pair<dev_t, ino_t>> old_inodes_;
  repo::VerityDigests digests_;
};

}  // namespace

Result<SysrootFsckResult> FsckSysroot(const Sysroot& sysroot, const SysrootFsckOptions& options) {
  SysrootFsckResult result;
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  repo::Store& store = sysroot.store();
  LARCH_ASSIGN_OR_RETURN(result.before, repo::Fsck(store, repo::FsckOptions{}));
  if (!options.repair || result.before.ok()) return result;

  std::set<repo::ObjectId> damaged;
  for (const repo::ObjectKey& key : result.before.bad_objects) {
    if (key.type == repo::ObjectType::kFile) {
      damaged.insert(key.id);
    } else {
      result.unrepairable.push_back(repo::Store::ObjectRelPath(key) + ": a metadata object (pull its commit again)");
    }
  }
  LARCH_ASSIGN_OR_RETURN(BootConfig config, ReadBootConfig(sysroot));
  std::vector<boot::DeploymentId> deployments;
  if (config.state) deployments = config.state->deployments;
  Repair repair(sysroot, result);
  LARCH_RETURN_IF_ERROR(repair.FindUses(deployments, damaged));
  for (const repo::ObjectId& id : damaged) {
    if (!repair.sizes().contains(id))
      result.unrepairable.push_back(repo::Store::ObjectRelPath({id, repo::ObjectType::kFile}) +
                                    ": no deployment uses it (larch prune removes it once nothing does)");
  }
  if (!repair.sizes().empty()) {
    LARCH_ASSIGN_OR_RETURN(result.remote, repair.RemoteName(deployments, options.remote));
    LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(store, result.remote));
    LARCH_RETURN_IF_ERROR(repair.RememberInodes());
    LARCH_ASSIGN_OR_RETURN(result.fetched, pull::RepairFileObjects(store, remote, repair.sizes(), repair.digests(), options.fetch));
    LARCH_RETURN_IF_ERROR(repair.Relink());
  }
  result.repaired = true;
  LARCH_ASSIGN_OR_RETURN(result.after, repo::Fsck(store, repo::FsckOptions{}));
  return result;
}

}  // namespace larch::deploy
