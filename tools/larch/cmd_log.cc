// File: tools/larch/cmd_log.cc
// `larch log REV`: the commit and its ancestors present in the store.
#include <cstdio>

#include "repo/refs.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterLog(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto max = std::make_shared<size_t>(0);
  CLI::App* app = parent.add_subcommand("log", "Show a commit and its ancestors");
  app->add_option("rev", *rev, "Ref or commit id")->required();
  AddCountOption(app, "-n,--max-count", *max, kMaxCount, "Show at most N commits");
  app->add_flag("--json", *json, "Machine-readable output");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            nlohmann::json out = nlohmann::json::array();
            for (size_t n = 0; *max == 0 || n < *max; ++n) {
              LARCH_ASSIGN_OR_RETURN(repo::Commit c, store->ReadCommit(id));
              if (*json) {
                out.push_back(CommitToJson(id, c));
              } else {
                std::printf("commit %s\nDate:    %s\n", id.Hex().c_str(), FormatTime(c.timestamp).c_str());
                auto v = c.metadata.find("version");
                if (v != c.metadata.end()) std::printf("Version: %s\n", v->second.c_str());
                std::printf("\n    %s\n\n", c.subject.c_str());
              }
              if (!c.parent) break;
              LARCH_ASSIGN_OR_RETURN(bool has, store->HasObject({*c.parent, repo::ObjectType::kCommit}));
              if (!has) {
                if (!*json) std::printf("(history continues with %s, not in this store)\n", c.parent->Hex().c_str());
                break;
              }
              id = *c.parent;
            }
            if (*json) PrintJson(out);
            return Status::Ok();
          }};
}

}  // namespace larch::cli
