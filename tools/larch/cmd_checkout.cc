// File: tools/larch/cmd_checkout.cc
// `larch checkout REV TARGET`: build a commit's tree in a new directory.
#include <unistd.h>

#include <cstdio>

#include "repo/checkout.h"
#include "repo/refs.h"
#include "tools/larch/command.h"
#include "tools/larch/progress.h"

namespace larch::cli {

Command RegisterCheckout(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto mode = std::make_shared<std::string>();
  auto progress_args = std::make_shared<ProgressArgs>();
  CLI::App* app = parent.add_subcommand("checkout", "Check a commit out into a new directory");
  app->add_option("rev", *rev, "Ref or commit id")->required();
  app->add_option("target", *target, "Directory to create (must not exist, or be empty)")->required()->transform(AsAbsolutePath());
  app->add_option("--mode", *mode,
                  "copy: independent files; hardlink: links into a bare store "
                  "(default: hardlink for bare stores, copy for archive stores)")
      ->check(CLI::IsMember({"copy", "hardlink"}));
  AddProgressOptions(app, *progress_args);
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            repo::CheckoutOptions options;
            if (mode->empty())
              options.mode = store->mode() == repo::StoreMode::kBare ? repo::CheckoutMode::kHardlink
                                                                     : repo::CheckoutMode::kCopy;
            else
              options.mode = *mode == "hardlink" ? repo::CheckoutMode::kHardlink : repo::CheckoutMode::kCopy;
            options.preserve_owner = ::geteuid() == 0;
            ProgressReporter progress(ProgressReporter::Choose(*progress_args));
            options.progress = progress.Fn();
            LARCH_ASSIGN_OR_RETURN(repo::CheckoutStats stats, repo::CheckoutCommit(*store, id, *target, options));
            progress.Finish();
            if (progress_args->summary()) {
              std::fprintf(stderr, "Checked out %s into %s: %llu files, %llu directories\n", id.Hex().c_str(),
                           target->c_str(), static_cast<unsigned long long>(stats.files),
                           static_cast<unsigned long long>(stats.dirs));
            }
            return Status::Ok();
          }};
}

}  // namespace larch::cli
