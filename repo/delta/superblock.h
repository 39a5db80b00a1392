// File: repo/delta/superblock.h
//
// DeltaSuperblock: what a delta from one commit to another holds, and the
// body of the signed envelope in deltas/<from|empty>-<to>/superblock (and of
// a bundle). It carries the target commit's bytes and its commitmeta, so a
// delta brings its own commit signatures, and lists every part with its
// compressed size, uncompressed size and SHA-256, and every object each
// part produces, in order. The applier checks a part against these before
// decompressing a byte of it, and each operation in the part against its
// entry here. Layout: docs/formats.md, "Delta superblock".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/objects/object_id.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/crypto/sha256.h"

namespace larch::delta {

// How a part delivers one object (also the op byte inside a part).
enum class OpKind : uint8_t {
  kNew = 1,          // a file object, content in full
  kPatchZstd = 2,    // a file object as a zstd patch-from frame against a base
  kPatchBsdiff = 3,  // a file object as a bsdiff-style patch against a base
  kMeta = 4,         // a dirtree or dirmeta, whole
  kReuse = 5,        // an object the device has already (elsewhere in `from`)
  kMetaPatch = 6,    // a dirtree as a zstd patch-from frame against an old dirtree
  kPatchGzip = 7,    // a .gz file object, patched decompressed and recompressed
  kPatchElf = 8,     // an ELF file object, references rewritten, then bsdiff
  kNewGzip = 9,      // a .gz file object sent decompressed, rebuilt by its recipe
};
inline constexpr uint8_t kNumOpKinds = 9;

std::string_view OpKindName(OpKind kind);  // "new", "patch-zstd", ...
bool IsPatch(OpKind kind);

// How a part file is compressed (formats.md, "Delta part"). Recorded per
// part in the signed superblock, so the applier knows which one strict
// decoder to run before it reads a byte of the part.
enum class PartCompression : uint8_t {
  kZstd = 0,  // one zstd frame
  kXz = 1,    // one .xz stream: LZMA2, after a branch filter for machine code
};
inline constexpr uint8_t kNumPartCompressions = 2;
std::string_view PartCompressionName(PartCompression c);  // "zstd", "xz"

struct PartObject {
  OpKind op = OpKind::kNew;
  repo::ObjectKey key{};
  bool operator==(const PartObject&) const = default;
};

struct PartInfo {
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  crypto::Sha256Digest sha256{};
  PartCompression compression = PartCompression::kZstd;
  std::vector<PartObject> objects;
  bool operator==(const PartInfo&) const = default;
};

struct DeltaSuperblock {
  std::optional<repo::ObjectId> from;  // nullopt: a full delta ("empty")
  repo::ObjectId to;
  Bytes commit;                        // the target commit object; hashes to `to`
  std::optional<Bytes> commitmeta;     // its detached signatures, if any
  std::vector<PartInfo> parts;
  bool operator==(const DeltaSuperblock&) const = default;

  uint64_t TotalCompressed() const;
  uint64_t TotalUncompressed() const;
  uint64_t TotalObjects() const;
};

// Rules the decoder enforces (kInvalidArgument here): the commit decodes and
// hashes to `to`, the commitmeta decodes, sizes and counts within limits.h,
// each object's type fits its op (files for new/patch, dirtree or dirmeta
// for meta), and no object is listed twice.
Status ValidateSuperblock(const DeltaSuperblock& sb);
Bytes EncodeSuperblock(const DeltaSuperblock& sb);
// Strict: Encode(Decode(b)) == b for every accepted b; the totals stored at
// the end must equal the sums over the parts.
Result<DeltaSuperblock> DecodeSuperblock(ByteSpan data);

// "deltas/<from hex|empty>-<to hex>": where a store keeps a delta.
std::string DeltaDirName(const std::optional<repo::ObjectId>& from, const repo::ObjectId& to);
// The inverse, for listing; nullopt for names that are not delta dirs.
struct DeltaName {
  std::optional<repo::ObjectId> from;
  repo::ObjectId to;
};
std::optional<DeltaName> ParseDeltaDirName(std::string_view name);
inline constexpr std::string_view kDeltasDir = "deltas";
inline constexpr std::string_view kSuperblockFile = "superblock";
std::string PartFileName(size_t index);  // "0", "1", ...

}  // namespace larch::delta
