// File: repo/delta/apply.cc
#include "repo/delta/apply.h"

#include <algorithm>
#include <functional>

#include <map>
#include <mutex>
#include <set>

#include "repo/delta/base_file.h"
#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_patch.h"
#include "repo/delta/engines.h"
#include "repo/delta/gzip_recipe.h"
#include "repo/delta/limits.h"
#include "repo/delta/object_content.h"
#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"
#include "repo/delta/part_xz.h"
#include "repo/delta/read_ahead_source.h"
#include "repo/delta/work_pool.h"
#include "repo/delta/zstd_patch.h"
#include "repo/file_object.h"
#include "repo/objects/dirmeta.h"
#include "repo/objects/dirtree.h"
#include "repo/transaction.h"
#include "repo/trust/install_check.h"
#include "repo/trust/signing.h"
#include "src/compress/zstd_stream.h"
#include "src/fs/atomic.h"

namespace larch::delta {

namespace {

// Spool files are named like transaction staging ("txn-"), so the next
// transaction removes any a crash left behind.
constexpr char kSpoolPrefix[] = "txn-delta-part-";

// What one part's decoder and the objects being staged in parallel with it
// (patches, bases, targets) may hold together: with the rest of the
// process, apply stays under 64 MiB. A zstd part's 16 MiB window leaves
// 24 MiB for staging; an xz part's dictionary (up to kMaxXzDict) leaves
// less, down to kMinStagingBudget. A bsdiff or ELF patch whose staging
// would not fit streams instead (StreamPatch). Measured with streamed
// patches on workers: openjdk-17's pull peaks at 60 MiB. 36 MiB was tried:
// qemu-system-x86's three patches then no longer fit together (apply
// 0.32 -> 0.41 s), so the margin stays as it is (docs/delta.md).
constexpr uint64_t kDecoderAndStaging = 40u << 20;
constexpr uint64_t kMinStagingBudget = 8u << 20;

// A decoder's window fills as the part decodes: the pages of it that a
// small part never reaches are allocated, never touched, so they cost no
// memory (a 260 kB part of three ELF patches does not hold back 32 MiB).
constexpr uint64_t kDecoderState = 1u << 20;

uint64_t DecoderMemory(const PartInfo& part) {
  const uint64_t window =
      part.compression == PartCompression::kXz ? XzPartMemLimit() : uint64_t{1} << kPartWindowLog;
  return std::min(window, std::min(part.uncompressed_size, window) + kDecoderState);
}

uint64_t StagingBudget(const PartInfo& part) {
  const uint64_t decoder = DecoderMemory(part);
  return decoder + kMinStagingBudget < kDecoderAndStaging ? kDecoderAndStaging - decoder : kMinStagingBudget;
}
// Parts up to this size are checked and decoded in memory, not spooled.
constexpr uint64_t kMemorySpool = 4u << 20;
// Parts that decompress to more than this are decompressed ahead of the
// applier on a thread of their own (ReadAheadSource).
constexpr uint64_t kReadAheadPart = 4u << 20;

std::string Hex(const repo::ObjectKey& key) {
  return std::string(repo::ObjectTypeName(key.type)) + " " + key.id.Hex();
}

class Applier {
 public:
  Applier(repo::Store& store, repo::Transaction& txn, const DeltaSuperblock& sb, WorkPool& pool,
          ProgressCounter& progress)
      : store_(store), fs_(store.fs()), txn_(txn), sb_(sb), pool_(pool), progress_(progress) {}

  Status ApplyPart(DeltaSource& source, size_t index);
  Status CheckComplete();
  ApplyStats& stats() { return stats_; }

