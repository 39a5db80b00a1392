// File: repo/delta/source.cc
#include "repo/delta/source.h"

#include <algorithm>

#include "repo/delta/limits.h"
#include "repo/delta/superblock.h"
#include "src/fs/atomic.h"

namespace larch::delta {

namespace {
constexpr size_t kChunk = 256 << 10;
}  // namespace

Status StreamFile(fs::Fs& fs, int fd, uint64_t limit, const compress::Sink& sink) {
  Bytes buf(kChunk);
  while (limit > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), limit));
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd, MutableByteSpan(buf.data(), want)));
    if (n == 0) break;
    limit -= n;
    LARCH_RETURN_IF_ERROR(sink(ByteSpan(buf.data(), n)));
  }
  return Status::Ok();
}

Result<std::unique_ptr<DirectorySource>> DirectorySource::Open(fs::Fs& fs, int dirfd,
                                                               const std::string& path) {
  Result<UniqueFd> dir = fs.OpenDirPath(dirfd, path);
  if (!dir.ok()) return dir.status().WithContext("opening delta " + path);
  return std::unique_ptr<DirectorySource>(new DirectorySource(fs, std::move(dir).value(), path));
}

Result<std::unique_ptr<DirectorySource>> DirectorySource::OpenUserPath(fs::Fs& fs,
                                                                       const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName target, fs::OpenParentOf(fs, path));
  LARCH_ASSIGN_OR_RETURN(auto source, Open(fs, target.parent.get(), target.name));
  source->path_ = path;
  return source;
}

Result<std::unique_ptr<DirectorySource>> DirectorySource::OpenInStore(const repo::Store& store,
                                                                      const std::string& name) {
  return Open(store.fs(), store.root_fd(), std::string(kDeltasDir) + "/" + name);
}

Result<Bytes> DirectorySource::Superblock() {
  Result<Bytes> b = fs::ReadFileFully(fs_, dir_.get(), std::string(kSuperblockFile), kMaxSuperblockSize);
  if (!b.ok()) return b.status().WithContext(path_ + "/superblock");
  return b;
}

Status DirectorySource::Part(size_t index, uint64_t expected_size, const compress::Sink& sink) {
  std::string name = PartFileName(index);
  Result<UniqueFd> fd = fs_.OpenRead(dir_.get(), name);
  if (!fd.ok()) return fd.status().WithContext(path_ + "/" + name);
  return StreamFile(fs_, fd->get(), expected_size + 1, sink);
}

}  // namespace larch::delta
