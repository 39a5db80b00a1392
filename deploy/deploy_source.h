// File: deploy/deploy_source.h
//
// What `larch admin deploy REVISION` installs, and whether it may. The
// revision decides the origin the deployment follows:
//   remote:ref     that remote and ref; verified against the remote's policy
//   a local ref    that ref, no remote: not verified (development builds,
//                  images assembled on the device; as OSTree allows)
//   a commit id    the origin of the OS's current default deployment, so a
//                  commit of a remote's stream is verified like that stream
//                  (e.g. going back to an older one needs --allow-downgrade)
// Verification is trust::VerifyCommitForInstall, the one check pull, delta
// and bundle apply also go through: signature threshold, ref binding,
// compatibility, version (docs/security.md).
#pragma once

#include <optional>
#include <string>

#include "deploy/origin.h"
#include "deploy/sysroot.h"
#include "repo/objects/commit.h"
#include "repo/trust/trust_state.h"

namespace larch::deploy {

struct DeploySource {
  repo::ObjectId id;
  repo::Commit commit;
  Origin origin;
  std::string version;  // the commit's version metadata, "" when none
};

// kNotFound naming the revision, or the commit and the store it is missing from.
Result<DeploySource> ResolveDeploySource(const Sysroot& sysroot, const std::string& revision,
                                         const std::optional<Origin>& inherited);

// Ok for a local origin; else the remote's policy through
// VerifyCommitForInstall (kVerifyFailed naming the rule).
Status VerifyDeploySource(const Sysroot& sysroot, trust::TrustState& state, const DeploySource& source,
                          bool allow_downgrade);

}  // namespace larch::deploy
