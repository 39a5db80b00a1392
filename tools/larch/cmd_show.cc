// File: tools/larch/cmd_show.cc
// `larch show REV`: one commit in full.
#include <cstdio>

#include "repo/objects/verity_list.h"
#include "repo/refs.h"
#include "src/base/hex.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterShow(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("show", "Show a commit's metadata");
  app->add_option("rev", *rev, "Ref or commit id")->required();
  app->add_flag("--json", *json, "Machine-readable output");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            LARCH_ASSIGN_OR_RETURN(repo::Commit c, store->ReadCommit(id));
            LARCH_ASSIGN_OR_RETURN(auto meta, store->ReadCommitMeta(id));
            nlohmann::json j = CommitToJson(id, c);
            j["signatures"] = nlohmann::json::array();
            if (meta)
              for (const auto& sig : meta->signatures) j["signatures"].push_back(HexEncode(sig.key_id));
            // Verifiable: the commit binds an fs-verity digest to each of
            // its regular files (docs/verity.md).
            LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> list_id, repo::VerityListOf(c));
            std::string verity = "not verifiable (no verity list)";
            j["verity_files"] = nullptr;
            if (list_id) {
              LARCH_ASSIGN_OR_RETURN(repo::VerityList list, store->ReadVerityList(*list_id));
              j["verity_files"] = list.entries.size();
              verity = "digests of " + std::to_string(list.entries.size()) + " files";
            }
            if (*json) {
              PrintJson(j);
              return Status::Ok();
            }
            std::printf("commit %s\n", id.Hex().c_str());
            std::printf("Parent:  %s\n", c.parent ? c.parent->Hex().c_str() : "(none)");
            std::printf("Date:    %s\n", FormatTime(c.timestamp).c_str());
            std::printf("Tree:    %s\nMeta:    %s\n", c.root_tree.Hex().c_str(), c.root_meta.Hex().c_str());
            for (const auto& [k, v] : c.metadata) std::printf("%-8s %s\n", (k + ":").c_str(), v.c_str());
            std::printf("Signed by: %zu key(s)\n", j["signatures"].size());
            std::printf("Verity:  %s\n", verity.c_str());
            std::printf("\n    %s\n", c.subject.c_str());
            if (!c.body.empty()) std::printf("\n%s\n", c.body.c_str());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
