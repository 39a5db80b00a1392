// File: tools/larch/cmd_fsck.cc
// `larch fsck`: verify every object, commit and ref; exit 4 on any problem.
#include <cstdio>

#include "repo/fsck.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterFsck(CLI::App& parent, const GlobalOptions& global) {
  auto json = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("fsck", "Verify every object, commit and ref in the store");
  auto seals_only = std::make_shared<bool>(false);
  app->add_flag("--json", *json, "Machine-readable output");
  app->add_flag("--seals-only", *seals_only,
                "Do not read file objects whose fs-verity seal carries their signed digest (O(1) each)");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::FsckReport r, repo::Fsck(*store, repo::FsckOptions{.seals_only = *seals_only}));
            if (*json) {
              PrintJson({{"objects", r.objects}, {"commits", r.commits}, {"refs", r.refs}, {"sealed", r.sealed},
                         {"problems", r.problems}, {"ok", r.ok()}});
            } else {
              for (const std::string& p : r.problems) std::printf("problem: %s\n", p.c_str());
              if (r.sealed != 0)
                std::printf("Sealed with fs-verity: %llu file objects\n", static_cast<unsigned long long>(r.sealed));
              std::printf("Checked %llu objects, %llu commits, %llu refs: %s\n",
                          static_cast<unsigned long long>(r.objects),
                          static_cast<unsigned long long>(r.commits),
                          static_cast<unsigned long long>(r.refs),
                          r.ok() ? "ok" : (std::to_string(r.problems.size()) + " problem(s)").c_str());
            }
            if (!r.ok())
              return Status::Corruption("store " + store->path() + " has " +
                                        std::to_string(r.problems.size()) + " problem(s)");
            return Status::Ok();
          }};
}

}  // namespace larch::cli
