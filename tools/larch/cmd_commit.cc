// File: tools/larch/cmd_commit.cc
// `larch commit`: commit a directory tree to a branch; prints the commit id.
#include <cstdio>

#include "repo/commit_builder.h"
#include "repo/objects/verity_list.h"
#include "tools/larch/command.h"
#include "tools/larch/progress.h"

namespace larch::cli {

namespace {
struct CommitArgs {
  std::string branch, tree, subject, body;
  std::vector<std::string> metadata;
  std::string version;
  bool skip_special = false;
  bool no_verity_list = false;
  int64_t timestamp = -1;
  ProgressArgs progress;
};

Result<repo::CommitOptions> ToOptions(const CommitArgs& a) {
  repo::CommitOptions o;
  o.branch = a.branch;
  o.subject = a.subject;
  o.body = a.body;
  o.skip_special = a.skip_special;
  o.verity_list = !a.no_verity_list;
  if (a.timestamp >= 0) o.timestamp = static_cast<uint64_t>(a.timestamp);
  for (const std::string& kv : a.metadata) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("--metadata expects KEY=VALUE, got \"" + kv + "\"");
    if (kv.substr(0, eq) == repo::kVerityListKey)
      return Status::InvalidArgument("--metadata " + std::string(repo::kVerityListKey) +
                                     " is written by commit itself (the id of the commit's fs-verity digests)");
    o.metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!a.version.empty()) o.metadata["version"] = a.version;
  return o;
}
}  // namespace

Command RegisterCommit(CLI::App& parent, const GlobalOptions& global) {
  auto a = std::make_shared<CommitArgs>();
  CLI::App* app = parent.add_subcommand("commit", "Commit a directory tree and move a branch to it");
  app->add_option("-b,--branch", a->branch, "Branch (ref) to move")->required();
  app->add_option("--tree", a->tree, "Directory to commit")->required()->transform(AsAbsolutePath());
  app->add_option("-s,--subject", a->subject, "One-line subject");
  app->add_option("--body", a->body, "Longer description");
  app->add_option("--metadata", a->metadata, "KEY=VALUE commit metadata (repeatable)");
  app->add_option("--version", a->version, "Release version (same as --metadata version=V)");
  AddCountOption(app, "--timestamp", a->timestamp, kMaxTimestamp, "Seconds since the epoch (default: now)");
  app->add_flag("--skip-special", a->skip_special,
                "Leave out device nodes, FIFOs and sockets instead of refusing them");
  app->add_flag("--no-verity-list", a->no_verity_list,
                "Leave out the fs-verity digests of the files (for devices whose Larch cannot read them yet)");
  AddProgressOptions(app, a->progress);
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(repo::CommitOptions options, ToOptions(*a));
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            ProgressReporter progress(ProgressReporter::Choose(a->progress));
            options.progress = progress.Fn();
            LARCH_ASSIGN_OR_RETURN(repo::CommitStats stats, repo::CommitTree(*store, a->tree, options));
            progress.Finish();
            for (const std::string& path : stats.skipped)
              std::fprintf(stderr, "larch commit: skipped special file %s\n", path.c_str());
            if (a->progress.summary()) {
              std::fprintf(stderr, "Committed %llu files in %llu directories (%s), %llu new objects, to %s\n",
                           static_cast<unsigned long long>(stats.files), static_cast<unsigned long long>(stats.dirs),
                           FormatBytes(stats.content_bytes).c_str(),
                           static_cast<unsigned long long>(stats.new_objects), a->branch.c_str());
            }
            std::printf("%s\n", stats.commit.Hex().c_str());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