 private:
  Status Receive(DeltaSource& source, size_t index, const compress::Sink& keep);
  Status Decode(ByteSource& compressed, size_t index);
  Status ApplyPartBytes(DeltaSource& source, size_t index);
  Status ApplyOps(PartReader& reader, size_t index);
  Status ApplyOp(PartReader& reader, const OpHead& head);
  Status ApplyMeta(PartReader& reader, const OpHead& head);
  Status ApplyMetaPatch(PartReader& reader, const OpHead& head);
  Status StageMeta(const OpHead& head, const Bytes& bytes);
  Status ApplyNew(PartReader& reader, const OpHead& head);
  Status ApplyNewGzip(PartReader& reader, const OpHead& head);
  Status ApplyPatchOp(PartReader& reader, const OpHead& head);
  Status Patch(const OpHead& head, const Bytes& patch);
  Status StreamNewToFile(PartReader& reader, const OpHead& head);
  Status StreamPatch(PartReader& reader, const OpHead& head, const repo::FileHeader& base);
  Status StreamPatchFrom(ByteSource& patch, const OpHead& head, const repo::FileHeader& base);
  uint64_t StreamCost(const OpHead& head) const;
  // Writes what `produce` hands its sink to a plain file next to the staged
  // object, hashing it on the way: true when it matches the object's id.
  Result<bool> Spool(const OpHead& head, const std::string& tmp,
                     const std::function<Status(const compress::Sink&)>& produce);
  Status StageSpooled(const OpHead& head, const std::string& tmp);
  Result<repo::FileHeader> BaseHeader(const repo::ObjectId& base, const repo::ObjectId& target);
  Result<Bytes> BaseContent(const repo::ObjectId& base, const repo::ObjectId& target);
  Status Stage(const OpHead& head, const Bytes& content);
  // What storing an object of `size` bytes allocates besides its content.
  uint64_t StoreCost(uint64_t size) const;
  Result<bool> Present(const repo::ObjectKey& key) const;
  Status Need(const repo::ObjectKey& key, const std::string& path) const;
  Result<repo::DirTree> Tree(const repo::ObjectId& id) const;
  Status CheckDir(const repo::ObjectId& id, const std::optional<repo::ObjectId>& old,
                  const std::string& path);
  void Produced(const repo::ObjectKey& key, bool written);

  repo::Store& store_;
  fs::Fs& fs_;
  repo::Transaction& txn_;
  const DeltaSuperblock& sb_;
  WorkPool& pool_;
  ProgressCounter& progress_;
  mutable std::mutex mu_;  // produced_ and stats_: workers stage objects too
  std::set<repo::ObjectKey> produced_;
  std::map<repo::ObjectId, repo::DirTree> trees_;
  ApplyStats stats_;
};

// Receives part `index`, checking its size and SHA-256 against the
// superblock as it arrives; `keep` stores each chunk.
Status Applier::Receive(DeltaSource& source, size_t index, const compress::Sink& keep) {
  const PartInfo& info = sb_.parts[index];
  crypto::Sha256 hasher;
  uint64_t got = 0;
  std::string what = "part " + std::to_string(index);
  LARCH_RETURN_IF_ERROR(source.Part(index, info.compressed_size, [&](ByteSpan chunk) -> Status {
    got += chunk.size();
    if (got > info.compressed_size)
      return Status::Corruption(what + " is larger than the " +
                                std::to_string(info.compressed_size) + " bytes the superblock declares");
    hasher.Update(chunk);
    return keep(chunk);
  }));
  if (got != info.compressed_size)
    return Status::Corruption(what + " is truncated: " + std::to_string(got) + " of " +
                              std::to_string(info.compressed_size) + " bytes");
  if (hasher.Finish() != info.sha256)
    return Status::Corruption(what + " does not match its SHA-256 in the superblock");
  stats_.bytes_received += got;
  return Status::Ok();
}

// Decompresses a received part and applies its operations.
Status Applier::Decode(ByteSource& compressed, size_t index) {
  pool_.SetBudget(StagingBudget(sb_.parts[index]));  // the pool is idle between parts
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> raw, OpenPart(compressed, sb_.parts[index]));
  // A big part decompresses on a thread of its own while its objects are
  // applied (a small one is gone before a thread would have started).
  if (sb_.parts[index].uncompressed_size > kReadAheadPart)
    raw = std::make_unique<ReadAheadSource>(std::move(raw));
  PartReader reader(*raw);
  return ApplyOps(reader, index);
}

// A small part is kept in memory; a large one is spooled to tmp/ so memory
// stays bounded. Either way nothing is decompressed before it is checked.
Status Applier::ApplyPartBytes(DeltaSource& source, size_t index) {
  const uint64_t size = sb_.parts[index].compressed_size;
  if (size <= kMemorySpool) {
    Bytes part;
    part.reserve(static_cast<size_t>(size));
    LARCH_RETURN_IF_ERROR(Receive(source, index, [&](ByteSpan chunk) {
      part.insert(part.end(), chunk.begin(), chunk.end());
      return Status::Ok();
    }));
    SpanSource compressed(part);
    return Decode(compressed, index);
  }
  std::string name = fs::TempName(kSpoolPrefix);
  Status s = [&]() -> Status {
    LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs_.CreateExclusive(store_.tmp_fd(), name, 0600));
    LARCH_RETURN_IF_ERROR(Receive(source, index, [&](ByteSpan chunk) { return fs_.Write(out.get(), chunk); }));
    LARCH_ASSIGN_OR_RETURN(UniqueFd in, fs_.OpenRead(store_.tmp_fd(), name));
    FdSource compressed(fs_, in.get(), size);
    return Decode(compressed, index);
  }();
  (void)fs_.Unlink(store_.tmp_fd(), name);  // garbage for the next transaction otherwise
  return s;
}

