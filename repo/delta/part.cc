// File: repo/delta/part.cc
#include "repo/delta/part.h"

#include <algorithm>
#include <cstring>

#include "repo/delta/limits.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

constexpr uint8_t kMagic[4] = {'L', 'X', 'D', 'P'};
constexpr uint8_t kVersion = 1;
constexpr size_t kChunk = 64 << 10;

void PutHead(encoding::Encoder& enc, OpKind kind, const repo::ObjectId& id,
             const repo::FileHeader& header) {
  enc.U8(static_cast<uint8_t>(kind));
  enc.Raw(id.bytes());
  enc.Blob(repo::EncodeFileHeader(header));
}

}  // namespace

// --- writing ---

void PartWriter::AddNew(const repo::ObjectId& id, const repo::FileHeader& header,
                        ByteSpan content) {
  encoding::Encoder enc;
  PutHead(enc, OpKind::kNew, id, header);
  enc.Raw(content);
  ops_.insert(ops_.end(), enc.bytes().begin(), enc.bytes().end());
  ++count_;
}

void PartWriter::AddPatch(OpKind engine, const repo::ObjectId& id, const repo::FileHeader& header,
                          const repo::ObjectId& base, ByteSpan patch) {
  encoding::Encoder enc;
  PutHead(enc, engine, id, header);
  enc.Raw(base.bytes());
  enc.Blob(patch);
  ops_.insert(ops_.end(), enc.bytes().begin(), enc.bytes().end());
  ++count_;
}

void PartWriter::AddNewGzip(const repo::ObjectId& id, const repo::FileHeader& header,
                            const GzipRecipe& recipe, ByteSpan content) {
  encoding::Encoder enc;
  PutHead(enc, OpKind::kNewGzip, id, header);
  EncodeGzipRecipe(enc, recipe);
  enc.U64(content.size());
  enc.Raw(content);
  ops_.insert(ops_.end(), enc.bytes().begin(), enc.bytes().end());
  ++count_;
}

void PartWriter::AddMeta(const repo::ObjectKey& key, ByteSpan bytes) {
  encoding::Encoder enc;
  enc.U8(static_cast<uint8_t>(OpKind::kMeta));
  enc.U8(static_cast<uint8_t>(key.type));
  enc.Raw(key.id.bytes());
  enc.Blob(bytes);
  ops_.insert(ops_.end(), enc.bytes().begin(), enc.bytes().end());
  ++count_;
}

void PartWriter::AddReuse(const repo::ObjectKey& key) {
  ops_.push_back(static_cast<uint8_t>(OpKind::kReuse));
  ops_.push_back(static_cast<uint8_t>(key.type));
  ops_.insert(ops_.end(), key.id.bytes().begin(), key.id.bytes().end());
  ++count_;
}

void PartWriter::AddMetaPatch(const repo::ObjectKey& key, const repo::ObjectId& base,
                              uint32_t size, ByteSpan patch) {
  encoding::Encoder enc;
  enc.U8(static_cast<uint8_t>(OpKind::kMetaPatch));
  enc.U8(static_cast<uint8_t>(key.type));
  enc.Raw(key.id.bytes());
  enc.Raw(base.bytes());
  enc.U32(size);
  enc.Blob(patch);
  ops_.insert(ops_.end(), enc.bytes().begin(), enc.bytes().end());
  ++count_;
}

Bytes PartWriter::Finish() const {
  encoding::Encoder enc;
  enc.Raw(kMagic);
  enc.U8(kVersion);
  enc.U32(count_);
  enc.Raw(ops_);
  return enc.Take();
}

// --- reading ---

Status PartReader::Error(const std::string& msg) const {
  return Status::Corruption("delta part: " + msg + " at offset " + std::to_string(offset_));
}

Result<Bytes> PartReader::Take(size_t n) {
  Bytes b(n);
  size_t got = 0;
  LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(src_, b, &got));
  if (!full)
    return Error("truncated: need " + std::to_string(n) + " bytes, " + std::to_string(got) +
                 " left");
  offset_ += n;
  return b;
}

Result<uint8_t> PartReader::U8() {
  LARCH_ASSIGN_OR_RETURN(Bytes b, Take(1));
  return b[0];
}

Result<uint32_t> PartReader::U32() {
  LARCH_ASSIGN_OR_RETURN(Bytes b, Take(4));
  encoding::Decoder dec(b, "delta part");
  return dec.U32();
}

Result<uint64_t> PartReader::U64() {
  LARCH_ASSIGN_OR_RETURN(Bytes b, Take(8));
  encoding::Decoder dec(b, "delta part");
  return dec.U64();
}

