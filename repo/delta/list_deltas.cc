// File: repo/delta/list_deltas.cc
#include "repo/delta/list_deltas.h"

#include <algorithm>

#include "repo/delta/limits.h"
#include "repo/delta/superblock.h"
#include "src/fs/atomic.h"

namespace larch::delta {

Result<std::vector<DeltaInfo>> ListDeltas(const repo::Store& store) {
  fs::Fs& fs = store.fs();
  std::vector<DeltaInfo> out;
  Result<UniqueFd> dir = fs.OpenDirPath(store.root_fd(), std::string(kDeltasDir));
  if (!dir.ok()) {
    if (dir.status().IsNotFound()) return out;
    return dir.status();
  }
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(dir->get()));
  for (const fs::DirEntry& e : entries) {
    std::optional<DeltaName> name = ParseDeltaDirName(e.name);
    if (!name) continue;
    Result<UniqueFd> sub = fs.OpenDirPath(dir->get(), e.name);
    if (!sub.ok()) continue;  // not a directory
    Result<Bytes> sb = fs::ReadFileFully(fs, sub->get(), std::string(kSuperblockFile), kMaxSuperblockSize);
    if (!sb.ok()) {
      if (sb.status().IsNotFound()) continue;
      return sb.status().WithContext("deltas/" + e.name);
    }
    out.push_back({name->from, name->to, sb->size(), crypto::Sha256::Hash(*sb)});
  }
  std::sort(out.begin(), out.end(), [](const DeltaInfo& a, const DeltaInfo& b) {
    return std::tie(a.to, a.from) < std::tie(b.to, b.from);
  });
  return out;
}

}  // namespace larch::delta