Status Applier::ApplyPart(DeltaSource& source, size_t index) {
  Status s = ApplyPartBytes(source, index);
  Status pooled = pool_.Wait();  // objects of this part still being staged
  if (s.ok()) s = pooled.WithContext("part " + std::to_string(index));
  ++stats_.parts;
  return s;
}

Status Applier::ApplyOps(PartReader& reader, size_t index) {
  const std::vector<PartObject>& expected = sb_.parts[index].objects;
  std::string what = "part " + std::to_string(index);
  Status s = reader.Start();
  if (s.ok() && reader.op_count() != expected.size())
    s = Status::Corruption("holds " + std::to_string(reader.op_count()) +
                           " operations, the superblock lists " + std::to_string(expected.size()));
  for (size_t i = 0; s.ok(); ++i) {
    Result<std::optional<OpHead>> head = reader.Next();
    if (!head.ok()) return head.status().WithContext(what);
    if (!*head) break;
    const OpHead& h = **head;
    if (h.kind != expected[i].op || h.key != expected[i].key)
      return Status::Corruption(what + ": operation " + std::to_string(i) + " is " +
                                std::string(OpKindName(h.kind)) + " of " + Hex(h.key) +
                                ", the superblock lists " + std::string(OpKindName(expected[i].op)) +
                                " of " + Hex(expected[i].key));
    s = ApplyOp(reader, h);
    progress_.Add(h.payload_size);
  }
  if (s.ok()) s = reader.Finish();
  return s.WithContext(what);
}

Result<bool> Applier::Present(const repo::ObjectKey& key) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (produced_.contains(key)) return true;
  }
  return store_.HasObject(key);
}

void Applier::Produced(const repo::ObjectKey& key, bool written) {
  std::lock_guard<std::mutex> lock(mu_);
  produced_.insert(key);
  ++(written ? stats_.objects_written : stats_.objects_present);
}

Status Applier::ApplyOp(PartReader& reader, const OpHead& head) {
  switch (head.kind) {
    case OpKind::kReuse: {
      LARCH_ASSIGN_OR_RETURN(bool have, Present(head.key));
      if (!have)
        return Status::NotFound("the delta expects the store to have " + Hex(head.key) +
                                " already; it does not (is the source commit complete?)");
      return Status::Ok();
    }
    case OpKind::kMeta: return ApplyMeta(reader, head);
    case OpKind::kMetaPatch: return ApplyMetaPatch(reader, head);
    case OpKind::kNew: return ApplyNew(reader, head);
    case OpKind::kNewGzip: return ApplyNewGzip(reader, head);
    case OpKind::kPatchZstd:
    case OpKind::kPatchBsdiff:
    case OpKind::kPatchGzip:
    case OpKind::kPatchElf: return ApplyPatchOp(reader, head);
  }
  return Status::Corruption("unknown operation");
}

Status Applier::ApplyMeta(PartReader& reader, const OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, reader.ReadPayload());
  return StageMeta(head, bytes);
}

Status Applier::ApplyMetaPatch(PartReader& reader, const OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(Bytes patch, reader.ReadPayload());
  // The base is an object of the patched one's type: a dirtree of the
  // source at the same path, or the source commit's verity list.
  Result<Bytes> base = store_.ReadMetadataBytes({head.base, head.key.type});
  if (!base.ok()) return base.status().WithContext("patch base of " + Hex(head.key));
  if (base->size() > kMaxPatchInput)
    return Status::Corruption("patch base " + head.base.Hex() + " is above the patch limit");
  Result<Bytes> bytes = ZstdPatchApply(*base, patch, head.meta_size);
  if (!bytes.ok() || repo::ObjectId::HashOf(*bytes) != head.key.id)
    return Status::Corruption(Hex(head.key) + ": patch against base " + head.base.Hex() +
                              " does not reproduce it (wrong base?)" +
                              (bytes.ok() ? "" : ": " + bytes.status().message()));
  return StageMeta(head, *bytes);
}

