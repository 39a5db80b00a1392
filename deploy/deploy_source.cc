// File: deploy/deploy_source.cc
#include "deploy/deploy_source.h"

#include "repo/refs.h"
#include "repo/trust/install_check.h"
#include "repo/trust/remote_config.h"

namespace larch::deploy {

namespace {

Origin OriginOf(std::string_view revision, const std::optional<Origin>& inherited) {
  while (!revision.empty() && revision.back() == '^') revision.remove_suffix(1);
  if (repo::ObjectId::FromHex(revision).ok()) {
    Origin o = inherited.value_or(Origin{});
    o.pinned = false;
    return o;
  }
  size_t colon = revision.find(':');
  if (colon == std::string_view::npos) return Origin{"", std::string(revision), false};
  return Origin{std::string(revision.substr(0, colon)), std::string(revision.substr(colon + 1)), false};
}

}  // namespace

Result<DeploySource> ResolveDeploySource(const Sysroot& sysroot, const std::string& revision,
                                         const std::optional<Origin>& inherited) {
  const repo::Store& store = sysroot.store();
  DeploySource src;
  LARCH_ASSIGN_OR_RETURN(src.id, repo::ResolveRevision(store, revision));
  Result<repo::Commit> commit = store.ReadCommit(src.id);
  if (!commit.ok() && commit.status().IsNotFound())
    return Status::NotFound("commit " + src.id.Hex() + " is not in the store " + store.path());
  if (!commit.ok()) return commit.status();
  src.commit = std::move(commit).value();
  src.origin = OriginOf(revision, inherited);
  auto version = src.commit.metadata.find(trust::kVersionKey);
  if (version != src.commit.metadata.end()) src.version = version->second;
  return src;
}

Status VerifyDeploySource(const Sysroot& sysroot, trust::TrustState& state, const DeploySource& source,
                          bool allow_downgrade) {
  if (!source.origin.from_remote()) return Status::Ok();
  const repo::Store& store = sysroot.store();
  LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(store, source.origin.remote));
  LARCH_ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::LoadPolicy(remote));
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::CommitMeta> meta, store.ReadCommitMeta(source.id));
  trust::InstallRequest request;
  request.ref = source.origin.ref;
  request.commit_id = source.id;
  request.commit = &source.commit;
  request.meta = meta ? &*meta : nullptr;
  request.allow_downgrade = allow_downgrade;
  return trust::VerifyCommitForInstall(policy, state, request);
}

}  // namespace larch::deploy
