#include "repo/fsck.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>

#include "repo/file_object.h"
#include "repo/reachability.h"
#include "repo/refs.h"
#include "repo/verity_seal.h"
#include "src/base/parallel.h"

namespace larch::repo {

namespace {

// The digests every present verity list gives, by file object id. Two lists
// that disagree about one object are a problem: a digest is a function of
// the content, and the content is the id's.
VerityDigests PresentDigests(const Store& store, const std::vector<ObjectKey>& keys, FsckReport& report) {
  VerityDigests digests;
  for (const ObjectKey& key : keys) {
    if (key.type != ObjectType::kVerityList) continue;
    Result<VerityList> list = store.ReadVerityList(key.id);
    if (!list.ok()) continue;  // reported with the object itself
    for (const VerityEntry& e : list->entries) {
      auto [it, fresh] = digests.emplace(e.file, e.digest);
      if (!fresh && it->second != e.digest)
        report.problems.push_back(Store::ObjectRelPath(key) + ": gives file " + e.file.Hex() +
                                  " another fs-verity digest than another list does");
    }
  }
  return digests;
}

// A file object of a bare store: its seal (when sealed) against the listed
// digest, then its content re-hashed unless the seal settles it.
Status VerifyFile(const Store& store, const ObjectId& id, const VerityDigests& digests,
                  const FsckOptions& options, std::atomic<uint64_t>& sealed) {
  LARCH_ASSIGN_OR_RETURN(std::optional<fs::VerityDigest> seal, MeasureFileObject(store, id));
  if (seal) {
    ++sealed;
    auto it = digests.find(id);
    if (it != digests.end() && *seal != it->second)
      return SealMismatch(Store::ObjectRelPath({id, ObjectType::kFile}), *seal, it->second);
    if (it != digests.end() && options.seals_only) return Status::Ok();
  }
  return VerifyFileObject(store, id);
}

Status VerifyObject(const Store& store, const ObjectKey& key, const VerityDigests& digests,
                    const FsckOptions& options, std::atomic<uint64_t>& sealed) {
  switch (key.type) {
    case ObjectType::kFile: return VerifyFile(store, key.id, digests, options, sealed);
    case ObjectType::kDirTree: return store.ReadDirTree(key.id).status();
    case ObjectType::kDirMeta: return store.ReadDirMeta(key.id).status();
    case ObjectType::kCommit: return store.ReadCommit(key.id).status();
    case ObjectType::kCommitMeta: return store.ReadCommitMeta(key.id).status();
    case ObjectType::kVerityList: return store.ReadVerityList(key.id).status();
  }
  return Status::Corruption("unknown object type");
}

// Every object a present commit names must be present and intact.
void CheckCommits(const Store& store, const std::vector<ObjectKey>& keys,
                  const std::set<ObjectKey>& good, FsckReport& report) {
  std::set<ObjectKey> reported;
  for (const ObjectKey& key : keys) {
    if (key.type != ObjectType::kCommit || !good.contains(key)) continue;
    ++report.commits;
    Result<Commit> commit = store.ReadCommit(key.id);
    if (!commit.ok()) continue;
    std::set<ObjectId> seen_trees;
    Status s = WalkCommitTree(store, *commit, [&](const ObjectKey& k, const std::string& path) {
      if (good.contains(k)) return k.type != ObjectType::kDirTree || seen_trees.insert(k.id).second;
      if (reported.insert(k).second)
        report.problems.push_back("commit " + key.id.Hex() + ": " +
                                  (k.type == ObjectType::kFile ? "file" : std::string(ObjectTypeName(k.type))) +
                                  " " + Store::ObjectRelPath(k) + " for " + path +
                                  " is missing or corrupt");
      return false;
    });
    if (!s.ok()) report.problems.push_back("commit " + key.id.Hex() + ": " + s.message());
  }
}

// Every dictionary file must load and carry the id its name gives.
void CheckDictionaries(const Store& store, FsckReport& report) {
  fs::Fs& fs = store.fs();
  Result<UniqueFd> dir = fs.OpenDirPath(store.root_fd(), "dictionaries");
  if (!dir.ok()) {
    report.problems.push_back("dictionaries/: " + dir.status().message());
    return;
  }
  Result<std::vector<fs::DirEntry>> entries = fs.ReadDir(dir->get());
  if (!entries.ok()) {
    report.problems.push_back("dictionaries/: " + entries.status().message());
    return;
  }
  for (const fs::DirEntry& e : *entries) {
    unsigned id = 0;
    char tail[8] = {0};
    if (std::sscanf(e.name.c_str(), "%8x.%7s", &id, tail) != 2 ||
        e.name != Store::DictionaryFileName(id)) {
      continue;  // not a dictionary name: leftovers of an atomic write
    }
    Status s = store.Dictionary(id).status();
    if (!s.ok()) report.problems.push_back(s.message());
  }
}

void CheckRefs(const Store& store, const std::set<ObjectKey>& good, FsckReport& report) {
  Result<RefListing> refs = ScanRefs(store);
  if (!refs.ok()) {
    report.problems.push_back(refs.status().message());
    return;
  }
  for (const Status& bad : refs->errors) report.problems.push_back(bad.message());
  report.refs += refs->errors.size();
  for (const auto& [name, id] : refs->refs) {
    ++report.refs;
    if (!good.contains({id, ObjectType::kCommit}))
      report.problems.push_back("ref " + name + " names commit " + id.Hex() +
                                ", which is missing or corrupt");
  }
}

}  // namespace

Result<FsckReport> Fsck(const Store& store, const FsckOptions& options) {
  LARCH_ASSIGN_OR_RETURN(std::vector<ObjectKey> keys, store.ListObjects());
  FsckReport report;
  report.objects = keys.size();
  const VerityDigests digests = PresentDigests(store, keys, report);
  std::atomic<uint64_t> sealed{0};
  std::vector<Status> results(keys.size());
  LARCH_RETURN_IF_ERROR(ParallelFor(
      keys.size(),
      [&](size_t i) {
        results[i] = VerifyObject(store, keys[i], digests, options, sealed);
        return Status::Ok();
      },
      options.threads));
  std::set<ObjectKey> good;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (results[i].ok()) {
      good.insert(keys[i]);
    } else {
      std::string msg = results[i].message();
      report.bad_objects.push_back(keys[i]);
      std::string where = Store::ObjectRelPath(keys[i]);
      if (msg.find(where) == std::string::npos) msg = where + ": " + msg;
      report.problems.push_back(msg);
    }
  }
  report.sealed = sealed.load();
  CheckCommits(store, keys, good, report);
  CheckRefs(store, good, report);
  CheckDictionaries(store, report);
  return report;
}

}  // namespace larch::repo
