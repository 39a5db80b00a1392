// File: repo/pull/repair.cc
#include "repo/pull/repair.h"

#include "repo/file_object.h"
#include "repo/pull/fetched_file.h"
#include "repo/transaction.h"
#include "src/compress/zstd_dict.h"

namespace larch::pull {

namespace {

// A zstd dictionary is a few hundred kB; more is not one of ours.
constexpr uint64_t kMaxDictionaryBytes = 16u << 20;

std::string ObjectUrlPath(const repo::ObjectId& id) {
  return repo::Store::ObjectRelPath({id, repo::ObjectType::kFile});
}

class Repairer {
 public:
  Repairer(const trust::RemoteConfig& remote, Fetcher& fetcher) : remote_(remote), fetcher_(fetcher) {}

  // The checked header and content of file object `id` from the remote.
  Status Fetch(const repo::ObjectId& id, uint64_t size, repo::FileHeader* header, Bytes* content) {
    const std::string what = "file object " + id.Hex() + " from remote " + remote_.name;
    LARCH_ASSIGN_OR_RETURN(Bytes bytes, fetcher_.Get(ObjectUrlPath(id), FetchedFileLimit(size), what));
    return DecodeFetchedFile(
        bytes, id, size, what, [this](ByteSpan head) { return Dictionary(compress::FrameDictionaryId(head)); },
        header, content);
  }

 private:
  Result<std::shared_ptr<const compress::ZstdDictionary>> Dictionary(uint32_t id) {
    if (id == 0) return std::shared_ptr<const compress::ZstdDictionary>();
    if (auto it = dicts_.find(id); it != dicts_.end()) return it->second;
    const std::string path = "dictionaries/" + repo::Store::DictionaryFileName(id);
    LARCH_ASSIGN_OR_RETURN(Bytes content, fetcher_.Get(path, kMaxDictionaryBytes, path + " from remote " + remote_.name));
    LARCH_ASSIGN_OR_RETURN(auto dict, compress::ZstdDictionary::Load(std::move(content), 1));
    return dicts_[id] = dict;
  }

  const trust::RemoteConfig& remote_;
  Fetcher& fetcher_;
  std::map<uint32_t, std::shared_ptr<const compress::ZstdDictionary>> dicts_;
};

}  // namespace

Result<RepairResult> RepairFileObjects(repo::Store& store, const trust::RemoteConfig& remote,
                                       const std::map<repo::ObjectId, uint64_t>& sizes,
                                       const repo::VerityDigests& digests, const FetchOptions& options) {
  RepairResult result;
  if (sizes.empty()) return result;
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<Fetcher> fetcher, Fetcher::Create(remote, options));
  Repairer repairer(remote, *fetcher);
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<repo::Transaction> txn, repo::Transaction::Begin(store));
  for (const auto& [id, size] : sizes) {
    repo::FileHeader header;
    Bytes content;
    LARCH_RETURN_IF_ERROR(repairer.Fetch(id, size, &header, &content));
    ++result.objects_fetched;
    const repo::ObjectKey key{id, repo::ObjectType::kFile};
    LARCH_RETURN_IF_ERROR(txn->ClaimReplacement(key));
    LARCH_ASSIGN_OR_RETURN(int dirfd, txn->StagingDirFd(key));
    repo::FileContentSource source;
    source.data = &content;
    LARCH_RETURN_IF_ERROR(repo::WriteFileObject(store, dirfd, repo::Transaction::StagedName(key), header, source));
    result.replaced.push_back(id);
  }
  result.requests = fetcher->requests();
  result.bytes_received = fetcher->bytes_received();
  LARCH_RETURN_IF_ERROR(txn->Commit());
  for (const repo::ObjectId& id : result.replaced) {
    auto it = digests.find(id);
    LARCH_RETURN_IF_ERROR(repo::CheckFileObject(store, id, it == digests.end() ? nullptr : &it->second));
  }
  return result;
}

}  // namespace larch::pull
