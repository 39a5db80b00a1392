// File: tools/larch/cmd_sign.cc
// `larch sign REV --key KEY...`: add detached signatures to a commit's
// commitmeta. The commit (and its id) never changes.
#include <cstdio>

#include "repo/refs.h"
#include "repo/trust/commit_signing.h"
#include "repo/trust/signing.h"
#include "tools/larch/command.h"
#include "tools/larch/key_files.h"

namespace larch::cli {

Command RegisterSign(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto keys = std::make_shared<std::vector<std::string>>();
  CLI::App* app = parent.add_subcommand("sign", "Sign a commit (detached signature in its commitmeta)");
  app->add_option("REV", *rev, "Commit id or ref")->required();
  app->add_option("--key,-k", *keys, "Private key file (repeatable)")->required()->transform(AsAbsolutePath());
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            LARCH_ASSIGN_OR_RETURN(auto loaded, LoadPrivateKeyFiles(*keys));
            for (const crypto::Ed25519PrivateKey& key : loaded) {
              LARCH_RETURN_IF_ERROR(trust::SignCommit(*store, id, key));
              std::printf("Signed %s with key %s\n", id.Hex().c_str(), trust::ShortKeyId(key.id()).c_str());
            }
            return Status::Ok();
          }};
}

}  // namespace larch::cli
