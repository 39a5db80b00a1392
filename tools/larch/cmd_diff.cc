// File: tools/larch/cmd_diff.cc
// `larch diff A B`: paths added (A), removed (D) or modified (M) from A to B.
#include <cstdio>

#include "repo/diff.h"
#include "repo/refs.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterDiff(CLI::App& parent, const GlobalOptions& global) {
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto stat = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("diff", "List paths that differ between two commits");
  app->add_option("from", *from, "Old ref or commit")->required();
  app->add_option("to", *to, "New ref or commit")->required();
  app->add_flag("--json", *json, "Machine-readable output");
  app->add_flag("--stat", *stat, "Only the counts");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId a, repo::ResolveRevision(*store, *from));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId b, repo::ResolveRevision(*store, *to));
            LARCH_ASSIGN_OR_RETURN(auto entries, repo::DiffCommits(*store, a, b));
            size_t counts[3] = {0, 0, 0};
            nlohmann::json out = nlohmann::json::array();
            for (const auto& e : entries) {
              ++counts[static_cast<int>(e.kind)];
              if (*json) {
                out.push_back({{"change", repo::DiffKindName(e.kind)}, {"path", e.path}, {"dir", e.is_dir}});
              } else if (!*stat) {
                const char* tag = e.kind == repo::DiffKind::kAdded ? "A" : e.kind == repo::DiffKind::kRemoved ? "D" : "M";
                std::printf("%s    %s%s\n", tag, e.path.c_str(), e.is_dir ? "/" : "");
              }
            }
            if (*json) {
              PrintJson({{"from", a.Hex()}, {"to", b.Hex()}, {"changes", out},
                         {"added", counts[0]}, {"removed", counts[1]}, {"modified", counts[2]}});
              return Status::Ok();
            }
            std::printf("%zu added, %zu removed, %zu modified\n", counts[0], counts[1], counts[2]);
            return Status::Ok();
          }};
}

}  // namespace larch::cli
