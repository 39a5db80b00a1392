// File: tools/larch/cmd_ls.cc
// `larch ls REV [PATH]`: list a directory (or one file) of a commit.
#include <cstdio>
#include <functional>

#include "repo/file_object.h"
#include "repo/refs.h"
#include "repo/tree_lookup.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

struct LsRow {
  uint32_t mode, uid, gid;
  uint64_t size;
  std::string path, target, id;
};

nlohmann::json RowJson(const LsRow& r) {
  nlohmann::json j{{"path", r.path}, {"mode", r.mode}, {"uid", r.uid},
                   {"gid", r.gid},   {"size", r.size}, {"id", r.id}};
  j["type"] = S_ISDIR(r.mode) ? "dir" : S_ISLNK(r.mode) ? "symlink" : "file";
  if (!r.target.empty()) j["target"] = r.target;
  return j;
}

Result<LsRow> FileRow(const repo::Store& store, const repo::DirTreeFile& f, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(repo::FileHeader h, repo::ReadFileObjectHeader(store, f.file));
  return LsRow{h.mode, h.uid, h.gid, h.size, path, h.symlink_target, f.file.Hex()};
}

Result<LsRow> DirRow(const repo::Store& store, const repo::DirTreeDir& d, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(repo::DirMeta m, store.ReadDirMeta(d.meta));
  return LsRow{m.mode, m.uid, m.gid, 0, path, "", d.tree.Hex()};
}

Status ListDir(const repo::Store& store, const repo::DirTreeDir& dir, const std::string& path,
               bool recursive, const std::function<void(const LsRow&)>& emit) {
  LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, store.ReadDirTree(dir.tree));
  std::string prefix = path == "/" ? "" : path;
  for (const auto& d : tree.dirs) {
    LARCH_ASSIGN_OR_RETURN(LsRow row, DirRow(store, d, prefix + "/" + d.name));
    emit(row);
    if (recursive) LARCH_RETURN_IF_ERROR(ListDir(store, d, row.path, true, emit));
  }
  for (const auto& f : tree.files) {
    LARCH_ASSIGN_OR_RETURN(LsRow row, FileRow(store, f, prefix + "/" + f.name));
    emit(row);
  }
  return Status::Ok();
}

}  // namespace

Command RegisterLs(CLI::App& parent, const GlobalOptions& global) {
  auto rev = std::make_shared<std::string>();
  auto path = std::make_shared<std::string>("/");
  auto json = std::make_shared<bool>(false);
  auto recursive = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("ls", "List a directory of a commit");
  app->add_option("rev", *rev, "Ref or commit id")->required();
  app->add_option("path", *path, "Path inside the commit (default /)");
  app->add_flag("-R,--recursive", *recursive, "List subdirectories too");
  app->add_flag("--json", *json, "Machine-readable output");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::ResolveRevision(*store, *rev));
            LARCH_ASSIGN_OR_RETURN(repo::Commit c, store->ReadCommit(id));
            LARCH_ASSIGN_OR_RETURN(repo::TreeNode node, repo::LookupPath(*store, c, *path));
            nlohmann::json out = nlohmann::json::array();
            auto emit = [&](const LsRow& r) {
              if (*json) return out.push_back(RowJson(r));
              std::printf("%s %5u %5u %10llu %s%s%s\n", FormatMode(r.mode).c_str(), r.uid, r.gid,
                          static_cast<unsigned long long>(r.size), r.path.c_str(),
                          r.target.empty() ? "" : " -> ", r.target.c_str());
            };
            if (node.file) {
              LARCH_ASSIGN_OR_RETURN(LsRow row, FileRow(*store, *node.file, node.path));
              emit(row);
            } else {
              LARCH_RETURN_IF_ERROR(ListDir(*store, *node.dir, node.path, *recursive, emit));
            }
            if (*json) PrintJson(out);
            return Status::Ok();
          }};
}

}  // namespace larch::cli