Status Applier::StageMeta(const OpHead& head, const Bytes& bytes) {
  if (repo::ObjectId::HashOf(bytes) != head.key.id)
    return Status::Corruption(Hex(head.key) + " does not match its id");
  if (head.key.type == repo::ObjectType::kDirTree) {
    Result<repo::DirTree> tree = repo::DecodeDirTree(bytes);
    if (!tree.ok()) return tree.status().WithContext(Hex(head.key));
    trees_[head.key.id] = std::move(tree).value();
  } else if (head.key.type == repo::ObjectType::kVerityList) {
    Status list = repo::DecodeVerityList(bytes).status();
    if (!list.ok()) return list.WithContext(Hex(head.key));
  } else {
    Result<repo::DirMeta> meta = repo::DecodeDirMeta(bytes);
    if (!meta.ok()) return meta.status().WithContext(Hex(head.key));
  }
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, txn_.WriteMetadata(head.key.type, bytes));
  (void)id;  // equal to head.key.id: hashed above
  Produced(head.key, true);
  return Status::Ok();
}

Status Applier::Stage(const OpHead& head, const Bytes& content) {
  if (repo::ObjectId(repo::HashFileObject(head.header, content)) != head.key.id)
    return Status::Corruption(Hex(head.key) + ": the content the delta produces does not match its id");
  LARCH_ASSIGN_OR_RETURN(int dir, txn_.StagingDirFd(head.key));
  repo::FileContentSource source{&content, -1, {}};
  LARCH_RETURN_IF_ERROR(repo::WriteFileObject(store_, dir, repo::Transaction::StagedName(head.key),
                                              head.header, source));
  Produced(head.key, true);
  return Status::Ok();
}

Status Applier::ApplyNew(PartReader& reader, const OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(bool fresh, txn_.Claim(head.key));
  if (!fresh) {
    Produced(head.key, false);
    return reader.StreamPayload([](ByteSpan) { return Status::Ok(); });
  }
  if (head.payload_size > kMaxPatchInput) return StreamNewToFile(reader, head);
  LARCH_ASSIGN_OR_RETURN(Bytes content, reader.ReadPayload());
  uint64_t cost = content.size() + StoreCost(content.size());
  return pool_.Submit(cost, [this, head, content = std::move(content)] { return Stage(head, content); });
}

// The member is rebuilt from its content as the content streams in, and
// spooled and hashed like large new content: memory is the encoder's.
Status Applier::ApplyNewGzip(PartReader& reader, const OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(bool fresh, txn_.Claim(head.key));
  if (!fresh) {
    Produced(head.key, false);
    return reader.StreamPayload([](ByteSpan) { return Status::Ok(); });
  }
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<GzipRebuilder> rebuilder, GzipRebuilder::Create(head.gzip));
  std::string tmp = repo::Transaction::StagedName(head.key) + ".content";
  uint64_t written = 0;
  Result<bool> match = Spool(head, tmp, [&](const compress::Sink& sink) -> Status {
    Bytes out;
    auto emit = [&]() -> Status {
      written += out.size();
      if (written > head.header.size) return Status::Corruption("gzip content rebuilds more than the object's size");
      Status s = sink(out);
      out.clear();
      return s;
    };
    Status streamed = reader.StreamPayload([&](ByteSpan chunk) -> Status {
      Status wrote = rebuilder->Write(chunk, &out);
      return wrote.ok() ? emit() : wrote;
    });
    LARCH_RETURN_IF_ERROR(streamed);
    LARCH_RETURN_IF_ERROR(rebuilder->Finish(&out));
    LARCH_RETURN_IF_ERROR(emit());
    if (written != head.header.size) return Status::Corruption("gzip content rebuilds fewer bytes than the object's size");
    return Status::Ok();
  });
  if (match.ok() && *match) return StageSpooled(head, tmp);
  if (!match.ok() && !match.status().IsCorruption()) return match.status();
  return Status::Corruption(Hex(head.key) + ": the gzip member rebuilt from the delta does not match its id" +
                            (match.ok() ? "" : ": " + match.status().message()));
}

// Large content goes through a plain file next to the staged object, hashed
// on the way; only a matching file is turned into the object.
Status Applier::StreamNewToFile(PartReader& reader, const OpHead& head) {
  std::string tmp = repo::Transaction::StagedName(head.key) + ".content";
  LARCH_ASSIGN_OR_RETURN(bool match, Spool(head, tmp, [&](const compress::Sink& sink) {
    return reader.StreamPayload(sink);
  }));
  if (!match)
    return Status::Corruption(Hex(head.key) + ": the content the delta produces does not match its id");
  return StageSpooled(head, tmp);
}

Result<bool> Applier::Spool(const OpHead& head, const std::string& tmp,
                            const std::function<Status(const compress::Sink&)>& produce) {
  LARCH_ASSIGN_OR_RETURN(int dir, txn_.StagingDirFd(head.key));
  crypto::Sha256 hasher;
  hasher.Update(repo::EncodeFileHeaderFrame(head.header));
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs_.CreateExclusive(dir, tmp, 0600));
  LARCH_RETURN_IF_ERROR(produce([&](ByteSpan chunk) {
    hasher.Update(chunk);
    return fs_.Write(fd.get(), chunk);
  }));
  return repo::ObjectId(hasher.Finish()) == head.key.id;
}

