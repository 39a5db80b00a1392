// File: repo/delta/part.h
//
// The uncompressed content of a delta part: a sequence of operations, each
// producing (or vouching for) one object. Layout (docs/formats.md, "Delta
// part"):
//   "LXDP" | u8 version (1) | u32 op count | ops
//   op new:          u8 1 | id | blob file header | header.size content bytes
//   op patch-zstd:   u8 2 | id | blob file header | id base | blob patch
//   op patch-bsdiff: u8 3 | (same as patch-zstd)
//   op patch-gzip:   u8 7 | (same as patch-zstd)
//   op new-gzip:     u8 8 | id | blob file header | gzip recipe (13 bytes) |
//                    u64 content size | content bytes (decompressed)
//   op metadata:     u8 4 | u8 type (2 dirtree, 3 dirmeta) | id | blob bytes
//   op reuse:        u8 5 | u8 type (1, 2 or 3) | id
//   op meta-patch:   u8 6 | u8 type (2) | id | id base | u32 size | blob patch
// The file header is the object's canonical FileHeader encoding; patches
// are only for regular files, with base and target within kMaxPatchInput,
// except patch-bsdiff (any target size; its patch is applied as a stream).
// new-gzip is for regular files of any size: the applier rebuilds the gzip
// member from the content by the recipe (gzip_recipe.h) as a stream.
// PartReader is the one decoder: it pulls from a ByteSource while the part
// is being decompressed, refuses anything off-format, and hands payloads
// out in pieces, so a large new file never sits in memory.
#pragma once

#include <initializer_list>
#include <cstdint>
#include <optional>
#include <vector>

#include "repo/delta/byte_source.h"
#include "repo/delta/gzip_recipe.h"
#include "repo/delta/superblock.h"
#include "repo/objects/file_header.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

struct OpHead {
  OpKind kind = OpKind::kNew;
  repo::ObjectKey key{};
  repo::FileHeader header;  // new and patch ops
  repo::ObjectId base;      // patch ops
  uint64_t payload_size = 0;  // content (new), patch, object bytes (metadata)
  uint32_t meta_size = 0;     // meta-patch: the object's size
  GzipRecipe gzip;            // new-gzip
  bool operator==(const OpHead&) const = default;
};

// Builds a part in memory (the generator's side; parts are bounded).
class PartWriter {
 public:
  void AddNew(const repo::ObjectId& id, const repo::FileHeader& header, ByteSpan content);
  void AddPatch(OpKind engine, const repo::ObjectId& id, const repo::FileHeader& header,
                const repo::ObjectId& base, ByteSpan patch);
  void AddMeta(const repo::ObjectKey& key, ByteSpan bytes);
  // `content`: the member's decompressed content.
  void AddNewGzip(const repo::ObjectId& id, const repo::FileHeader& header, const GzipRecipe& recipe,
                  ByteSpan content);
  void AddReuse(const repo::ObjectKey& key);
  void AddMetaPatch(const repo::ObjectKey& key, const repo::ObjectId& base, uint32_t size,
                    ByteSpan patch);
  uint32_t op_count() const { return count_; }
  size_t size() const { return ops_.size() + 9; }
  Bytes Finish() const;

 private:
  Bytes ops_;
  uint32_t count_ = 0;
};

class PartReader {
 public:
  explicit PartReader(ByteSource& src) : src_(src) {}
  // Reads magic, version and op count.
  Status Start();
  uint32_t op_count() const { return count_; }
  // The next op's head, or nullopt after the last one. The previous op's
  // payload must have been read completely.
  Result<std::optional<OpHead>> Next();
  // The current payload, whole (patch and metadata payloads are bounded by
  // limits.h) or streamed in chunks (any payload).
  Result<Bytes> ReadPayload();
  Status StreamPayload(const compress::Sink& sink);
  // Up to buf.size() bytes of the current payload; 0 once it is all read.
  Result<size_t> ReadPayloadSome(MutableByteSpan buf);
  uint64_t payload_left() const { return payload_left_; }
  // After the last op: fails unless the source is exhausted.
  Status Finish();

 private:
  Status Error(const std::string& msg) const;
  Result<Bytes> Take(size_t n);
  Result<uint8_t> U8();
  Result<uint32_t> U32();
  Result<uint64_t> U64();
  Result<repo::ObjectId> Id();
  Result<repo::FileHeader> Header();
  // A u8 object type (one of `allowed`) and an id.
  Result<repo::ObjectKey> TypedKey(std::initializer_list<repo::ObjectType> allowed);
  Status ReadFileOp(OpHead& head);
  Status ReadNewGzip(OpHead& head);

  ByteSource& src_;
  uint64_t offset_ = 0;
  uint32_t count_ = 0;
  uint32_t seen_ = 0;
  uint64_t payload_left_ = 0;
};

// The current payload of a reader as a ByteSource (a streamed patch).
class PayloadSource : public ByteSource {
 public:
  explicit PayloadSource(PartReader& reader) : reader_(reader) {}
  Result<size_t> Read(MutableByteSpan buf) override { return reader_.ReadPayloadSome(buf); }

 private:
  PartReader& reader_;
};

// Whole-part helpers for tests and the fuzzer.
struct PartOp {
  OpHead head;
  Bytes payload;
  bool operator==(const PartOp&) const = default;
};
Result<std::vector<PartOp>> DecodePart(ByteSpan data);
Bytes EncodePart(const std::vector<PartOp>& ops);

}  // namespace larch::delta
