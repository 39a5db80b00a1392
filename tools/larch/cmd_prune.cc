// File: tools/larch/cmd_prune.cc
// `larch prune`: delete objects no ref reaches.
#include <cstdio>

#include "repo/prune.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterPrune(CLI::App& parent, const GlobalOptions& global) {
  auto dry_run = std::make_shared<bool>(false);
  auto refs_only = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("prune", "Delete objects that no ref can reach");
  app->add_flag("--dry-run", *dry_run, "Only report what would be deleted");
  app->add_flag("--refs-only", *refs_only, "Keep only the commits refs name, not their history");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            repo::PruneOptions options{*dry_run, !*refs_only};
            LARCH_ASSIGN_OR_RETURN(repo::PruneStats s, repo::Prune(*store, options));
            std::printf("%s %llu of %llu objects (%s)\n", *dry_run ? "Would delete" : "Deleted",
                        static_cast<unsigned long long>(s.objects_deleted),
                        static_cast<unsigned long long>(s.objects_total), FormatBytes(s.bytes_freed).c_str());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