// The spooled file becomes the staged object (a staging file that is not
// an object is garbage of the aborted transaction either way).
Status Applier::StageSpooled(const OpHead& head, const std::string& tmp) {
  LARCH_ASSIGN_OR_RETURN(int dir, txn_.StagingDirFd(head.key));
  if (store_.mode() == repo::StoreMode::kBare) {
    // A bare object is its content: the spooled file becomes the object,
    // owner, mode and xattrs set first (copying it cost qemu-system-x86's
    // three 18 MB binaries another 44 MB read and written).
    LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs_.OpenRead(dir, tmp));
    LARCH_RETURN_IF_ERROR(repo::ApplyFileMetadata(fs_, dir, tmp, fd.get(), head.header, true));
    fd.Reset();
    LARCH_RETURN_IF_ERROR(fs_.Rename(dir, tmp, dir, repo::Transaction::StagedName(head.key),
                                     fs::RenameMode::kNoReplace));
    Produced(head.key, true);
    return Status::Ok();
  }
  repo::FileContentSource source{nullptr, dir, tmp};
  LARCH_RETURN_IF_ERROR(repo::WriteFileObject(store_, dir, repo::Transaction::StagedName(head.key),
                                              head.header, source));
  LARCH_RETURN_IF_ERROR(fs_.Unlink(dir, tmp));
  Produced(head.key, true);
  return Status::Ok();
}

Result<repo::FileHeader> Applier::BaseHeader(const repo::ObjectId& base, const repo::ObjectId& target) {
  Result<repo::FileHeader> read = repo::ReadFileObjectHeader(store_, base);
  if (!read.ok()) {
    if (!read.status().IsNotFound()) return read.status();
    return Status::NotFound("patch base " + base.Hex() + " of file " + target.Hex() +
                            " is not in the store");
  }
  if (read->kind != repo::FileKind::kRegular)
    return Status::Corruption("patch base " + base.Hex() + " is not a regular file");
  return read;
}

// An archive store compresses each object: zstd's context for a file of a
// few MiB is as big as the file (about 9 MiB at level 7 for 8 MiB), and
// two workers compressing at once beside a part's decoder went past the
// apply budget.
uint64_t Applier::StoreCost(uint64_t size) const {
  if (store_.mode() == repo::StoreMode::kBare) return 0;
  return compress::ZstdCompressMemory(store_.config().compression_level, size);
}

Result<Bytes> Applier::BaseContent(const repo::ObjectId& base, const repo::ObjectId& target) {
  LARCH_ASSIGN_OR_RETURN(repo::FileHeader header, BaseHeader(base, target));
  if (header.size > kMaxPatchInput)
    return Status::Corruption("patch base " + base.Hex() + " is not a file within the patch limit");
  return ReadObjectContent(store_, base, header);
}

// A bsdiff patch is held in memory (and staged by the pool) when it, its
// base and its target are small; else it streams. Nor when it would hold
// more than this share of the budget.
constexpr uint64_t kInMemoryShare = 4;
bool InMemory(const OpHead& head, const repo::FileHeader& base) {
  return base.size <= kMaxPatchInput && head.header.size <= kMaxPatchInput &&
         head.payload_size <= kMaxPatchSize;
}

Status Applier::ApplyPatchOp(PartReader& reader, const OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(bool fresh, txn_.Claim(head.key));
  if (!fresh) {
    Produced(head.key, false);
    return reader.StreamPayload([](ByteSpan) { return Status::Ok(); });
  }
  // Base, target and patch are held until the object is staged (and for
  // an ELF patch the rewritten base, about the target's size).
  const uint64_t cost = head.payload_size + (head.kind == OpKind::kPatchElf ? 3 : 2) * head.header.size +
                        StoreCost(head.header.size);
  if (head.kind == OpKind::kPatchBsdiff || head.kind == OpKind::kPatchElf) {
    LARCH_ASSIGN_OR_RETURN(repo::FileHeader base, BaseHeader(head.base, head.key.id));
    // Held in memory only while it leaves room for a few more tasks beside
    // it: qemu-system-x86's 7.7 MB ELF patch held 23 MiB of a 38 MiB budget,
    // so the next 18 MB binary waited for it instead of streaming beside it.
    if (!InMemory(head, base) || cost > pool_.budget() / kInMemoryShare) return StreamPatch(reader, head, base);
  }
  LARCH_ASSIGN_OR_RETURN(Bytes patch, reader.ReadPayload());
  return pool_.Submit(cost, [this, head, patch = std::move(patch)] { return Patch(head, patch); });
}

