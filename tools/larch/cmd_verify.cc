// File: tools/larch/cmd_verify.cc
// `larch verify REV (--remote NAME | --keyring DIR [--threshold N])`: lists
// each signature of a commit and whether it counts; exit 5 when the
// threshold is not met.
#include <cstdio>

#include "repo/objects/limits.h"
#include "repo/refs.h"
#include "repo/trust/remote_config.h"
#include "repo/trust/signing.h"
#include "src/base/hex.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

struct VerifyArgs {
  std::string rev, remote, keyring;
  uint32_t threshold = 1;
  bool json = false;
};

Result<trust::TrustPolicy> PolicyFor(const repo::Store& store, const VerifyArgs& a) {
  if (!a.remote.empty()) {
    LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(store, a.remote));
    return trust::LoadPolicy(remote);
  }
  if (a.keyring.empty()) return Status::InvalidArgument("give --remote NAME or --keyring DIR");
  LARCH_ASSIGN_OR_RETURN(trust::Keyring ring, trust::Keyring::Load(a.keyring));
  return trust::TrustPolicy{"", std::move(ring), a.threshold, {}};
}

}  // namespace

Command RegisterVerify(CLI::App& parent, const GlobalOptions& global) {
  auto a = std::make_shared<VerifyArgs>();
  CLI::App* app = parent.add_subcommand("verify", "Check a commit's signatures against a keyring");
  app->add_option("REV", a->rev, "Commit id or ref")->required();
  app->add_option("--remote", a->remote, "Use this remote's keyring and threshold");
  app->add_option("--keyring", a->keyring, "Keyring directory (*.pub, revoked)")->transform(AsAbsolutePath());
  AddCountOption(app, "--threshold", a->threshold, repo::kMaxSignatures, "Valid signatures required (with --keyring; default 1)");
  app->add_flag("--json", a->json, "Machine-readable output");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, a->rev));
            LARCH_ASSIGN_OR_RETURN(trust::TrustPolicy policy, PolicyFor(*store, *a));
            LARCH_ASSIGN_OR_RETURN(std::optional<repo::CommitMeta> meta, store->ReadCommitMeta(id));
            std::vector<repo::CommitSignature> sigs = meta ? meta->signatures : std::vector<repo::CommitSignature>{};
            auto verdicts = trust::JudgeSignatures(policy.keyring, repo::SignedKind::kCommit, id.array(), sigs);
            Status result = trust::CheckSignatures(policy, repo::SignedKind::kCommit, id.array(), sigs,
                                                   "commit " + id.Hex());
            if (a->json) {
              nlohmann::json out{{"commit", id.Hex()}, {"threshold", policy.threshold}, {"ok", result.ok()}};
              out["signatures"] = nlohmann::json::array();
              for (const auto& v : verdicts) {
                out["signatures"].push_back({{"key", HexEncode(v.key_id)}, {"outcome", trust::OutcomeName(v.outcome)}});
              }
              PrintJson(out);
            } else {
              for (const auto& v : verdicts) {
                std::printf("key %s: %s\n", HexEncode(v.key_id).c_str(), trust::OutcomeName(v.outcome));
              }
              if (result.ok()) std::printf("Commit %s: signatures ok\n", id.Hex().c_str());
            }
            return result;
          }};
}

}  // namespace larch::cli
