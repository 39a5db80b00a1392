// File: tools/larch/cmd_refs.cc
// `larch refs`: list refs; `--delete NAME` removes one.
#include <cstdio>

#include "repo/refs.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterRefs(CLI::App& parent, const GlobalOptions& global) {
  auto json = std::make_shared<bool>(false);
  auto del = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("refs", "List refs (or delete one)");
  app->add_flag("--json", *json, "Machine-readable output");
  app->add_option("--delete", *del, "Delete this ref (its objects stay until prune)");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            if (!del->empty()) return repo::DeleteRef(*store, *del);
            LARCH_ASSIGN_OR_RETURN(auto refs, repo::ListRefs(*store));
            if (*json) {
              nlohmann::json out = nlohmann::json::object();
              for (const auto& [name, id] : refs) out[name] = id.Hex();
              PrintJson(out);
              return Status::Ok();
            }
            for (const auto& [name, id] : refs) std::printf("%s %s\n", id.Hex().c_str(), name.c_str());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