// What streaming a patch holds besides the patch itself: one bsdiff
// block of output, the span its base reads are joined into, the store's
// compressor, and the small buffers around them (spool, base copy of an
// archive store, the ELF reference rewriter).
uint64_t Applier::StreamCost(const OpHead& head) const {
  constexpr uint64_t kStreamState = 2u << 20;
  return std::min(head.header.size, kMaxBsdiffBlock) + kMaxBsdiffSpan + StoreCost(head.header.size) +
         kStreamState;
}

// A patch too big to apply in memory streams. When there are workers and
// its payload is small enough to hold, it is read out of the part and
// streamed on a worker, so that several big binaries of one part are
// patched at once (on a 2-core device, three 18 MB ELF files took 0.45 s
// one after the other); else it streams from the part here, with nothing
// else in flight.
Status Applier::StreamPatch(PartReader& reader, const OpHead& head, const repo::FileHeader& base) {
  // The payload, and for an ELF patch its header decoded (anchors), at most
  // about the payload's size again.
  const uint64_t held = (head.kind == OpKind::kPatchElf ? 2 : 1) * head.payload_size;
  const uint64_t cost = held + StreamCost(head);
  if (pool_.parallel() && head.payload_size <= kMaxPatchSize && cost <= pool_.budget()) {
    LARCH_ASSIGN_OR_RETURN(Bytes payload, reader.ReadPayload());
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.patches_streamed_by_workers;
    }
    return pool_.Submit(cost, [this, head, base, payload = std::move(payload)] {
      SpanSource patch(payload);
      return StreamPatchFrom(patch, head, base);
    });
  }
  // Nothing else in flight meanwhile: the budget holds with a big patch too.
  LARCH_RETURN_IF_ERROR(pool_.Wait());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.patches_streamed_inline;
  }
  PayloadSource patch(reader);
  return StreamPatchFrom(patch, head, base);
}

Status Applier::Patch(const OpHead& head, const Bytes& patch) {
  LARCH_ASSIGN_OR_RETURN(Bytes base, BaseContent(head.base, head.key.id));
  Result<Bytes> target = ApplyPatch(head.kind, base, patch, static_cast<size_t>(head.header.size));
  if (!target.ok() ||
      repo::ObjectId(repo::HashFileObject(head.header, *target)) != head.key.id)
    return Status::Corruption(Hex(head.key) + ": patch against base " + head.base.Hex() +
                              " does not reproduce it (wrong base?)" +
                              (target.ok() ? "" : ": " + target.status().message()));
  return Stage(head, *target);
}

// The base is read where the runs point (BaseFile), the patch pulled as
// the blocks need it, and the target spooled and hashed as produced:
// memory is one bsdiff block, whatever the file's size. An ELF patch first
// rewrites the base into a scratch file in tmp/ and reads that. `patch`
// ends where the payload does, and must hold nothing past the last block.
Status Applier::StreamPatchFrom(ByteSource& patch, const OpHead& head, const repo::FileHeader& base) {
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<BaseFile> file, BaseFile::Open(store_, head.base, base));
  std::string tmp = repo::Transaction::StagedName(head.key) + ".content";
  Result<bool> match = Spool(head, tmp, [&](const compress::Sink& sink) -> Status {
    if (head.kind == OpKind::kPatchElf) {
      LARCH_RETURN_IF_ERROR(ElfPatchApplyStream(file->data(), patch, head.header.size, sink,
                                                [&](const ScratchWriter& produce) {
                                                  return WriteScratchFile(store_, produce);
                                                }));
    } else {
      LARCH_RETURN_IF_ERROR(BsdiffApplyStream(file->data(), patch, head.header.size, sink,
                                              kMaxBsdiffBlockControls));
    }
    uint8_t more;
    LARCH_ASSIGN_OR_RETURN(size_t n, patch.Read(MutableByteSpan(&more, 1)));
    if (n != 0) return Status::Corruption("patch: stream lengths do not match");
    return Status::Ok();
  });
  file.reset();  // an archive store's decompressed copy goes now
  if (match.ok() && *match) return StageSpooled(head, tmp);
  if (!match.ok() && !match.status().IsCorruption()) return match.status();
  return Status::Corruption(Hex(head.key) + ": patch against base " + head.base.Hex() +
                            " does not reproduce it (wrong base?)" +
                            (match.ok() ? "" : ": " + match.status().message()));
}

