// File: tools/larch/cmd_cat.cc
// `larch cat REV PATH`: a file's content on stdout.
#include <cstdio>

#include "repo/file_object.h"
#include "repo/refs.h"
#include "repo/tree_lookup.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterCat(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto path = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("cat", "Print a file of a commit");
  app->add_option("rev", *rev, "Ref or commit id")->required();
  app->add_option("path", *path, "File path inside the commit")->required();
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            LARCH_ASSIGN_OR_RETURN(repo::Commit c, store->ReadCommit(id));
            LARCH_ASSIGN_OR_RETURN(repo::TreeNode node, repo::LookupPath(*store, c, *path));
            if (!node.file) return Status::InvalidArgument(node.path + " is a directory");
            LARCH_ASSIGN_OR_RETURN(repo::FileHeader h, repo::ReadFileObjectHeader(*store, node.file->file));
            if (h.kind == repo::FileKind::kSymlink)
              return Status::InvalidArgument(node.path + " is a symlink to " + h.symlink_target);
            LARCH_RETURN_IF_ERROR(repo::ReadFileObjectContent(*store, node.file->file, h, [](ByteSpan b) {
              if (std::fwrite(b.data(), 1, b.size(), stdout) != b.size())
                return Status::IoError("writing to stdout failed");
              return Status::Ok();
            }));
            if (std::fflush(stdout) != 0) return Status::IoError("writing to stdout failed");
            return Status::Ok();
          }};
}

}  // namespace larch::cli
