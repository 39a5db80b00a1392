// File: repo/delta/bundle.cc
#include "repo/delta/bundle.h"

#include <algorithm>
#include <cstring>

#include "repo/delta/byte_source.h"
#include "repo/delta/limits.h"
#include "src/encoding/encoding.h"
#include "src/fs/atomic.h"

namespace larch::delta {

namespace {

constexpr uint8_t kMagic[4] = {'L', 'X', 'B', 'N'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderSize = 4 + 1 + 8;

Status Bad(const std::string& path, const std::string& msg) {
  return Status::Corruption("bundle " + path + ": " + msg);
}

Status WriteAll(fs::Fs& fs, int fd, const GeneratedDelta& delta, const Bytes& envelope) {
  encoding::Encoder head;
  head.Raw(kMagic);
  head.U8(kVersion);
  head.U64(envelope.size());
  LARCH_RETURN_IF_ERROR(fs.Write(fd, head.bytes()));
  LARCH_RETURN_IF_ERROR(fs.Write(fd, envelope));
  for (const Bytes& part : delta.parts) LARCH_RETURN_IF_ERROR(fs.Write(fd, part));
  return fs.Fsync(fd);
}

}  // namespace

Status WriteBundle(fs::Fs& fs, const std::string& path, const GeneratedDelta& delta,
                   const EnvelopeSigner& sign) {
  LARCH_ASSIGN_OR_RETURN(Bytes envelope,
                         SignSuperblock(delta.superblock, repo::SignedKind::kBundle, sign));
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName target, fs::OpenParentOf(fs, path));
  std::string tmp = fs::TempName(".larch-bundle-");
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(target.parent.get(), tmp, 0644));
  Status s = WriteAll(fs, fd.get(), delta, envelope);
  if (s.ok()) s = fs.Rename(target.parent.get(), tmp, target.parent.get(), target.name,
                            fs::RenameMode::kReplace);
  if (!s.ok()) {
    (void)fs.Unlink(target.parent.get(), tmp);
    return s.WithContext("writing bundle " + path);
  }
  return fs.Fsync(target.parent.get());
}

Result<std::unique_ptr<BundleSource>> BundleSource::Open(fs::Fs& fs, const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName target, fs::OpenParentOf(fs, path));
  Result<UniqueFd> fd = fs.OpenRead(target.parent.get(), target.name);
  if (!fd.ok()) return fd.status().WithContext("opening bundle " + path);
  return std::unique_ptr<BundleSource>(new BundleSource(fs, std::move(fd).value(), path));
}

Result<Bytes> BundleSource::Superblock() {
  if (read_superblock_) return Status::InvalidArgument("bundle: superblock read twice");
  read_superblock_ = true;
  FdSource src(fs_, fd_.get(), UINT64_MAX);
  Bytes head(kHeaderSize);
  LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(src, head));
  if (!full) return Bad(path_, "truncated header");
  if (!std::equal(kMagic, kMagic + 4, head.begin())) return Bad(path_, "not a larch bundle");
  if (head[4] != kVersion) return Bad(path_, "unknown version " + std::to_string(head[4]));
  encoding::Decoder dec(ByteSpan(head).subspan(5), "bundle");
  LARCH_ASSIGN_OR_RETURN(uint64_t len, dec.U64());
  if (len > kMaxSuperblockSize) return Bad(path_, "superblock too large");
  Bytes envelope(static_cast<size_t>(len));
  LARCH_ASSIGN_OR_RETURN(full, ReadFull(src, envelope));
  if (!full) return Bad(path_, "truncated inside the superblock");
  return envelope;
}

Status BundleSource::Part(size_t index, uint64_t expected_size, const compress::Sink& sink) {
  // Parts are contiguous, so they can only be read in order.
  if (!read_superblock_ || index != next_part_)
    return Status::InvalidArgument("bundle: parts must be read in order");
  ++next_part_;
  return StreamFile(fs_, fd_.get(), expected_size, sink);
}

Status BundleSource::Finish() {
  uint8_t extra;
  LARCH_ASSIGN_OR_RETURN(size_t n, fs_.Read(fd_.get(), MutableByteSpan(&extra, 1)));
  if (n != 0) return Bad(path_, "trailing bytes after the last part");
  return Status::Ok();
}

}  // namespace larch::delta