// Every object of the target tree must be in the store or produced here.
// The source commit is complete (the store never holds a commit without
// every object it names), so a subtree whose dirtree is the source's at the
// same path is complete too: only directories that changed are read.
Status Applier::CheckComplete() {
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(sb_.commit));
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> verity, repo::VerityListOf(commit));
  if (verity) LARCH_RETURN_IF_ERROR(Need({*verity, repo::ObjectType::kVerityList}, std::string(repo::kVerityListPath)));
  std::optional<repo::ObjectId> from_root;
  if (sb_.from) {
    LARCH_ASSIGN_OR_RETURN(repo::Commit from, store_.ReadCommit(*sb_.from));
    from_root = from.root_tree;
    if (from.root_meta == commit.root_meta) return CheckDir(commit.root_tree, from_root, "/");
  }
  LARCH_RETURN_IF_ERROR(Need({commit.root_meta, repo::ObjectType::kDirMeta}, "/"));
  return CheckDir(commit.root_tree, from_root, "/");
}

Status Applier::Need(const repo::ObjectKey& key, const std::string& path) const {
  LARCH_ASSIGN_OR_RETURN(bool have, Present(key));
  if (!have)
    return Status::Corruption("after the delta, " + Hex(key) + " (" + path +
                              ") is still missing: the delta does not fit this store");
  return Status::Ok();
}

Result<repo::DirTree> Applier::Tree(const repo::ObjectId& id) const {
  if (auto it = trees_.find(id); it != trees_.end()) return it->second;
  return store_.ReadDirTree(id);
}

Status Applier::CheckDir(const repo::ObjectId& id, const std::optional<repo::ObjectId>& old,
                         const std::string& path) {
  if (old && *old == id) return Status::Ok();  // the source's subtree, complete
  LARCH_RETURN_IF_ERROR(Need({id, repo::ObjectType::kDirTree}, path));
  LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, Tree(id));
  repo::DirTree before;
  if (old) {
    LARCH_ASSIGN_OR_RETURN(before, store_.ReadDirTree(*old));
  }
  std::set<repo::ObjectId> old_files, old_metas;
  std::map<std::string, repo::ObjectId> old_dirs;
  for (const repo::DirTreeFile& f : before.files) old_files.insert(f.file);
  for (const repo::DirTreeDir& d : before.dirs) {
    old_metas.insert(d.meta);
    old_dirs[d.name] = d.tree;
  }
  std::string prefix = path == "/" ? "/" : path + "/";
  for (const repo::DirTreeFile& f : tree.files) {
    if (!old_files.contains(f.file))
      LARCH_RETURN_IF_ERROR(Need({f.file, repo::ObjectType::kFile}, prefix + f.name));
  }
  for (const repo::DirTreeDir& d : tree.dirs) {
    if (!old_metas.contains(d.meta))
      LARCH_RETURN_IF_ERROR(Need({d.meta, repo::ObjectType::kDirMeta}, prefix + d.name));
    auto it = old_dirs.find(d.name);
    std::optional<repo::ObjectId> sub;
    if (it != old_dirs.end()) sub = it->second;
    LARCH_RETURN_IF_ERROR(CheckDir(d.tree, sub, prefix + d.name));
  }
  return Status::Ok();
}

Status CheckSource(const repo::Store& store, const DeltaSuperblock& sb) {
  if (!sb.from) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(bool have, store.HasObject({*sb.from, repo::ObjectType::kCommit}));
  if (!have)
    return Status::NotFound("the delta applies to commit " + sb.from->Hex() +
                            ", which is not in this store");
  return Status::Ok();
}

const char* What(repo::SignedKind kind) {
  return kind == repo::SignedKind::kBundle ? "bundle" : "delta superblock";
}

trust::InstallRequest Request(const ApplyVerification& v, const DeltaSuperblock& sb,
                              const repo::Commit& commit, const std::optional<repo::CommitMeta>& meta) {
  trust::InstallRequest req;
  req.ref = v.ref;
  req.commit_id = sb.to;
  req.commit = &commit;
  req.meta = meta ? &*meta : nullptr;
  req.allow_downgrade = v.allow_downgrade;
  return req;
}

trust::HistoryEntry History(const ApplyOptions& options, const DeltaSuperblock& sb,
                            const repo::Commit& commit, const Status& outcome) {
  trust::HistoryEntry h;
  h.action = options.envelope_kind == repo::SignedKind::kBundle ? "bundle-apply" : "delta-apply";
  h.remote = options.verify->policy->name;
  h.ref = options.verify->ref;
  h.from_commit = sb.from;
  h.to_commit = sb.to;
  auto version = commit.metadata.find(trust::kVersionKey);
  if (version != commit.metadata.end()) h.to_version = version->second;
  h.outcome = outcome.ok() ? "ok" : outcome.code() == StatusCode::kVerifyFailed ? "refused" : "failed";
  h.detail = outcome.message();
  h.downgrade_allowed = options.verify->allow_downgrade;
  return h;
}

