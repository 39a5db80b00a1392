#include "repo/prune.h"

#include "repo/reachability.h"
#include "repo/refs.h"
#include "repo/transaction.h"

namespace larch::repo {

static Status DeleteAll(Store& store, const std::vector<ObjectKey>& doomed, bool commits,
                        bool dry_run, PruneStats& stats) {
  for (const ObjectKey& key : doomed) {
    bool is_commit = key.type == ObjectType::kCommit || key.type == ObjectType::kCommitMeta;
    if (is_commit != commits) continue;
    Result<struct stat> st = store.fs().Stat(store.ObjectDirFd(key.id), Store::ObjectFileName(key));
    if (st.ok()) stats.bytes_freed += static_cast<uint64_t>(st->st_size);
    ++stats.objects_deleted;
    if (dry_run) continue;
    Status s = store.DeleteObject(key);
    if (!s.ok() && !s.IsNotFound()) return s.WithContext("pruning " + Store::ObjectRelPath(key));
  }
  if (dry_run) return Status::Ok();
  // Deletions of commits are durable before the objects they named go.
  return store.fs().SyncFs(store.root_fd());
}

Result<PruneStats> Prune(Store& store, const PruneOptions& options) {
  // A transaction holds the writer lock and clears crashed staging.
  LARCH_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store));
  LARCH_ASSIGN_OR_RETURN(auto refs, ListRefs(store));
  std::set<ObjectId> roots;
  for (const auto& [name, id] : refs) roots.insert(id);
  LARCH_ASSIGN_OR_RETURN(std::set<ObjectKey> keep,
                         ReachableObjects(store, roots, options.keep_history));
  LARCH_ASSIGN_OR_RETURN(std::vector<ObjectKey> all, store.ListObjects());
  PruneStats stats;
  stats.objects_total = all.size();
  std::vector<ObjectKey> doomed;
  for (const ObjectKey& key : all)
    if (!keep.contains(key)) doomed.push_back(key);
  LARCH_RETURN_IF_ERROR(DeleteAll(store, doomed, true, options.dry_run, stats));
  LARCH_RETURN_IF_ERROR(DeleteAll(store, doomed, false, options.dry_run, stats));
  txn->Abort();
  return stats;
}

}  // namespace larch::repo