Result<repo::ObjectId> PartReader::Id() {
  LARCH_ASSIGN_OR_RETURN(Bytes b, Take(repo::ObjectId::kSize));
  return repo::ObjectId::FromBytes(b);
}

Result<repo::FileHeader> PartReader::Header() {
  LARCH_ASSIGN_OR_RETURN(uint32_t len, U32());
  if (len > repo::kMaxFileHeaderSize) return Error("file header too large");
  uint64_t at = offset_;
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, Take(len));
  Result<repo::FileHeader> header = repo::DecodeFileHeader(bytes);
  if (!header.ok())
    return Status::Corruption("delta part: file header at offset " + std::to_string(at) + ": " +
                              header.status().message());
  return header;
}

Result<repo::ObjectKey> PartReader::TypedKey(std::initializer_list<repo::ObjectType> allowed) {
  LARCH_ASSIGN_OR_RETURN(uint8_t type, U8());
  bool ok = std::any_of(allowed.begin(), allowed.end(),
                        [type](repo::ObjectType t) { return type == static_cast<uint8_t>(t); });
  if (!ok) return Error("object type " + std::to_string(type) + " not allowed here");
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, Id());
  return repo::ObjectKey{id, static_cast<repo::ObjectType>(type)};
}

Status PartReader::ReadFileOp(OpHead& head) {
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, Id());
  head.key = {id, repo::ObjectType::kFile};
  LARCH_ASSIGN_OR_RETURN(head.header, Header());
  if (head.kind == OpKind::kNew) {
    head.payload_size = head.header.size;
    return Status::Ok();
  }
  if (head.kind == OpKind::kNewGzip) return ReadNewGzip(head);
  if (head.header.kind != repo::FileKind::kRegular) return Error("patch of a symlink");
  // Only bsdiff and ELF patches are applied as a stream; the other engines
  // need base, target and patch in memory.
  bool streamed = head.kind == OpKind::kPatchBsdiff || head.kind == OpKind::kPatchElf;
  if (!streamed && head.header.size > kMaxPatchInput) return Error("patch target above the patch limit");
  LARCH_ASSIGN_OR_RETURN(head.base, Id());
  LARCH_ASSIGN_OR_RETURN(uint32_t len, U32());
  if (!streamed && len > kMaxPatchSize) return Error("patch too large");
  head.payload_size = len;
  return Status::Ok();
}

// The recipe and the size of the content it rebuilds the object from. The
// object's size bounds nothing here: deflate may shrink content 1000-fold.
Status PartReader::ReadNewGzip(OpHead& head) {
  if (head.header.kind != repo::FileKind::kRegular) return Error("gzip member that is a symlink");
  uint64_t at = offset_;
  LARCH_ASSIGN_OR_RETURN(Bytes recipe, Take(kGzipRecipeSize));
  encoding::Decoder dec(recipe, "delta part: gzip recipe at offset " + std::to_string(at));
  LARCH_ASSIGN_OR_RETURN(head.gzip, DecodeGzipRecipe(dec));
  LARCH_ASSIGN_OR_RETURN(head.payload_size, U64());
  if (head.payload_size > kMaxPartBytes) return Error("gzip content larger than a part");
  return Status::Ok();
}

Status PartReader::Start() {
  LARCH_ASSIGN_OR_RETURN(Bytes magic, Take(sizeof(kMagic)));
  if (!std::equal(magic.begin(), magic.end(), kMagic)) return Error("not a delta part");
  LARCH_ASSIGN_OR_RETURN(uint8_t version, U8());
  if (version != kVersion) return Error("unknown version " + std::to_string(version));
  LARCH_ASSIGN_OR_RETURN(count_, U32());
  if (count_ > kMaxDeltaObjects) return Error("too many operations");
  return Status::Ok();
}