// Everything before the first part: the commit's install check, and that
// the store has the commit the delta starts from.
Status Precheck(const repo::Store& store, const ApplyOptions& options, const DeltaSuperblock& sb,
                const repo::Commit& commit, const std::optional<repo::CommitMeta>& meta) {
  if (options.verify) {
    const ApplyVerification& v = *options.verify;
    LARCH_RETURN_IF_ERROR(trust::VerifyCommitForInstall(*v.policy, *v.state, Request(v, sb, commit, meta)));
  }
  return CheckSource(store, sb);
}

Status Write(repo::Store& store, DeltaSource& source, const ApplyOptions& options,
             const DeltaSuperblock& sb, ApplyStats& stats, std::function<Status()> before_refs) {
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<repo::Transaction> txn, repo::Transaction::Begin(store));
  WorkPool pool(options.threads, kDecoderAndStaging - (uint64_t{1} << kPartWindowLog));
  ProgressCounter progress(options.progress, "apply", sb.TotalUncompressed());
  Applier applier(store, *txn, sb, pool, progress);
  for (size_t i = 0; i < sb.parts.size(); ++i) LARCH_RETURN_IF_ERROR(applier.ApplyPart(source, i));
  progress.Complete();
  LARCH_RETURN_IF_ERROR(source.Finish());
  LARCH_RETURN_IF_ERROR(applier.CheckComplete());
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, txn->WriteMetadata(repo::ObjectType::kCommit, sb.commit));
  if (sb.commitmeta) LARCH_RETURN_IF_ERROR(txn->WriteCommitMeta(id, *sb.commitmeta));
  if (options.ref) txn->SetRef(*options.ref, id);
  if (before_refs) txn->SetBeforeRefs(std::move(before_refs));
  LARCH_RETURN_IF_ERROR(txn->Commit());
  stats = applier.stats();
  stats.commit = id;
  return Status::Ok();
}

}  // namespace

Result<DeltaSuperblock> ReadVerifiedSuperblock(DeltaSource& source, const ApplyOptions& options) {
  LARCH_ASSIGN_OR_RETURN(Bytes file, source.Superblock());
  const char* what = What(options.envelope_kind);
  Result<repo::SignedEnvelope> envelope =
      repo::DecodeSignedEnvelope(file, options.envelope_kind, kMaxSuperblockSize);
  if (!envelope.ok()) return envelope.status().WithContext(what);
  if (options.verify) {
    LARCH_RETURN_IF_ERROR(trust::CheckSignatures(*options.verify->policy, options.envelope_kind,
                                                 crypto::Sha256::Hash(envelope->body),
                                                 envelope->signatures, what));
  }
  return DecodeSuperblock(envelope->body);
}

Result<ApplyStats> ApplyDelta(repo::Store& store, DeltaSource& source, const ApplyOptions& options) {
  LARCH_ASSIGN_OR_RETURN(DeltaSuperblock sb, ReadVerifiedSuperblock(source, options));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(sb.commit));
  std::optional<repo::CommitMeta> meta;
  if (sb.commitmeta) {
    LARCH_ASSIGN_OR_RETURN(meta, repo::DecodeCommitMeta(*sb.commitmeta));
  }
  ApplyStats stats;
  // The device's record of a successful install (rollback protection for
  // the next one) is committed inside the store transaction, after the
  // objects are durable and before the ref moves: a crash can leave the
  // record ahead of the ref (re-applying the same commit is allowed), never
  // the ref ahead of the record.
  std::function<Status()> record;
  if (options.verify) {
    record = [&]() -> Status {
      trust::TrustState::Update update;
      const ApplyVerification& v = *options.verify;
      update.SetRef(v.policy->name, v.ref, trust::RefTrustFor(Request(v, sb, commit, meta)));
      if (v.summary) update.SetRemote(v.policy->name, *v.summary);
      update.AddHistory(History(options, sb, commit, Status::Ok()));
      return v.state->Apply(update).WithContext("recording the install");
    };
  }
  Status s = Precheck(store, options, sb, commit, meta);
  if (s.ok()) s = Write(store, source, options, sb, stats, record);
  if (!options.verify) {
    if (!s.ok()) return s;
    return stats;
  }
  // Every attempt is in the history, refused or failed too.
  trust::TrustState& state = *options.verify->state;
  if (!s.ok()) {
    (void)state.AddHistory(History(options, sb, commit, s));
    return s;
  }
  return stats;
}

}  // namespace larch::delta