Result<std::optional<OpHead>> PartReader::Next() {
  if (payload_left_ != 0) return Error("payload not consumed");
  if (seen_ == count_) return std::optional<OpHead>();
  ++seen_;
  OpHead head;
  LARCH_ASSIGN_OR_RETURN(uint8_t kind, U8());
  if (kind < 1 || kind > kNumOpKinds) return Error("bad operation " + std::to_string(kind));
  head.kind = static_cast<OpKind>(kind);
  using T = repo::ObjectType;
  if (head.kind == OpKind::kMeta) {
    LARCH_ASSIGN_OR_RETURN(head.key, TypedKey({T::kDirTree, T::kDirMeta, T::kVerityList}));
    LARCH_ASSIGN_OR_RETURN(uint32_t len, U32());
    if (len > kMaxMetaObject) return Error("metadata object too large");
    head.payload_size = len;
  } else if (head.kind == OpKind::kReuse) {
    LARCH_ASSIGN_OR_RETURN(head.key, TypedKey({T::kFile, T::kDirTree, T::kDirMeta}));
  } else if (head.kind == OpKind::kMetaPatch) {
    LARCH_ASSIGN_OR_RETURN(head.key, TypedKey({T::kDirTree, T::kVerityList}));
    LARCH_ASSIGN_OR_RETURN(head.base, Id());
    LARCH_ASSIGN_OR_RETURN(head.meta_size, U32());
    if (head.meta_size > kMaxPatchInput) return Error("patched metadata object above the patch limit");
    LARCH_ASSIGN_OR_RETURN(uint32_t len, U32());
    if (len > kMaxPatchSize) return Error("patch too large");
    head.payload_size = len;
  } else {
    LARCH_RETURN_IF_ERROR(ReadFileOp(head));
  }
  payload_left_ = head.payload_size;
  return std::optional<OpHead>(std::move(head));
}

Result<Bytes> PartReader::ReadPayload() {
  // Only bounded payloads are read whole; new-file content is streamed.
  if (payload_left_ > std::max<uint64_t>(kMaxMetaObject, kMaxPatchInput))
    return Error("payload too large to read at once");
  LARCH_ASSIGN_OR_RETURN(Bytes b, Take(static_cast<size_t>(payload_left_)));
  payload_left_ = 0;
  return b;
}

Status PartReader::StreamPayload(const compress::Sink& sink) {
  Bytes buf(static_cast<size_t>(std::min<uint64_t>(kChunk, payload_left_)));
  while (payload_left_ > 0) {
    MutableByteSpan chunk(buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), payload_left_)));
    size_t got = 0;
    LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(src_, chunk, &got));
    if (!full) return Error("truncated inside an object's content");
    offset_ += got;
    payload_left_ -= got;
    LARCH_RETURN_IF_ERROR(sink(chunk));
  }
  return Status::Ok();
}

Result<size_t> PartReader::ReadPayloadSome(MutableByteSpan buf) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), payload_left_));
  if (want == 0) return size_t{0};
  LARCH_ASSIGN_OR_RETURN(size_t n, src_.Read(buf.first(want)));
  if (n == 0) return Error("truncated inside a payload");
  offset_ += n;
  payload_left_ -= n;
  return n;
}

Status PartReader::Finish() {
  if (seen_ != count_ || payload_left_ != 0) return Error("ended before its last operation");
  uint8_t extra;
  LARCH_ASSIGN_OR_RETURN(size_t n, src_.Read(MutableByteSpan(&extra, 1)));
  if (n != 0) return Error("trailing bytes after the last operation");
  return Status::Ok();
}

// --- whole parts ---

Result<std::vector<PartOp>> DecodePart(ByteSpan data) {
  SpanSource src(data);
  PartReader reader(src);
  LARCH_RETURN_IF_ERROR(reader.Start());
  std::vector<PartOp> ops;
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(std::optional<OpHead> head, reader.Next());
    if (!head) break;
    PartOp op{std::move(*head), {}};
    LARCH_RETURN_IF_ERROR(reader.StreamPayload([&](ByteSpan chunk) {
      op.payload.insert(op.payload.end(), chunk.begin(), chunk.end());
      return Status::Ok();
    }));
    ops.push_back(std::move(op));
  }
  LARCH_RETURN_IF_ERROR(reader.Finish());
  return ops;
}

Bytes EncodePart(const std::vector<PartOp>& ops) {
  PartWriter w;
  for (const PartOp& op : ops) {
    switch (op.head.kind) {
      case OpKind::kNew: w.AddNew(op.head.key.id, op.head.header, op.payload); break;
      case OpKind::kPatchZstd:
      case OpKind::kPatchBsdiff:
      case OpKind::kPatchGzip:
      case OpKind::kPatchElf:
        w.AddPatch(op.head.kind, op.head.key.id, op.head.header, op.head.base, op.payload);
        break;
      case OpKind::kNewGzip:
        w.AddNewGzip(op.head.key.id, op.head.header, op.head.gzip, op.payload);
        break;
      case OpKind::kMeta: w.AddMeta(op.head.key, op.payload); break;
      case OpKind::kReuse: w.AddReuse(op.head.key); break;
      case OpKind::kMetaPatch:
        w.AddMetaPatch(op.head.key, op.head.base, op.head.meta_size, op.payload);
        break;
    }
  }
  return w.Finish();
}

}  // namespace larch::delta
